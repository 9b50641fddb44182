#!/usr/bin/env python3
"""Compiles a model the runtime loads into AOTInductor graphs for the Java AOTI engine.

    export_aoti.py --target MODEL.gguf OUTDIR [--exit-layer K]        # the target (GGUF or HF dir)
    export_aoti.py --draft models/draft --embedding-from MODEL.gguf OUTDIR   # the project's draft
    export_aoti.py --synthetic llama-3-8b OUTDIR                      # random weights of a real shape
    export_aoti.py --synthetic-draft llama-3-8b OUTDIR                # the project's draft layout at that shape
    export_aoti.py --feature-draft models/feature-draft --embedding-from MODEL.gguf OUTDIR   # graphs fc and step
    ... --device cuda|cpu --dtype float32|bfloat16 --max-window 64 --max-context 2048
    ... --graphs prefix,exit_head          # compile only these (run several processes in parallel)

Each graph is `torch.export`ed with a dynamic window length W (1..max_window; a static 1 with --max-window 1) and attended length
T (1..max_context), then compiled by `torch._inductor.aoti_compile_and_package`; its shared library
(weights inside) is unpacked into OUTDIR/<graph>/ and described in OUTDIR/mirror-sd-aoti.json,
which dev.mirrorsd.engine.aoti reads. The KV cache is ONE persistent tensor per sequence,
(layers, 2, kv_heads, capacity, head_dim), passed to every layer graph and updated in place
(index_put_ at write_index); the caller owns it. See tools/gpu/README.md for the I/O contract.

The model definition is tools/train/common.py's (RMSNorm, RoPE, Llama layers, the draft's heads);
only the cached attention is written out here, as tools/export/export_onnx.py does. The feature draft's
graphs are feature_draft_graphs.py's, compiled by the same machinery.
"""
import argparse
import json
import math
import os
import shutil
import sys
import time
import zipfile
import zlib

import torch
from torch import nn
from torch.export import Dim

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train"))
from common import Draft, Inner, load_state_dict_saved, rope_cos_sin, rot_half  # noqa: E402

MANIFEST = "mirror-sd-aoti.json"
FORMAT = "mirror-sd-aoti/1"
MASKED = -1e9  # additive mask value of a position a row must not see

# real shapes for --synthetic (random weights; never for acceptance numbers)
SHAPES = {
    "llama-3-8b": dict(vocab_size=128256, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                       num_attention_heads=32, num_key_value_heads=8, head_dim=128, rms_norm_eps=1e-5,
                       rope_theta=500000.0, max_position_embeddings=8192, tie_word_embeddings=False),
    "smollm2-135m": dict(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                         num_attention_heads=9, num_key_value_heads=3, head_dim=64, rms_norm_eps=1e-5,
                         rope_theta=100000.0, max_position_embeddings=8192, tie_word_embeddings=True),
}


# ---------------------------------------------------------------------------------------------
# graphs

