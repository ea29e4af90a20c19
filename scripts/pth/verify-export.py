"""Checks files written by `arbex export` with PyTorch: torch.load, then load_state_dict(strict=True)
into the re-declared released module tree (released_modules.py) at full size; optionally runs the
released forward on a random image.

  /usr/bin/python3 scripts/pth/verify-export.py --arbex FILE.pth [--poster FILE.pth] [--forward]
"""
import argparse, os, sys
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from released_modules import full_cfg, ReleasedArbex, ReleasedPoster

ap = argparse.ArgumentParser()
ap.add_argument('--arbex', action='append', default=[])
ap.add_argument('--poster', action='append', default=[])
ap.add_argument('--forward', action='store_true')
a = ap.parse_args()
for kind, files in (('arbex', a.arbex), ('poster', a.poster)):
    for f in files:
        sd = torch.load(f)
        m = ReleasedArbex(full_cfg()) if kind == 'arbex' else ReleasedPoster(full_cfg())
        r = m.load_state_dict(sd, strict=True)
        n = sum(v.numel() for v in sd.values())
        print(f'{f}: torch {torch.__version__} load_state_dict(strict=True) into released {kind}: {r}; {len(sd)} tensors, {n:,} values')
        if a.forward:
            m.eval()
            with torch.no_grad():
                x = torch.rand(2, 3, 224, 224)
                e = m.vit(x) if kind == 'arbex' else m(x)
                print(f'  forward OK: embedding {tuple(e.shape)}, finite: {bool(torch.isfinite(e).all())}')
