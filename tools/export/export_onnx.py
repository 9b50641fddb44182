#!/usr/bin/env python3
"""Exports a Llama-family checkpoint to ONNX with the KV cache as inputs and outputs.

The graph takes an explicit additive attention mask, so one call can verify a tree of draft
tokens: row i of the window attends every cached position and the window rows on its own path
to the root. See tools/export/README.md for the I/O contract.

    export_onnx.py CHECKPOINT_DIR OUTDIR          # a Hugging Face Llama/Mistral/Qwen2 directory
    export_onnx.py --tiny-random OUTDIR           # a seeded tiny LlamaForCausalLM (test fixture)
    export_onnx.py --tiny-random OUTDIR --reference   # ... plus reference.json from transformers
    export_onnx.py ... --early-exit-layer K           # ... plus exit_logits.K (early-exit proxy)

CPU only; nothing is downloaded.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
from torch import nn
from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM
from transformers.models.llama.modeling_llama import apply_rotary_pos_emb

SUPPORTED = ("LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM")
SIDECAR = "mirror-sd-onnx.json"
MASKED = -1e9  # additive mask value for a position a row must not see
OPSET = 17


class KvCacheLM(nn.Module):
    """The decoder with the attention written out: past K/V in, present K/V out, mask given.

    Embedding, norms, projections, rotary tables and MLPs are the Hugging Face modules themselves;
    only the cache concatenation and masked softmax attention are spelled out here, so that the
    TorchScript exporter sees plain tensor ops.
    """

    def __init__(self, model, exit_layers=()):
        super().__init__()
        self.model = model
        self.exit_layers = sorted(set(exit_layers))
        cfg = model.config
        self.num_layers = cfg.num_hidden_layers
        self.num_heads = cfg.num_attention_heads
        self.kv_heads = cfg.num_key_value_heads
        self.head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads

    def forward(self, input_ids, position_ids, attention_mask, *past):
        inner = self.model.model
        nh, nkv, hd = self.num_heads, self.kv_heads, self.head_dim
        groups = nh // nkv
        # embedding: (1, W, hidden)
        h = inner.embed_tokens(input_ids)
        # rotary tables for the window's absolute positions: (1, W, head_dim)
        cos, sin = inner.rotary_emb(h, position_ids)
        presents, exits = [], []
        for i, layer in enumerate(inner.layers):
            attn = layer.self_attn
            # attention rmsnorm
            x = layer.input_layernorm(h)
            # qkv matmuls: (1, heads, W, head_dim)
            q = attn.q_proj(x).view(1, -1, nh, hd).transpose(1, 2)
            k = attn.k_proj(x).view(1, -1, nkv, hd).transpose(1, 2)
            v = attn.v_proj(x).view(1, -1, nkv, hd).transpose(1, 2)
            q, k = apply_rotary_pos_emb(q, k, cos, sin)
            # cache: (1, kv_heads, P+W, head_dim)
            k = torch.cat([past[2 * i], k], dim=2)
            v = torch.cat([past[2 * i + 1], v], dim=2)
            presents += [k, v]
            # grouped-query attention: each kv head serves `groups` query heads
            kq = k[:, :, None].expand(1, nkv, groups, k.shape[2], hd).reshape(1, nh, -1, hd)
            vq = v[:, :, None].expand(1, nkv, groups, v.shape[2], hd).reshape(1, nh, -1, hd)
            scores = torch.matmul(q, kq.transpose(2, 3)) * attn.scaling + attention_mask
            probs = torch.softmax(scores, dim=-1)
            o = torch.matmul(probs, vq).transpose(1, 2).reshape(1, -1, nh * hd)
            # residual
            h = h + attn.o_proj(o)
            # ffn rmsnorm, swiglu, residual
            h = h + layer.mlp(layer.post_attention_layernorm(h))
            # early-exit proxy: final norm and LM head after i + 1 layers, (1, W, vocab)
            if i + 1 in self.exit_layers:
                exits.append(self.model.lm_head(inner.norm(h)))
        # final norm and LM head: (1, W, vocab)
        logits = self.model.lm_head(inner.norm(h))
        return (logits, *presents, *exits)


def io_names(num_layers, exit_layers=()):
    past = [n for i in range(num_layers) for n in (f"past_key.{i}", f"past_value.{i}")]
    present = [n for i in range(num_layers) for n in (f"present_key.{i}", f"present_value.{i}")]
    exits = [f"exit_logits.{k}" for k in sorted(set(exit_layers))]
    return ["input_ids", "position_ids", "attention_mask"] + past, ["logits"] + present + exits


def tree_mask(parents, past_len):
    """Additive mask (1, 1, W, P+W): every cached position, plus the row's ancestor path."""
    w = len(parents)
    mask = np.full((1, 1, w, past_len + w), MASKED, dtype=np.float32)
    mask[..., :past_len] = 0.0
    for row in range(w):
        r = row
        while r >= 0:
            mask[0, 0, row, past_len + r] = 0.0
            r = parents[r]
    return mask


