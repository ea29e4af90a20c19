"""PyTorch CPU side of kernels-bench/cpu/cpu-limit.ts: reads one JSON request per line on stdin,
runs that case `reps` times and answers the median milliseconds as one JSON line. Used by
kernels-bench/cpu/cpu-limit.ts and, as the "torch" column, by kernels-bench/run.ts.

Requests: {"kind": "matmul", "a": [...shape], "b": [...shape], "transB": bool} (b is [.., n, k]
when transB) or
{"kind": "conv", "x": [n, c, h, w], "w": [o, c/groups, k, k], "stride": s, "pad": p,
 "groups": g, "backward": bool}. Threads: torch.set_num_threads(THREADS env, default 2).
"""
import json
import os
import statistics
import sys
import time

import torch

torch.set_num_threads(int(os.environ.get("THREADS", "2")))
torch.manual_seed(0)
cache = {}


def make(req):
    key = json.dumps(req, sort_keys=True)
    if key in cache:
        return cache[key]
    if req["kind"] == "matmul":
        a, b = torch.randn(*req["a"]), torch.randn(*req["b"])
        if req.get("transB", False):
            fn = lambda: torch.matmul(a, b.transpose(-1, -2))
        else:
            fn = lambda: torch.matmul(a, b)
    else:
        back = req.get("backward", False)
        x = torch.randn(*req["x"], requires_grad=back)
        w = torch.randn(*req["w"], requires_grad=back)
        opts = dict(stride=req["stride"], padding=req["pad"], groups=req.get("groups", 1))

        def fn():
            y = torch.nn.functional.conv2d(x, w, **opts)
            if back:
                y.backward(torch.ones_like(y))
                x.grad = None
                w.grad = None
            return y
    for _ in range(2):
        fn()
    cache[key] = fn
    return fn


for line in sys.stdin:
    req = json.loads(line)
    fn = make(req)
    times = []
    for _ in range(req.get("reps", 3)):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"ms": statistics.median(times), "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