class CachedLayers(nn.Module):
    """Decoder layers [first, first + len(layers)) over a window; K/V written into the cache in place.

    forward(x, positions, mask, write_index, cache):
      x           int64 (W,) token ids when this graph embeds, else (W, hidden) in the compute dtype
      positions   int64 (W,) absolute positions (RoPE)
      mask        float32 (W, T) additive: column c < T is cache slot c; 0 = attend, -1e9 = masked
      write_index int64 (W,) cache slot of each window row's K/V (the caller's P + row)
      cache       (layers, 2, kv_heads, capacity, head_dim) in the compute dtype, mutated
    returns hidden (W, hidden) and/or float32 logits (W, width), as `outputs` says
    """

    def __init__(self, c, layers, first, embed=None, norm=None, head=None, outputs=("hidden",)):
        super().__init__()
        self.c, self.first, self.outputs = c, first, tuple(outputs)
        self.layers = nn.ModuleList(layers)
        self.embed, self.norm, self.head = embed, norm, head
        # q/k/v and gate/up as one matmul each: a one-row step reads every weight once either way, in
        # fewer and longer kernels (8B shape, one H200, static one-row step compiled by Inductor: 0.175 ms a
        # layer unfused, 0.164 fused; measured with tools/gpu/profile_step.py before and after this change)
        for layer in self.layers:
            a, m = layer.self_attn, layer.mlp
            a.qkv = fused_linear(a.q_proj, a.k_proj, a.v_proj)
            m.gate_up = fused_linear(m.gate_proj, m.up_proj)
            del a.q_proj, a.k_proj, a.v_proj, m.gate_proj, m.up_proj

    def forward(self, x, positions, mask, write_index, cache):
        c = self.c
        nh, nkv, hd = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
        g = nh // nkv
        # embedding: (W, hidden)
        h = self.embed(x) if self.embed is not None else x
        w = h.shape[0]
        t = mask.shape[1]
        # rotary tables of the window's positions: (1, W, head_dim)
        cos, sin = rope_cos_sin(positions[None], hd, c["rope_theta"], h.dtype)
        cos, sin = cos[0], sin[0]
        # cache[first + i, s, h, write_index[r]] = (k, v)[s][h, r] as one broadcast index per dimension
        layer_index = torch.arange(self.first, self.first + len(self.layers), device=h.device)
        kv_index = torch.arange(2, device=h.device).view(2, 1, 1)
        head_index = torch.arange(nkv, device=h.device).view(1, nkv, 1)
        for i, layer in enumerate(self.layers):
            a = layer.self_attn
            # attention rmsnorm
            xn = layer.input_layernorm(h)
            # qkv matmuls and RoPE: (heads, W, head_dim)
            q, k, v = a.qkv(xn).split([nh * hd, nkv * hd, nkv * hd], -1)
            q = q.reshape(w, nh, hd).transpose(0, 1).contiguous()
            k = k.reshape(w, nkv, hd).transpose(0, 1).contiguous()
            v = v.reshape(w, nkv, hd).transpose(0, 1).contiguous()
            q = q * cos + rot_half(q) * sin
            k = k * cos + rot_half(k) * sin
            # cache write in place, then read the first T slots: (kv_heads, T, head_dim). One index_put_ on
            # the cache itself, not index_copy_ on views of it: a view's mutation was compiled as a copy of
            # the whole cache per layer (8B shape, 1,024 slots: about 45% of the step's GPU time)
            cache.index_put_((layer_index[i], kv_index, head_index, write_index), torch.stack((k, v)))
            kk = cache[self.first + i, 0, :, :t]
            vv = cache[self.first + i, 1, :, :t]
            # grouped-query attention: the g query heads of a kv head as one (g * W) block
            scores = torch.matmul(q.reshape(nkv, g * w, hd), kk.transpose(1, 2)).float() / math.sqrt(hd)
            scores = scores.view(nkv, g, w, t) + mask
            probs = torch.softmax(scores, dim=-1).to(h.dtype).view(nkv, g * w, t)
            o = torch.matmul(probs, vv).view(nh, w, hd).transpose(0, 1).reshape(w, nh * hd)
            # residual
            h = h + a.o_proj(o)
            # ffn rmsnorm, swiglu, residual
            gate, up = layer.mlp.gate_up(layer.post_attention_layernorm(h)).chunk(2, -1)
            h = h + layer.mlp.down_proj(nn.functional.silu(gate) * up)
        out = []
        for name in self.outputs:
            out.append(h if name == "hidden" else self.head(self.norm(h)).float())
        return tuple(out)


def fused_linear(*parts):
    """One linear whose output is the parts' outputs side by side (biases too, when the parts have them)."""
    bias = parts[0].bias is not None
    fused = nn.Linear(parts[0].in_features, sum(p.out_features for p in parts), bias=bias, device="meta")
    fused.weight = nn.Parameter(torch.cat([p.weight.data for p in parts], 0))
    if bias:
        fused.bias = nn.Parameter(torch.cat([p.bias.data for p in parts], 0))
    return fused