def export(model, outdir, exit_layers=()):
    model.eval()
    n = model.config.num_hidden_layers
    for k in exit_layers:
        if not 0 < k < n:
            sys.exit(f"early-exit layer {k} must be in [1, {n - 1}]")
    wrapper = KvCacheLM(model, exit_layers).eval()
    inputs, outputs = io_names(n, exit_layers)
    w, p = 3, 2
    args = [torch.tensor([[1, 2, 3]], dtype=torch.int64), torch.tensor([[2, 3, 4]], dtype=torch.int64),
            torch.from_numpy(tree_mask([-1, 0, 1], p))]
    args += [torch.zeros(1, wrapper.kv_heads, p, wrapper.head_dim) for _ in range(2 * n)]
    dynamic = {"input_ids": {1: "W"}, "position_ids": {1: "W"}, "attention_mask": {2: "W", 3: "PW"},
               "logits": {1: "W"}}
    for name in inputs[3:]:
        dynamic[name] = {2: "P"}
    for name in outputs[1:]:
        dynamic[name] = {1: "W"} if name.startswith("exit_logits") else {2: "PW"}
    os.makedirs(outdir, exist_ok=True)
    path = os.path.join(outdir, "model.onnx")
    with torch.no_grad():
        torch.onnx.export(wrapper, tuple(args), path, input_names=inputs, output_names=outputs,
                          dynamic_axes=dynamic, opset_version=OPSET, dynamo=False, do_constant_folding=True)
    write_sidecar(model.config, wrapper, outdir, inputs, outputs)
    return path


def write_sidecar(cfg, wrapper, outdir, inputs, outputs):
    eos = cfg.eos_token_id
    eos = [] if eos is None else (list(eos) if isinstance(eos, (list, tuple)) else [eos])
    rope = getattr(cfg, "rope_parameters", None) or {}
    theta = rope.get("rope_theta", getattr(cfg, "rope_theta", 10000.0))
    sidecar = {
        "format": "mirror-sd-onnx/1",
        "architecture": (cfg.architectures or ["LlamaForCausalLM"])[0],
        "num_layers": wrapper.num_layers,
        "num_heads": wrapper.num_heads,
        "kv_heads": wrapper.kv_heads,
        "head_dim": wrapper.head_dim,
        "vocab": cfg.vocab_size,
        "hidden_size": cfg.hidden_size,
        "intermediate_size": cfg.intermediate_size,
        "max_positions": cfg.max_position_embeddings,
        "rms_norm_eps": cfg.rms_norm_eps,
        "rope_theta": theta,
        "tie_word_embeddings": bool(getattr(cfg, "tie_word_embeddings", False)),
        "attention_bias": bool(getattr(cfg, "attention_bias", cfg.model_type == "qwen2")),
        "bos_token_id": -1 if cfg.bos_token_id is None else cfg.bos_token_id,
        "eos_token_ids": eos,
        "masked_value": MASKED,
        "early_exit_layers": wrapper.exit_layers,
        "inputs": {"input_ids": inputs[0], "position_ids": inputs[1], "attention_mask": inputs[2],
                   "past_key": [f"past_key.{i}" for i in range(wrapper.num_layers)],
                   "past_value": [f"past_value.{i}" for i in range(wrapper.num_layers)]},
        "outputs": {"logits": outputs[0],
                    "present_key": [f"present_key.{i}" for i in range(wrapper.num_layers)],
                    "present_value": [f"present_value.{i}" for i in range(wrapper.num_layers)],
                    "exit_logits": {str(k): f"exit_logits.{k}" for k in wrapper.exit_layers}},
    }
    with open(os.path.join(outdir, SIDECAR), "w") as f:
        json.dump(sidecar, f, indent=2)


