"""Writes test/models/fixtures/released/: small released-architecture models with random weights,
saved by torch.save under the released names, plus their inputs and outputs (the oracle for
test/models/released-import.test.ts), and the full-size released key lists.

Run: /usr/bin/python3 scripts/pth/make-released-fixtures.py   (Debian python3-torch)
"""
import json, math, os, sys, collections
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from released_modules import (full_cfg, ReleasedArbex, ReleasedPoster, PosterIR, PosterMobileFaceNet,
                              released_outputs)

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
out = os.path.join(root, 'test/models/fixtures/released')
os.makedirs(out, exist_ok=True)
torch.manual_seed(17)


def merge(a, b):
    r = dict(a)
    for k, v in b.items():
        r[k] = merge(a[k], v) if isinstance(v, dict) and isinstance(a.get(k), dict) else v
    return r


with open(os.path.join(out, 'fixture-config.json')) as f:
    over = json.load(f)
cfg = merge(full_cfg(), {k: v for k, v in over.items() if k in ('landmark', 'image', 'attention', 'tokenDim', 'vit', 'backboneSize', 'head')})
cfg['irOut'] = 16


def randomize(m):
    with torch.no_grad():
        for name, p in m.named_parameters():
            leaf = name.rsplit('.', 1)[-1]
            mod = m.get_submodule(name.rsplit('.', 1)[0]) if '.' in name else m
            if isinstance(mod, (torch.nn.LayerNorm, torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                p.copy_((1.0 if leaf == 'weight' else 0.0) + 0.1 * torch.randn_like(p))
            elif isinstance(mod, torch.nn.PReLU):
                p.copy_(0.25 + 0.1 * torch.randn_like(p))
            elif p.dim() >= 2 and 'table' not in leaf and leaf not in ('cls_token', 'pos_embed', 'anchors'):
                p.copy_(torch.randn_like(p) / math.sqrt(p[0].numel()))
            else:  # biases, gammas, tables, tokens, anchors
                p.copy_(0.3 * torch.randn_like(p))
        for name, b in m.named_buffers():
            if name.endswith('running_mean'):
                b.copy_(0.1 * torch.randn_like(b))
            elif name.endswith('running_var'):
                b.copy_(0.5 + torch.rand_like(b))
            elif name.endswith('num_batches_tracked'):
                b.fill_(int(torch.randint(1, 1000, ())))


def dump(t):
    # 9 significant digits round-trip float32 exactly
    return {'shape': list(t.shape), 'values': [float('%.9g' % v) for v in t.detach().reshape(-1).tolist()]}


# ---- released ARBEx, small ----------------------------------------------------------------------
arbex = ReleasedArbex(cfg)
randomize(arbex)
arbex.eval()
S = over['inputSize']
x = torch.rand(3, 3, S, S) * 2 - 1
with torch.no_grad():
    outs = released_outputs(arbex, x, 0.5)
torch.save(arbex.state_dict(), os.path.join(out, 'arbex.pth'))
# As the released train.py writes them: one file per module (it never saves self_attn).
for part in ('vit', 'classifier', 'anchors'):
    torch.save(getattr(arbex, part).state_dict(), os.path.join(out, f'arbex-{part}.pth'))
with open(os.path.join(out, 'arbex-io.json'), 'w') as f:
    json.dump({'trust': 0.5, 'x': dump(x), **{k: dump(v) for k, v in outs.items()}}, f)

# ---- pretrained backbones as POSTER++ loads them, small -----------------------------------------
ir = PosterIR(cfg)
randomize(ir)
ir.eval()
lm = PosterMobileFaceNet(cfg)
randomize(lm)
lm.eval()
xb = torch.rand(2, 3, cfg['backboneSize'], cfg['backboneSize']) * 2 - 1
with torch.no_grad():
    irs, lms = ir(xb), lm(xb)
torch.save(ir.state_dict(), os.path.join(out, 'ir50.pth'))
# The landmark network ships as a .pth.tar training checkpoint written by an old PyTorch.
torch.save({'epoch': 10, 'state_dict': lm.state_dict(), 'best_nme': 0.04}, os.path.join(out, 'mobilefacenet.pth.tar'),
           _use_new_zipfile_serialization=False)
with open(os.path.join(out, 'backbones-io.json'), 'w') as f:
    json.dump({'x': dump(xb), 'ir': [dump(t) for t in irs], 'landmark': [dump(t) for t in lms]}, f)

# ---- full-size key lists (names and shapes of the released state dicts) --------------------------
full = full_cfg()
keys = {name: [[k, list(v.shape), str(v.dtype).replace('torch.', '')] for k, v in m.state_dict().items()]
        for name, m in (('arbex', ReleasedArbex(full)), ('poster', ReleasedPoster(full)))}
with open(os.path.join(out, 'released-keys-full.json'), 'w') as f:
    json.dump(keys, f)
print('torch', torch.__version__, 'wrote', sorted(os.listdir(out)))
print('fixture params', sum(p.numel() for p in arbex.parameters()))