class Head(nn.Module):
    """Final norm and LM head: hidden (W, hidden) -> float32 logits (W, width)."""

    def __init__(self, norm, head):
        super().__init__()
        self.norm, self.head = norm, head

    def forward(self, hidden):
        return (self.head(self.norm(hidden)).float(),)


class MtpHeads(nn.Module):
    """The draft's multi-token heads: hidden (W, hidden) -> float32 (W, heads, width), head k = token t+2+k."""

    def __init__(self, draft):
        super().__init__()
        self.norm, self.head, self.mtp = draft.model.norm, draft.lm_head, draft.mtp

    def forward(self, hidden):
        return (torch.stack([self.head(self.norm(m(hidden))) for m in self.mtp], 1).float(),)


# ---------------------------------------------------------------------------------------------
# models

def hf_config_dict(cfg):
    rope = getattr(cfg, "rope_parameters", None) or {}
    arch = (cfg.architectures or ["LlamaForCausalLM"])[0]
    # Qwen2: biases on q/k/v only; Llama's attention_bias: on q/k/v and o_proj
    qwen2 = arch == "Qwen2ForCausalLM"
    attention_bias = bool(getattr(cfg, "attention_bias", False))
    return dict(vocab_size=cfg.vocab_size, hidden_size=cfg.hidden_size, intermediate_size=cfg.intermediate_size,
                qkv_bias=qwen2 or attention_bias, o_bias=attention_bias and not qwen2,
                num_hidden_layers=cfg.num_hidden_layers, num_attention_heads=cfg.num_attention_heads,
                num_key_value_heads=cfg.num_key_value_heads,
                head_dim=getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads,
                rms_norm_eps=cfg.rms_norm_eps,
                rope_theta=float(rope.get("rope_theta", getattr(cfg, "rope_theta", 10000.0))),
                max_position_embeddings=cfg.max_position_embeddings,
                tie_word_embeddings=bool(getattr(cfg, "tie_word_embeddings", False)),
                architecture=arch,
                bos_token_id=-1 if cfg.bos_token_id is None else cfg.bos_token_id,
                eos_token_ids=eos_list(cfg.eos_token_id))


def eos_list(eos):
    return [] if eos is None else (list(eos) if isinstance(eos, (list, tuple)) else [eos])


def load_hf(path):
    """A GGUF file or Hugging Face directory, through transformers (as tools/train/common.py loads the target)."""
    from transformers import AutoModelForCausalLM
    if os.path.isfile(path):
        m = AutoModelForCausalLM.from_pretrained(os.path.dirname(os.path.abspath(path)), gguf_file=os.path.basename(path),
                                                 dtype=torch.float32)
    else:
        m = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32, local_files_only=True)
    arch = (m.config.architectures or ["LlamaForCausalLM"])[0]
    if arch not in ("LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM"):
        sys.exit(f"unsupported architecture {arch}: the AOTI export runs Llama, Mistral and Qwen2")
    if getattr(m.config, "use_sliding_window", False):
        sys.exit(f"{arch} with use_sliding_window: the AOTI export attends every cached slot")
    return m.eval()


