"""Writes the feature draft in the contract's format, and its reference values for a runtime to check against.

  fd_export.py --ckpt CKPT.pt --out DIR              model.safetensors + config.json from a training checkpoint
  fd_export.py --reference DIR [--device cpu]        DIR/reference.json from DIR's model.safetensors (fp32 math)
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fd_draft import FeatureDraft, DraftRunner  # noqa: E402

SHAPES = {
    "fc.weight": lambda c: [c["hidden_size"], len(c["feature_layers"]) * c["hidden_size"]],
    "layer.input_layernorm.weight": lambda c: [c["hidden_size"]],
    "layer.hidden_norm.weight": lambda c: [c["hidden_size"]],
    "layer.self_attn.q_proj.weight": lambda c: [c["num_attention_heads"] * c["head_dim"], 2 * c["hidden_size"]],
    "layer.self_attn.k_proj.weight": lambda c: [c["num_key_value_heads"] * c["head_dim"], 2 * c["hidden_size"]],
    "layer.self_attn.v_proj.weight": lambda c: [c["num_key_value_heads"] * c["head_dim"], 2 * c["hidden_size"]],
    "layer.self_attn.o_proj.weight": lambda c: [c["hidden_size"], c["num_attention_heads"] * c["head_dim"]],
    "layer.post_attention_layernorm.weight": lambda c: [c["hidden_size"]],
    "layer.mlp.gate_proj.weight": lambda c: [c["intermediate_size"], c["hidden_size"]],
    "layer.mlp.up_proj.weight": lambda c: [c["intermediate_size"], c["hidden_size"]],
    "layer.mlp.down_proj.weight": lambda c: [c["hidden_size"], c["intermediate_size"]],
    "norm.weight": lambda c: [c["hidden_size"]],
    "d2t": lambda c: [c["draft_vocab_size"]],
}

REFERENCE_PROMPTS = [
    "What are three good habits for keeping a small vegetable garden healthy?",
    "Explain in simple words why the sky looks blue during the day.",
    "Write a short poem about a cat watching the rain.",
]


def export_tensors(draft):
    sd = {k: v for k, v in draft.state_dict().items()}
    out = {}
    for k, v in sd.items():
        out[k] = v.to(torch.int32).contiguous() if k == "d2t" else v.detach().to(torch.float16).contiguous().cpu()
    return out


def check_tensors(tensors, c):
    """Raises ValueError unless `tensors` is exactly the contract's set of names, shapes and dtypes."""
    want = set(SHAPES)
    have = set(tensors)
    if want != have:
        raise ValueError(f"tensor names differ from the contract: missing {sorted(want - have)}, extra {sorted(have - want)}")
    for k, f in SHAPES.items():
        if list(tensors[k].shape) != f(c):
            raise ValueError(f"{k}: shape {list(tensors[k].shape)}, contract {f(c)}")
        dt = torch.int32 if k == "d2t" else torch.float16
        if tensors[k].dtype != dt:
            raise ValueError(f"{k}: dtype {tensors[k].dtype}, contract {dt}")
    d2t = tensors["d2t"].long()
    if not bool((d2t[1:] > d2t[:-1]).all()) or int(d2t.min()) < 0 or int(d2t.max()) >= c["target_vocab_size"]:
        raise ValueError("d2t must be strictly increasing target ids")


def save(draft, out_dir, training=None):
    from safetensors.torch import save_file
    os.makedirs(out_dir, exist_ok=True)
    t = export_tensors(draft)
    check_tensors(t, draft.c)
    save_file(t, os.path.join(out_dir, "model.safetensors"))
    cfg = dict(draft.c)
    if training is not None:
        cfg["training"] = training
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)


def load(dir_, embed=None):
    from safetensors.torch import load_file
    with open(os.path.join(dir_, "config.json")) as f:
        c = json.load(f)
    c.pop("training", None)
    t = load_file(os.path.join(dir_, "model.safetensors"))
    check_tensors(t, c)
    d = FeatureDraft(c, embed)
    d.load_state_dict({k: (v if k == "d2t" else v.float()) for k, v in t.items()}, strict=True)
    return d


@torch.no_grad()
def reference(dir_, device="cpu", steps=4, new_tokens=16, target=None, tok=None):
    from fd_target import load_target, load_tokenizer
    from fd_data import chat_ids
    tf32 = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    tok = tok or load_tokenizer()
    target = target or load_target(device)
    emb = target.get_input_embeddings().weight.float()
    draft = load(dir_, emb).to(device).eval()
    layers = draft.c["feature_layers"]
    eos = tok.convert_tokens_to_ids("<|im_end|>")
    out = {"note": ("fp32 math on the fp16 weights. Draft prefill: positions 0..P-1 of the prompt, the entry at "
                    "position i reads token prompt[i] and the target's feature at i-1 (position 0: a zero "
                    "feature). Step 1 sits at position P: token = continuation[0] (the target's first token), "
                    "h = fc(target feature at P-1, the last prompt position). Steps 2-4 at P+1..P+3: h = the "
                    "draft's own g at the previous position, token = its own previous top-1. top1_logit is the "
                    "draft-vocab logit value of the top-1, top1_id its target id (d2t)."),
           "feature_layers": layers, "prompts": []}
    for pi, text in enumerate(REFERENCE_PROMPTS):
        ids = chat_ids(tok, text)
        g = target.generate(input_ids=torch.tensor([ids], device=device), max_new_tokens=new_tokens,
                            do_sample=False, eos_token_id=eos, pad_token_id=eos)
        cont = g[0, len(ids):].tolist()
        o = target(input_ids=torch.tensor([ids], device=device), output_hidden_states=True)
        feats = torch.cat([o.hidden_states[l][0].float() for l in layers], -1)
        r = DraftRunner(draft)
        u = r.prefill(torch.tensor(ids, device=device), feats)
        chain = r.chain(u, cont[0], steps)
        entry = {"user": text, "prompt_ids": ids, "continuation": cont,
                 "step_tokens_in": [cont[0]] + [c[1] for c in chain[:-1]],
                 "top1_logit": [c[0] for c in chain], "top1_id": [c[1] for c in chain],
                 "step1_feature_first8": feats[-1, :8].tolist(),
                 "step1_h_first8": u[:8].tolist()}
        if pi == 0:
            entry["step1_logits"] = [round(x, 5) for x in chain[0][2].tolist()]
        out["prompts"].append(entry)
    with open(os.path.join(dir_, "reference.json"), "w") as f:
        json.dump(out, f)
    torch.backends.cuda.matmul.allow_tf32 = tf32
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt")
    ap.add_argument("--out")
    ap.add_argument("--reference")
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    if a.ckpt:
        ck = torch.load(a.ckpt, map_location="cpu", weights_only=False)
        d = FeatureDraft(ck["config"])
        d.load_state_dict(ck["draft"], strict=True)
        save(d, a.out, ck.get("training"))
    if a.reference:
        reference(a.reference, a.device)
