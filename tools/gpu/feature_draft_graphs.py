"""The feature draft (docs/design/feature-draft.md) as two AOTInductor graphs for the Java AOTI engine.

    export_aoti.py --feature-draft models/feature-draft --embedding-from MODEL.gguf OUTDIR [--graphs fc,step]

  fc    features float32 (W, k*hidden) -> float32 (W, hidden): the draft's fc, which turns the target's
        features into a step's h
  step  tokens int64 (W), h float32 (W, hidden), positions int64 (W), mask float32 (W, T), write_index int64 (W),
        cache (1, 2, kv_heads, capacity, head_dim) updated in place
        -> g float32 (W, hidden), logits float32 (W, draft_vocab)

The draft's modules and RoPE are tools/train/fd_draft.py's, loaded by fd_export.py; only the cached attention
is written out here, as export_aoti.py's CachedLayers does for a target. tools/gpu/README.md has the I/O contract,
check_feature_draft.py checks an export against fd_draft.DraftRunner.
"""
import copy
import json
import math
import os
import sys

import torch
from torch import nn
from torch.export import Dim

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train"))
from fd_draft import rope  # noqa: E402
from export_aoti import FORMAT, MANIFEST, MASKED, compile_graph, fused_linear, window_dims  # noqa: E402

GRAPHS = ("fc", "step")


class DraftFc(nn.Module):
    """features float32 (W, k*hidden) -> float32 (W, hidden), fc in the compute dtype. Holds copies of the draft's
    weights (as DraftStep does), so that casting the graph leaves the draft as it was."""

    def __init__(self, draft):
        super().__init__()
        self.fc = copy.deepcopy(draft.fc)

    def forward(self, features):
        return (self.fc(features.to(self.fc.weight.dtype)).float(),)


class DraftStep(nn.Module):
    """The draft's decoder layer and head over a window; K/V written into the cache in place before attention.

    forward(tokens, h, positions, mask, write_index, cache):
      tokens      int64 (W,) target ids
      h           float32 (W, hidden): fc's output for a target feature, or the draft's own g
      positions   int64 (W,) absolute positions (RoPE)
      mask        float32 (W, T) additive: column c < T is cache slot c; 0 = attend, -1e9 = masked
      write_index int64 (W,) cache slot of each row's K/V
      cache       (1, 2, kv_heads, capacity, head_dim) in the compute dtype, mutated
    returns g float32 (W, hidden), logits float32 (W, draft_vocab)
    """

    def __init__(self, draft):
        super().__init__()
        c, layer = draft.c, draft.layer
        self.c = c
        a, m = layer.self_attn, layer.mlp
        # (target vocab, hidden): the target's embedding, frozen
        self.register_buffer("embed", draft.embed.detach().clone())
        # (draft vocab, hidden): the target's tied head rows at d2t, gathered once here rather than every step
        self.register_buffer("head", draft.head().detach().clone())
        self.input_layernorm, self.hidden_norm = copy.deepcopy(layer.input_layernorm), copy.deepcopy(layer.hidden_norm)
        self.post_attention_layernorm = copy.deepcopy(layer.post_attention_layernorm)
        self.norm = copy.deepcopy(draft.norm)
        # one matmul for q/k/v and one for gate/up, as CachedLayers fuses them, for the same reason
        self.qkv = fused_linear(a.q_proj, a.k_proj, a.v_proj)
        self.o_proj = copy.deepcopy(a.o_proj)
        self.gate_up = fused_linear(m.gate_proj, m.up_proj)
        self.down_proj = copy.deepcopy(m.down_proj)

    def forward(self, tokens, h, positions, mask, write_index, cache):
        c = self.c
        nh, nkv, hd = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
        group = nh // nkv
        h = h.to(self.head.dtype)
        w, t = h.shape[0], mask.shape[1]
        # input: the token's embedding and the hidden input, each normed: (W, 2 * hidden)
        x = torch.cat([self.input_layernorm(self.embed[tokens]), self.hidden_norm(h)], -1)
        # qkv matmul and RoPE: (heads, W, head_dim)
        q, k, v = self.qkv(x).split([nh * hd, nkv * hd, nkv * hd], -1)
        q = rope(q.reshape(w, nh, hd).transpose(0, 1).contiguous(), positions, c["rope_theta"])
        k = rope(k.reshape(w, nkv, hd).transpose(0, 1).contiguous(), positions, c["rope_theta"])
        v = v.reshape(w, nkv, hd).transpose(0, 1).contiguous()
        # cache write before attention, so a row sees itself and the earlier rows the mask lets it see; one
        # index_put_ on the cache itself (a view's mutation compiles to a copy of the whole cache, see CachedLayers)
        layer_index = torch.zeros((), dtype=torch.long, device=h.device)
        kv_index = torch.arange(2, device=h.device).view(2, 1, 1)
        head_index = torch.arange(nkv, device=h.device).view(1, nkv, 1)
        cache.index_put_((layer_index, kv_index, head_index, write_index), torch.stack((k, v)))
        kk, vv = cache[0, 0, :, :t], cache[0, 1, :, :t]
        # grouped-query attention: the query heads of a kv head as one (group * W) block
        scores = torch.matmul(q.reshape(nkv, group * w, hd), kk.transpose(1, 2)).float() / math.sqrt(hd)
        scores = scores.view(nkv, group, w, t) + mask
        probs = torch.softmax(scores, dim=-1).to(h.dtype).view(nkv, group * w, t)
        o = torch.matmul(probs, vv).view(nh, w, hd).transpose(0, 1).reshape(w, nh * hd)
        # residual
        r = h + self.o_proj(o)
        # mlp rmsnorm, swiglu, residual
        gate, up = self.gate_up(self.post_attention_layernorm(r)).chunk(2, -1)
        g = r + self.down_proj(nn.functional.silu(gate) * up)
        # head over the draft vocabulary
        logits = torch.matmul(self.norm(g), self.head.t()).float()
        return g.float(), logits