class Target(nn.Module):
    """The target in common.py's modules: embed_tokens, Inner (layers + norm), lm_head."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.model = Inner(c)
        self.lm_head = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)


def target_from_hf(hf):
    c = hf_config_dict(hf.config)
    t = Target(c)
    t.embed_tokens.weight.data.copy_(hf.model.embed_tokens.weight.data)
    inner = {k[len("model."):]: v for k, v in hf.state_dict().items() if k.startswith("model.") and "embed_tokens" not in k}
    missing, unexpected = t.model.load_state_dict(inner, strict=False)
    if missing or [u for u in unexpected if "rotary" not in u]:
        sys.exit(f"weights do not match the Llama layout: missing {missing}, unexpected {unexpected}")
    t.lm_head.weight.data.copy_(hf.lm_head.weight.data)
    return t.eval()


def synthetic_target(name, layers=None):
    """Random weights of a real shape, left on the meta device: each process materializes only the
    graphs it compiles (materialize_synthetic), so parallel --graphs runs of an 8B shape fit one GPU.
    layers: fewer layers of that shape (every matmul keeps its shape), to profile a step quickly."""
    c = dict(SHAPES[name], architecture="LlamaForCausalLM", bos_token_id=1, eos_token_ids=[2])
    if layers:
        c["num_hidden_layers"] = layers
    with torch.device("meta"):
        t = Target(c)
    return t.eval()


def synthetic_names(root, namespace):
    """The names materialize_synthetic seeds a synthetic model's weights by: namespace + the parameter's name in the
    whole model, taken after its graph plan fused q/k/v and gate/up."""
    return {id(p): f"{namespace}.{n}" for n, p in root.named_parameters()}


def materialize_synthetic(module, device, dtype, names):
    """Allocates a meta module's weights on the device: norms 1, the rest N(0, 0.02) from a generator seeded by the
    weight's name (names: synthetic_names). A weight is thus the same whichever graph, export or process makes it:
    the prefix and suffix compiled apart, a one-row and a dynamic-window export, and the eager reference that
    check_aoti.py --synthetic builds all hold the same model."""
    if not any(p.is_meta for p in module.parameters()):
        return module
    # to_empty replaces the Parameter objects: name them while they are still the plan's
    local = {n: names[id(p)] for n, p in module.named_parameters()}
    module = module.to_empty(device=device).to(dtype)
    with torch.no_grad():
        for n, p in module.named_parameters():
            if n.endswith("norm.weight") or "layernorm" in n:
                p.fill_(1.0)
            else:
                g = torch.Generator(device=p.device).manual_seed(zlib.crc32(local[n].encode()))
                p.normal_(0.0, 0.02, generator=g)
    return module


def synthetic_draft(name, draft_vocab=32768, layers=2, heads=3):
    """The project's draft layout (2 target-shaped layers on the target's embedding, a reduced-vocabulary
    head, 3 multi-token heads) at a real shape, random weights on the meta device. Its draft vocabulary
    maps to the first draft_vocab target ids (draft_to_target.safetensors beside the export). Timing
    only: random weights agree with a random target about as often as chance does."""
    c = dict(SHAPES[name], num_hidden_layers=layers, architecture="LlamaForCausalLM", bos_token_id=1,
             eos_token_ids=[2], mirror_sd=dict(draft_vocab_size=draft_vocab, mtp_heads=heads))
    with torch.device("meta"):
        d = Draft(c)
        d.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
    return d.eval(), c


def save_draft_to_target(outdir, draft_vocab):
    """The draft-to-target id map the Java side reads (the tensor the project's draft checkpoint carries)."""
    from safetensors.torch import save_file
    os.makedirs(outdir, exist_ok=True)
    save_file({"draft_to_target": torch.arange(draft_vocab, dtype=torch.int64)},
              os.path.join(outdir, "draft_to_target.safetensors"))


def load_draft(draft_dir, target_embedding):
    from safetensors.torch import load_file
    with open(os.path.join(draft_dir, "config.json")) as f:
        c = json.load(f)
    d = Draft(c)
    load_state_dict_saved(d, load_file(os.path.join(draft_dir, "model.safetensors")))
    d.embed_tokens = nn.Embedding.from_pretrained(target_embedding.detach().clone(), freeze=True)
    c = dict(c, architecture=c["architectures"][0], eos_token_ids=eos_list(c.get("eos_token_id")),
             bos_token_id=c.get("bos_token_id", -1))
    return d.eval(), c


# ---------------------------------------------------------------------------------------------
# graph plans: what each graph computes and how the Java engine chains them

def target_plan(t, exit_layers, exit_head=True):
    """Stages split after each of `exit_layers` (ascending): `prefix`, `middle1`.., `suffix`; an exit
    head (final norm + LM head) runs at any of those boundaries (runTo(l_e) stops between graphs)."""
    c, n = t.c, t.c["num_hidden_layers"]
    layers = list(t.model.layers)
    if exit_layers:
        if sorted(set(exit_layers)) != list(exit_layers) or not all(0 < k < n for k in exit_layers):
            sys.exit(f"--exit-layer takes ascending layers in [1, {n - 1}], got {exit_layers}")
        bounds = [0] + list(exit_layers) + [n]
        stages = []
        for i in range(len(bounds) - 1):
            a, b = bounds[i], bounds[i + 1]
            first, last = i == 0, i == len(bounds) - 2
            name = "prefix" if first else "suffix" if last else f"middle{i}"
            stages.append((name, CachedLayers(c, layers[a:b], a, embed=t.embed_tokens if first else None,
                                              norm=t.model.norm if last else None, head=t.lm_head if last else None,
                                              outputs=("logits",) if last else ("hidden",)),
                           a, b, "tokens" if first else "hidden", ["logits"] if last else ["hidden"]))
        heads = [("exit_head", Head(t.model.norm, t.lm_head), "exit")] if exit_head else []
    else:
        stages = [("layers", CachedLayers(c, layers, 0, embed=t.embed_tokens, norm=t.model.norm, head=t.lm_head,
                                          outputs=("logits",)), 0, n, "tokens", ["logits"])]
        heads = []
    return c, stages, heads, c["vocab_size"]


def draft_plan(d, c):
    n = c["num_hidden_layers"]
    stages = [("layers", CachedLayers(c, list(d.model.layers), 0, embed=d.embed_tokens, norm=d.model.norm, head=d.lm_head,
                                      outputs=("hidden", "logits")), 0, n, "tokens", ["hidden", "logits"])]
    heads = [("mtp", MtpHeads(d), "mtp")]
    return c, stages, heads, c["mirror_sd"]["draft_vocab_size"]


def example_inputs(c, stage_input, device, dtype, w=3, past=2, capacity=16):
    nkv, hd, layers = c["num_key_value_heads"], c["head_dim"], c["num_hidden_layers"]
    x = (torch.tensor([5, 6, 7][:w], device=device) if stage_input == "tokens"
         else torch.randn(w, c["hidden_size"], device=device, dtype=dtype))
    positions = torch.arange(past, past + w, device=device)
    mask = torch.zeros(w, past + w, device=device)
    mask[:, past:] = torch.triu(torch.full((w, w), MASKED, device=device), 1)
    write_index = torch.arange(past, past + w, device=device)
    cache = torch.zeros(layers, 2, nkv, capacity, hd, device=device, dtype=dtype)
    return (x, positions, mask, write_index, cache)


def export_program(module, args, dynamic, one=None):
    """torch.export with the declared dims; where a PyTorch version's shape solver cannot prove a
    guard over the whole declared range (seen on 2.11 for the window), with Dim.AUTO instead, then
    checked to have kept the window dynamic (a one-row window must still run: `one`, the inputs cut to
    one row, where they are neither a layer stage's nor a head's)."""
    try:
        if os.environ.get("MIRRORSD_EXPORT_AUTO") != "1":  # 1: test the fallback
            return torch.export.export(module, args, dynamic_shapes=dynamic, strict=False)
    except torch._dynamo.exc.UserError as e:
        print(f"export with declared dims failed ({str(e).splitlines()[0]}); retrying with Dim.AUTO", flush=True)
    auto = tuple({k: (Dim.AUTO if v is not Dim.STATIC else Dim.STATIC) for k, v in d.items()} for d in dynamic)
    ep = torch.export.export(module, args, dynamic_shapes=auto, strict=False)
    if one is None and len(args) == 5:  # a layer stage: x, positions, mask (W, T = past + W), write_index, cache
        past = args[2].shape[1] - args[0].shape[0]
        one = (args[0][:1], args[1][:1], args[2][:1, : past + 1], args[3][:1], args[4])
    elif one is None:  # a head: hidden (W, hidden_size)
        one = (args[0][:1],)
    ep.module()(*one)
    return ep


# Inductor's options for every graph; --max-autotune times GEMM choices (Triton templates beside cuBLAS) on
# this GPU while compiling
INDUCTOR_CONFIGS = {}


def compile_graph(name, module, args, dynamic, outdir, device, one=None):
    t0 = time.time()
    with torch.no_grad():
        ep = export_program(module, args, dynamic, one)
        pt2 = os.path.join(outdir, name + ".pt2")
        torch._inductor.aoti_compile_and_package(ep, package_path=pt2, inductor_configs=INDUCTOR_CONFIGS)
    # unpack the shared library (and any kernel binaries) next to the manifest
    gdir = os.path.join(outdir, name)
    shutil.rmtree(gdir, ignore_errors=True)
    os.makedirs(gdir)
    library = None
    with zipfile.ZipFile(pt2) as z:
        for entry in z.namelist():
            base = os.path.basename(entry)
            if entry.endswith("/") or not base.endswith((".so", ".cubin", ".fatbin", ".hsaco", ".spv")):
                continue
            with z.open(entry) as src, open(os.path.join(gdir, base), "wb") as dst:
                shutil.copyfileobj(src, dst)
            if base.endswith(".so") and (library is None or "wrapper" in base):
                library = base
    if library is None:
        sys.exit(f"{pt2} holds no shared library")
    print(f"compiled {name} in {time.time() - t0:.1f} s -> {gdir}/{library}", flush=True)
    return pt2, os.path.join(name, library)


def window_dims(max_window, max_context):
    """(window dim, example rows, attended-length dim, capacity dim) of a graph over a window and a cache."""
    # --max-window 1: a one-row decode graph of static shape, which Inductor compiles to faster kernels
    # than a dynamic window's (longer prompts are fed a row at a time by the engine's ChunkedSequence)
    win = Dim("window", min=1, max=max_window) if max_window > 1 else Dim.STATIC
    rows = min(3, max_window)
    total = Dim("attended", min=1, max=max_context)
    cap = Dim("capacity", min=2, max=max_context)
    return win, rows, total, cap


def export(c, stages, heads, width, outdir, device, dtype, max_window, max_context, only, extra, names=None):
    os.makedirs(outdir, exist_ok=True)
    win, rows, total, cap = window_dims(max_window, max_context)
    libraries = {}
    for name, module, first, last, stage_input, outs in stages:
        if only and name not in only:
            continue
        module = materialize_synthetic(module, device, dtype, names).to(device=device, dtype=dtype)
        args = example_inputs(c, stage_input, device, dtype, w=rows)
        dynamic = ({0: win} if stage_input == "tokens" else {0: win, 1: Dim.STATIC}, {0: win}, {0: win, 1: total}, {0: win},
                   {0: Dim.STATIC, 1: Dim.STATIC, 2: Dim.STATIC, 3: cap, 4: Dim.STATIC})
        _, libraries[name] = compile_graph(name, module, args, dynamic, outdir, device)
    for name, module, kind in heads:
        if only and name not in only:
            continue
        module = materialize_synthetic(module, device, dtype, names).to(device=device, dtype=dtype)
        hidden = torch.randn(rows, c["hidden_size"], device=device, dtype=dtype)
        _, libraries[name] = compile_graph(name, module, (hidden,), ({0: win, 1: Dim.STATIC},), outdir, device)
    manifest = {
        "format": FORMAT,
        "device": device,
        "dtype": str(dtype).replace("torch.", ""),
        "max_window": max_window,
        "max_context": max_context,
        "masked_value": MASKED,
        "logits_width": width,
        "architecture": c.get("architecture", "LlamaForCausalLM"),
        "vocab": c["vocab_size"], "hidden_size": c["hidden_size"], "intermediate_size": c["intermediate_size"],
        "num_layers": c["num_hidden_layers"], "num_heads": c["num_attention_heads"],
        "kv_heads": c["num_key_value_heads"], "head_dim": c["head_dim"],
        "max_positions": c["max_position_embeddings"], "rms_norm_eps": c["rms_norm_eps"],
        "rope_theta": c["rope_theta"], "tie_word_embeddings": bool(c.get("tie_word_embeddings", False)),
        "bos_token_id": c.get("bos_token_id", -1), "eos_token_ids": c.get("eos_token_ids", []),
        "stages": [{"graph": n, "library": libraries.get(n, f"{n}/MISSING"), "first_layer": f, "end_layer": e,
                    "input": i, "outputs": o} for n, _, f, e, i, o in stages],
        "heads": [{"graph": n, "library": libraries.get(n, f"{n}/MISSING"), "kind": k} for n, _, k in heads],
    }
    manifest.update(extra)
    if c.get("mirror_sd"):
        manifest["mtp_heads"] = c["mirror_sd"]["mtp_heads"]
    path = os.path.join(outdir, MANIFEST if not only else MANIFEST + "." + "-".join(sorted(only)))
    with open(path, "w") as f:
        json.dump(manifest, f, indent=2)
    return manifest


# the manifest lists that name graphs: a model's stages and heads, the feature draft's graphs
GRAPH_LISTS = ("stages", "heads", "graphs")


def merge_manifests(outdir):
    """After parallel `--graphs` runs: one manifest with every graph's library."""
    parts = [f for f in os.listdir(outdir) if f.startswith(MANIFEST + ".")]
    if not parts:
        sys.exit(f"no part manifests ({MANIFEST}.*) in {outdir}")
    merged = None
    for p in sorted(parts):
        with open(os.path.join(outdir, p)) as f:
            m = json.load(f)
        if merged is None:
            merged = m
        for key in GRAPH_LISTS:
            for i, g in enumerate(m.get(key, [])):
                if not g["library"].endswith("MISSING"):
                    merged[key][i]["library"] = g["library"]
    with open(os.path.join(outdir, MANIFEST), "w") as f:
        json.dump(merged, f, indent=2)
    missing = [g["graph"] for k in GRAPH_LISTS for g in merged.get(k, []) if g["library"].endswith("MISSING")]
    if missing:
        sys.exit(f"graphs not compiled: {missing}")
    print("merged", len(parts), "manifests into", os.path.join(outdir, MANIFEST))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--target", help="GGUF file or Hugging Face directory")
    src.add_argument("--draft", help="the project's draft directory (models/draft)")
    src.add_argument("--feature-draft", help="the feature draft's directory (models/feature-draft): graphs fc, step")
    src.add_argument("--synthetic", choices=sorted(SHAPES), help="random weights of a real shape (timing only)")
    src.add_argument("--synthetic-draft", choices=sorted(SHAPES),
                     help="the project's draft layout at a real shape, random weights (timing only)")
    ap.add_argument("--synthetic-layers", type=int, help="with --synthetic: only this many layers (profiling)")
    ap.add_argument("--embedding-from", help="the target whose embedding the draft shares (GGUF or HF dir)")
    ap.add_argument("--exit-layer", default="",
                    help="split the target after this many layers (comma-separated for several exit points: 12,24)")
    ap.add_argument("--no-exit-head", action="store_true",
                    help="split at --exit-layer without an exit head (parallel compiles of a large target)")
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    ap.add_argument("--max-window", type=int, default=64)
    ap.add_argument("--max-context", type=int, default=2048)
    ap.add_argument("--max-autotune", action="store_true",
                    help="let Inductor time GEMM kernels on this GPU while compiling (slower to compile)")
    ap.add_argument("--graphs", help="compile only these graphs (comma-separated); run --merge after")
    ap.add_argument("--merge", action="store_true", help="merge the manifests of parallel --graphs runs")
    args = ap.parse_args()
    if args.merge:
        return merge_manifests(args.outdir)
    if args.device == "cuda" and args.max_window == 1 and args.dtype == "bfloat16":
        # measured with check_aoti.py --synthetic (PyTorch 2.11, H200): max |logit error| 2.8 on a 2-layer SmolLM2
        # shape and 9.1 on the 8B shape, where float16, float32 and a 16-row window match eager; it takes the static
        # row beside the dynamic attended length and capacity (docs/design/engines.md), so refused, not worked around
        ap.error("a one-row (--max-window 1) bfloat16 graph computes wrong logits on CUDA with AOTInductor; "
                 "use --dtype float16 (same bytes per weight, checked) or a --max-window above 1")
    if args.max_autotune:
        INDUCTOR_CONFIGS["max_autotune"] = True
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dtype = getattr(torch, args.dtype)
    only = set(args.graphs.split(",")) if args.graphs else None
    exits = [int(k) for k in args.exit_layer.split(",") if k.strip()]
    extra, names = {}, None
    if args.feature_draft:
        if not args.embedding_from:
            ap.error("--feature-draft needs --embedding-from TARGET (the draft shares the target's embedding)")
        # run as a script this module is __main__: feature_draft_graphs' `from export_aoti import` must find it, not
        # load a second copy whose INDUCTOR_CONFIGS --max-autotune never set
        sys.modules.setdefault("export_aoti", sys.modules[__name__])
        import feature_draft_graphs
        if only and not only <= set(feature_draft_graphs.GRAPHS):
            ap.error(f"the feature draft's graphs are {','.join(feature_draft_graphs.GRAPHS)}")
        draft = feature_draft_graphs.load(args.feature_draft, load_hf(args.embedding_from).model.embed_tokens.weight)
        feature_draft_graphs.export(draft, args.outdir, args.device, dtype, args.max_window, args.max_context, only,
                                    os.path.basename(os.path.abspath(args.feature_draft)))
        return
    if args.target:
        c, stages, heads, width = target_plan(target_from_hf(load_hf(args.target)), exits, not args.no_exit_head)
        extra["source"] = os.path.basename(os.path.abspath(args.target))
    elif args.draft:
        if not args.embedding_from:
            ap.error("--draft needs --embedding-from TARGET (the draft shares the target's embedding)")
        hf = load_hf(args.embedding_from)
        d, c = load_draft(args.draft, hf.model.embed_tokens.weight)
        c, stages, heads, width = draft_plan(d, c)
        extra["source"] = os.path.basename(os.path.abspath(args.draft))
    elif args.synthetic:
        t = synthetic_target(args.synthetic, args.synthetic_layers)
        c, stages, heads, width = target_plan(t, exits, not args.no_exit_head)
        names = synthetic_names(t, "target")
        extra["source"] = args.synthetic + (f" ({args.synthetic_layers} layers)" if args.synthetic_layers else "")
        extra["synthetic"] = True
    elif args.synthetic_draft:
        d, c = synthetic_draft(args.synthetic_draft)
        c, stages, heads, width = draft_plan(d, c)
        names = synthetic_names(d, "draft")
        # the draft shares the target's embedding, as the project's draft does
        names[id(d.embed_tokens.weight)] = "target.embed_tokens.weight"
        save_draft_to_target(args.outdir, width)
        extra["source"] = args.synthetic_draft + " draft layout"
        extra["synthetic"] = True
    else:
        ap.error("give --target, --draft, --feature-draft, --synthetic or --synthetic-draft")
    if exits and not args.no_exit_head:
        extra["exit_layer"] = exits[0]
        extra["exit_layers"] = exits
    export(c, stages, heads, width, args.outdir, args.device, dtype, args.max_window, args.max_context, only, extra,
           names)


if __name__ == "__main__":
    main()
