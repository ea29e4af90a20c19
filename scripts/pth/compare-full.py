"""Compares the project's outputs (compare-full.mts) with the released forward of the exported file.
  /usr/bin/python3 scripts/pth/compare-full.py EXPORTED.pth IO.pth"""
import os, sys
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from released_modules import full_cfg, ReleasedArbex, released_outputs

m = ReleasedArbex(full_cfg())
m.load_state_dict(torch.load(sys.argv[1]), strict=True)
m.eval()
io = torch.load(sys.argv[2])
with torch.no_grad():
    ref = released_outputs(m, io['x'], 0.5)
for k in ('e', 'logits', 'p', 't', 'v', 'corrected'):
    d = (ref[k] - io[k]).abs().max().item()
    print(f'{k:10s} max |released - project| = {d:.3g}   (max |released| = {ref[k].abs().max().item():.3g})')
