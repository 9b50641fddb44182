"""The 135M shape's pieces (2 synthetic layers) under torch.compile (static shapes) against eager, one row and three,
bfloat16 and float32: rules out Inductor's kernels for the one-row bfloat16 fault AOTInductor shows (docs/design/engines.md).
    DEV=cuda python3 tools/gpu/onerow_compile_pieces.py
"""
import math, os, sys, torch
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "train"))
from torch import nn
import torch.nn.functional as F
from export_aoti import CachedLayers, synthetic_target, synthetic_names, materialize_synthetic, example_inputs
dev = os.environ.get("DEV", "cuda"); torch.backends.cuda.matmul.allow_tf32 = False
def cmp(name, fn, *args, w=None):
    e = fn(*[a.clone() if torch.is_tensor(a) else a for a in args])
    torch._dynamo.reset()
    c = torch.compile(fn, dynamic=False, fullgraph=True)(*[a.clone() if torch.is_tensor(a) else a for a in args])
    e = e if isinstance(e, (tuple, list)) else (e,); c = c if isinstance(c, (tuple, list)) else (c,)
    for i, (a, b) in enumerate(zip(c, e)):
        d = (a.float() - b.float()).abs().max().item(); m = b.float().abs().max().item()
        print(f"{name}[{i}] shape {tuple(b.shape)} {b.dtype}: max diff {d:.3g} of max {m:.3g}", flush=True)
for dt in (torch.bfloat16, torch.float32):
    for rows in (1, 3):
        print(f"=== {dt} rows {rows}")
        g = torch.Generator(device=dev).manual_seed(0)
        x = torch.randn(rows, 576, device=dev, dtype=dt, generator=g)
        W = (torch.randn(1728, 576, device=dev, dtype=dt, generator=g) * 0.02)
        cmp("linear", lambda x, W: F.linear(x, W), x, W)
        W2 = (torch.randn(49152, 576, device=dev, dtype=dt, generator=g) * 0.02)
        cmp("lm_head", lambda x, W: F.linear(x, W).float(), x, W2)
        t = synthetic_target("smollm2-135m", 2)
        m = CachedLayers(t.c, list(t.model.layers), 0, embed=t.embed_tokens, norm=t.model.norm, head=t.lm_head, outputs=("logits",))
        m = materialize_synthetic(m, dev, dt, synthetic_names(t, "target")).to(dev, dt)
        args = example_inputs(t.c, "tokens", dev, dt, w=rows)
        with torch.no_grad():
            cmp("cachedlayers", lambda *a: m(*a), *args)
        layers = list(m.layers)
        with torch.no_grad():
            for k in (0, 1):
                mk = CachedLayers.__new__(CachedLayers); nn.Module.__init__(mk)
                mk.c, mk.first, mk.outputs = t.c, 0, ("hidden",)
                mk.layers = nn.ModuleList(layers[:k]); mk.embed, mk.norm, mk.head = m.embed, None, None
                cmp(f"hidden after {k} layers", lambda *a: mk(*a), *args)
            L = layers[0]
            h = torch.randn(rows, 576, device=dev, dtype=dt, generator=g)
            cmp("rmsnorm", lambda h: L.input_layernorm(h), h)
            cmp("mlp", lambda h: L.mlp.down_proj(F.silu(L.mlp.gate_up(L.post_attention_layernorm(h)).chunk(2, -1)[0]) * L.mlp.gate_up(L.post_attention_layernorm(h)).chunk(2, -1)[1]), h)
            cmp("qkv", lambda h: L.self_attn.qkv(L.input_layernorm(h)), h)
            nkv, gq, hd, T = 3, 3, 64, 5
            q = torch.randn(nkv, gq * rows, hd, device=dev, dtype=dt, generator=g)
            kk = torch.randn(nkv, T, hd, device=dev, dtype=dt, generator=g)
            vv = torch.randn(nkv, T, hd, device=dev, dtype=dt, generator=g)
            mask = torch.zeros(rows, T, device=dev)
            def attn(q, kk, vv, mask):
                s = torch.matmul(q, kk.transpose(1, 2)).float() / math.sqrt(hd)
                s = s.view(nkv, gq, rows, T) + mask
                p = torch.softmax(s, dim=-1).to(dt).view(nkv, gq * rows, T)
                return torch.matmul(p, vv).view(nkv * gq, rows, hd).transpose(0, 1).reshape(rows, nkv * gq * hd)
            cmp("attention", attn, q, kk, vv, mask)
            o = torch.randn(rows, 576, device=dev, dtype=dt, generator=g)
            cmp("o_proj+res", lambda h, o: h + L.self_attn.o_proj(o), h, o)