def load(draft_dir, embedding):
    """The draft of draft_dir (fd_export.py's format, every tensor checked against the contract) on the target's
    embedding (target vocab, hidden), float32."""
    from fd_export import load as load_draft
    draft = load_draft(draft_dir, embedding.detach().float())
    if draft.embed.shape != (draft.c["target_vocab_size"], draft.c["hidden_size"]):
        sys.exit(f"the embedding is {tuple(draft.embed.shape)}, the draft was trained on a target of "
                 f"{draft.c['target_vocab_size']} x {draft.c['hidden_size']}")
    return draft.eval()


def example_inputs(c, device, dtype, w, past=2, capacity=16):
    d, nkv, hd = c["hidden_size"], c["num_key_value_heads"], c["head_dim"]
    tokens = torch.tensor([5, 6, 7][:w], device=device)
    h = torch.randn(w, d, device=device)
    positions = torch.arange(past, past + w, device=device)
    mask = torch.zeros(w, past + w, device=device)
    mask[:, past:] = torch.triu(torch.full((w, w), MASKED, device=device), 1)
    write_index = torch.arange(past, past + w, device=device)
    cache = torch.zeros(1, 2, nkv, capacity, hd, device=device, dtype=dtype)
    return (tokens, h, positions, mask, write_index, cache)


def one_row(args):
    """The example inputs cut to one row (the first row attends the past and itself)."""
    past = args[3].shape[1] - args[0].shape[0]
    return (args[0][:1], args[1][:1], args[2][:1], args[3][:1, : past + 1], args[4][:1], args[5])


def export(draft, outdir, device, dtype, max_window, max_context, only, source):
    """Compiles the graphs `only` names (all when None) and writes the manifest (a part manifest for --merge when
    only is given)."""
    os.makedirs(outdir, exist_ok=True)
    c = draft.c
    win, rows, total, cap = window_dims(max_window, max_context)
    k = len(c["feature_layers"])
    libraries = {}
    with torch.no_grad():
        if not only or "fc" in only:
            fc = DraftFc(draft).to(device=device, dtype=dtype).eval()
            features = torch.randn(rows, k * c["hidden_size"], device=device)
            _, libraries["fc"] = compile_graph("fc", fc, (features,), ({0: win, 1: Dim.STATIC},), outdir, device,
                                               one=(features[:1],))
        if not only or "step" in only:
            step = DraftStep(draft).to(device=device, dtype=dtype).eval()
            args = example_inputs(c, device, dtype, rows)
            dynamic = ({0: win}, {0: win, 1: Dim.STATIC}, {0: win}, {0: win, 1: total}, {0: win},
                       {0: Dim.STATIC, 1: Dim.STATIC, 2: Dim.STATIC, 3: cap, 4: Dim.STATIC})
            _, libraries["step"] = compile_graph("step", step, args, dynamic, outdir, device, one=one_row(args))
    manifest = {
        "format": FORMAT,
        "architecture": "feature-draft",
        "device": device,
        "dtype": str(dtype).replace("torch.", ""),
        "max_window": max_window,
        "max_context": max_context,
        "masked_value": MASKED,
        "hidden_size": c["hidden_size"],
        "num_heads": c["num_attention_heads"],
        "kv_heads": c["num_key_value_heads"],
        "head_dim": c["head_dim"],
        "intermediate_size": c["intermediate_size"],
        "vocab": int(draft.embed.shape[0]),
        "draft_vocab": c["draft_vocab_size"],
        "feature_layers": list(c["feature_layers"]),
        "rms_norm_eps": c["rms_norm_eps"],
        "rope_theta": c["rope_theta"],
        "d2t": [int(i) for i in draft.d2t.tolist()],
        "graphs": [{"graph": n, "library": libraries.get(n, f"{n}/MISSING")} for n in GRAPHS],
        "source": source,
    }
    path = os.path.join(outdir, MANIFEST if not only else MANIFEST + "." + "-".join(sorted(only)))
    with open(path, "w") as f:
        json.dump(manifest, f, indent=2)
    return manifest