def tiny_random_llama(seed=1234):
    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                      initializer_range=0.2, rms_norm_eps=1e-5, bos_token_id=1, eos_token_id=2,
                      tie_word_embeddings=False, architectures=["LlamaForCausalLM"])
    cfg._attn_implementation = "eager"
    return LlamaForCausalLM(cfg).eval()


# ---------------------------------------------------------------------------------------------
# verification against transformers

class OrtRunner:
    def __init__(self, path, sidecar):
        import onnxruntime as ort
        self.session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        self.s = sidecar

    def run(self, tokens, positions, parents, past):
        """past: list of (k, v) numpy arrays; returns logits (W, vocab) and the new past."""
        p = 0 if not past else past[0][0].shape[2]
        feed = {"input_ids": np.array([tokens], dtype=np.int64),
                "position_ids": np.array([positions], dtype=np.int64),
                "attention_mask": tree_mask(parents, p)}
        for i in range(self.s["num_layers"]):
            empty = np.zeros((1, self.s["kv_heads"], 0, self.s["head_dim"]), dtype=np.float32)
            feed[f"past_key.{i}"] = past[i][0] if past else empty
            feed[f"past_value.{i}"] = past[i][1] if past else empty
        out = self.session.run(None, feed)
        n = self.s["num_layers"]
        self.exits = {k: out[1 + 2 * n + j][0] for j, k in enumerate(self.s["early_exit_layers"])}
        return out[0][0], [(out[1 + 2 * i], out[2 + 2 * i]) for i in range(n)]


def hf_exit_logits(model, tokens, layer):
    """The early-exit proxy: final norm and LM head on the hidden state after `layer` layers."""
    with torch.no_grad():
        hidden = model(torch.tensor([tokens], dtype=torch.int64), output_hidden_states=True).hidden_states[layer]
        return model.lm_head(model.model.norm(hidden))[0].float().numpy()


def hf_logits(model, tokens):
    with torch.no_grad():
        return model(torch.tensor([tokens], dtype=torch.int64)).logits[0].float().numpy()


def ancestor_path(parents, row):
    path = []
    while row >= 0:
        path.append(row)
        row = parents[row]
    return path[::-1]


def verify(model, outdir, prompt, tree_tokens, tree_parents, tol=1e-4):
    with open(os.path.join(outdir, SIDECAR)) as f:
        sidecar = json.load(f)
    ort_lm = OrtRunner(os.path.join(outdir, "model.onnx"), sidecar)
    n = len(prompt)
    # prefill: the whole prompt as one chain window
    expected = hf_logits(model, prompt)
    got, past = ort_lm.run(prompt, list(range(n)), [i - 1 for i in range(n)], None)
    report("prefill", np.abs(got - expected).max(), tol)
    exits = {k: hf_exit_logits(model, prompt, k) for k in sidecar["early_exit_layers"]}
    for k, e in exits.items():
        report(f"prefill exit logits after layer {k}", np.abs(ort_lm.exits[k] - e).max(), tol)
    # decode: one token with a past
    nxt = int(expected[-1].argmax())
    got1, _ = ort_lm.run([nxt], [n], [-1], past)
    report("decode step", np.abs(got1[0] - hf_logits(model, prompt + [nxt])[-1]).max(), tol)
    # tree window after the prompt
    positions = [n + len(ancestor_path(tree_parents, r)) - 1 for r in range(len(tree_tokens))]
    got_tree, _ = ort_lm.run(tree_tokens, positions, tree_parents, past)
    tree_expected = np.stack([hf_logits(model, prompt + [tree_tokens[a] for a in ancestor_path(tree_parents, r)])[-1]
                              for r in range(len(tree_tokens))])
    report("tree window", np.abs(got_tree - tree_expected).max(), tol)
    return expected, tree_expected, exits


