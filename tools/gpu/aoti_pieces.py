"""One piece of the 135M shape compiled by AOTInductor with static shapes, run through its C entry points, against eager:
the reproducer of the one-row bfloat16 fault (docs/design/engines.md).
    python3 tools/gpu/aoti_pieces.py PIECE DTYPE ROWS OUTDIR     # e.g. layers2dyn bfloat16 1 /tmp/x: wrong, about a minute"""
import os, sys, torch
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "train"))
from torch import nn
import torch.nn.functional as F
from profile_aoti import Graph, libtorch_global
from export_aoti import CachedLayers, compile_graph, example_inputs, materialize_synthetic, synthetic_names, synthetic_target
from common import RMSNorm
libtorch_global()
piece, dt, rows, out = sys.argv[1], getattr(torch, sys.argv[2]), int(sys.argv[3]), sys.argv[4]
dev = "cuda"
g = torch.Generator(device=dev).manual_seed(0)
class Lin(nn.Module):
    def __init__(s, n, k, norm=False, f32=False):
        super().__init__(); s.W = nn.Parameter(torch.randn(n, k, device=dev, dtype=dt, generator=g) * 0.02)
        s.norm = RMSNorm(k, 1e-5).to(dev, dt) if norm else None; s.f32 = f32
    def forward(s, x):
        y = F.linear(s.norm(x) if s.norm is not None else x, s.W)
        return (y.float() if s.f32 else y,)
x = torch.randn(rows, 576, device=dev, dtype=dt, generator=g)
if piece == "linear": m, args = Lin(1728, 576), (x,)
elif piece == "lm_head": m, args = Lin(49152, 576, f32=True), (x,)
elif piece == "norm_linear": m, args = Lin(1728, 576, norm=True), (x,)
elif piece == "down": m, args = Lin(576, 1536), (torch.randn(rows, 1536, device=dev, dtype=dt, generator=g),)
else:
    t = synthetic_target("smollm2-135m", 2)
    n = 1 if piece == "layer" else 2
    from torch.export import Dim
    m = CachedLayers(t.c, list(t.model.layers)[:n], 0, embed=None if n == 1 else t.embed_tokens,
                     norm=None if n == 1 else t.model.norm, head=None if n == 1 else t.lm_head,
                     outputs=("hidden",) if n == 1 else ("logits",))
    m = materialize_synthetic(m, dev, dt, synthetic_names(m, "target")).to(dev, dt)
    args = example_inputs(t.c, "hidden" if n == 1 else "tokens", dev, dt, w=rows)
m = m.eval()
os.makedirs(out, exist_ok=True)
dynamic = None
run_args = args
if piece == "layers2dyn":
    # the export's dims: window static (rows), attended length and capacity dynamic; run at a longer context
    total, cap = Dim("attended", min=1, max=1024), Dim("capacity", min=2, max=1024)
    S = Dim.STATIC
    dynamic = ({0: S}, {0: S}, {0: S, 1: total}, {0: S}, {0: S, 1: S, 2: S, 3: cap, 4: S})
    run_args = example_inputs(t.c, "tokens", dev, dt, w=rows, past=40, capacity=256)
with torch.no_grad():
    _, lib = compile_graph(piece, m, args, dynamic, out, dev)
    args = run_args
    want = m(*[a.clone() for a in args])
    got = Graph(os.path.join(out, lib), "cuda:0").run([a.clone() for a in args], torch.cuda.current_stream().cuda_stream)
torch.cuda.synchronize()
for i, (a, b) in enumerate(zip(got, want)):
    d = (a.float() - b.float()).abs().max().item()
    print(f"RESULT {piece} {sys.argv[2]} rows {rows} out {i}: max |aoti - eager| {d:.3g} of max {b.float().abs().max().item():.3g}", flush=True)