def report(what, diff, tol):
    print(f"{what}: max |ort - transformers| = {diff:.3g}")
    if not diff < tol:
        sys.exit(f"{what}: difference {diff} exceeds {tol}")


def greedy(model, prompt, steps):
    tokens = list(prompt)
    for _ in range(steps):
        tokens.append(int(hf_logits(model, tokens)[-1].argmax()))
    return tokens[len(prompt):]


def write_reference(model, outdir, prompt, tree_tokens, tree_parents, prompt_logits, tree_logits, exits):
    ref = {"input_ids": prompt,
           "prompt_logits": np.round(prompt_logits, 6).tolist(),
           "exit_prompt_logits": {str(k): np.round(e, 6).tolist() for k, e in exits.items()},
           "greedy_steps": 32,
           "greedy_continuation": greedy(model, prompt, 32),
           "tree": {"tokens": tree_tokens, "parents": tree_parents,
                    "logits": np.round(tree_logits, 6).tolist(),
                    "note": "row r's logits are the chain prompt + ancestor path of r, last position"}}
    with open(os.path.join(outdir, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", nargs="?", help="Hugging Face checkpoint directory")
    ap.add_argument("outdir", nargs="?", help="output directory (model.onnx + " + SIDECAR + ")")
    ap.add_argument("--tiny-random", metavar="OUTDIR", help="export a seeded tiny random LlamaForCausalLM")
    ap.add_argument("--reference", action="store_true", help="also write reference.json from transformers")
    ap.add_argument("--early-exit-layer", type=int, action="append", default=[], metavar="K",
                    help="also output exit_logits.K, the LM head after K layers (repeatable)")
    ap.add_argument("--no-verify", action="store_true", help="skip the onnxruntime vs transformers check")
    args = ap.parse_args()
    if args.tiny_random:
        model, outdir = tiny_random_llama(), args.tiny_random
    elif args.checkpoint and args.outdir:
        model = AutoModelForCausalLM.from_pretrained(args.checkpoint, dtype=torch.float32,
                                                     attn_implementation="eager", local_files_only=True)
        arch = (model.config.architectures or ["?"])[0]
        if arch not in SUPPORTED:
            sys.exit(f"unsupported architecture {arch}; supported: {', '.join(SUPPORTED)}")
        outdir = args.outdir
    else:
        ap.error("give CHECKPOINT_DIR OUTDIR, or --tiny-random OUTDIR")
    path = export(model, outdir, args.early_exit_layer)
    print(f"wrote {path} and {os.path.join(outdir, SIDECAR)}")
    if args.no_verify:
        return
    vocab = model.config.vocab_size
    prompt = [int(t) for t in np.random.default_rng(7).integers(3, vocab, size=8)]
    tree_tokens = [int(t) for t in np.random.default_rng(8).integers(3, vocab, size=7)]
    tree_parents = [-1, 0, 0, 1, 1, 2, -1]
    prompt_logits, tree_logits, exits = verify(model, outdir, prompt, tree_tokens, tree_parents)
    if args.reference:
        write_reference(model, outdir, prompt, tree_tokens, tree_parents, prompt_logits, tree_logits, exits)
        print(f"wrote {os.path.join(outdir, 'reference.json')}")


if __name__ == "__main__":
    main()
