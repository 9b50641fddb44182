"""Stage 6 (CPU): write models/draft/ from the trained weights.

Usage: export.py [--ckpt DATA/draft.pt | --parts 'build/run/draft_fp16_*.pt'] [--out models/draft] [--metrics M.json]
Writes: config.json, generation_config.json, model.safetensors (fp16; draft_to_target int64),
        draft.onnx (+ mirror-sd-onnx.json): its fp16 weights are NOT copied: they are ONNX external data pointing
        into model.safetensors (offsets), each followed by a Cast to float32, so the two files share one copy;
        reference.json: fixtures from this file's own PyTorch forward in fp32.
Verifies ONNX Runtime against PyTorch (max abs diff) with a past cache and a tree mask.
"""
import argparse
import glob
import json
import os
import struct

import numpy as np
import torch

from common import Draft, causal_mask_additive, chat_ids, load_state_dict_saved, load_target, load_tokenizer, state_dict_for_save

ap = argparse.ArgumentParser()
ap.add_argument("--ckpt", default=None)
ap.add_argument("--parts", default="build/run/draft_fp16_*.pt")
ap.add_argument("--out", default="models/draft")
args = ap.parse_args()
os.makedirs(args.out, exist_ok=True)

if args.ckpt:
    ck = torch.load(args.ckpt); cfg, state = ck["config"], ck["state"]
else:
    state, cfg = {}, None
    for f in sorted(glob.glob(args.parts)):
        p = torch.load(f); state.update(p["state"]); cfg = p["meta"]["config"]
draft = Draft(cfg)
draft.load_state_dict({k: (v.half().float() if v.is_floating_point() else v) for k, v in state.items()})
draft.eval()
sd = state_dict_for_save(draft, torch.float16)

from safetensors.torch import save_file
st_path = os.path.join(args.out, "model.safetensors")
save_file(sd, st_path, metadata={"format": "pt"})
json.dump(cfg, open(os.path.join(args.out, "config.json"), "w"), indent=2)
json.dump({"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 2, "do_sample": False, "max_new_tokens": 256},
          open(os.path.join(args.out, "generation_config.json"), "w"), indent=2)
print("wrote", st_path, os.path.getsize(st_path))

# ---- ONNX -------------------------------------------------------------------
L, KV, HD, D = cfg["num_hidden_layers"], cfg["num_key_value_heads"], cfg["head_dim"], cfg["hidden_size"]
N, K = cfg["mirror_sd"]["draft_vocab_size"], cfg["mirror_sd"]["mtp_heads"]


class OnnxWrap(torch.nn.Module):
    def __init__(self, d):
        super().__init__(); self.d = d

    def forward(self, inputs_embeds, position_ids, attention_mask, *past):
        pk = [(past[2 * i], past[2 * i + 1]) for i in range(L)]
        logits, mtp, pres = self.d(inputs_embeds, position_ids, attention_mask, pk)
        outs = [logits, mtp]
        for k, v in pres:
            outs += [k, v]
        return tuple(outs)


in_names = ["inputs_embeds", "position_ids", "attention_mask"] + [f"past_{t}.{i}" for i in range(L) for t in ("key", "value")]
out_names = ["logits", "mtp_logits"] + [f"present_{t}.{i}" for i in range(L) for t in ("key", "value")]
dyn = {"inputs_embeds": {1: "W"}, "position_ids": {1: "W"}, "attention_mask": {2: "W", 3: "PW"},
       "logits": {1: "W"}, "mtp_logits": {1: "W"}}
for i in range(L):
    for t in ("key", "value"):
        dyn[f"past_{t}.{i}"] = {2: "P"}; dyn[f"present_{t}.{i}"] = {2: "PW"}
P0, W0 = 3, 2
ex = (torch.randn(1, W0, D), torch.arange(P0, P0 + W0)[None], causal_mask_additive(P0, W0, "cpu")) + \
     tuple(torch.randn(1, KV, P0, HD) for _ in range(2 * L))
onnx_path = os.path.join(args.out, "draft.onnx")
wrap = OnnxWrap(draft)
torch.onnx.export(wrap, ex, onnx_path, input_names=in_names, output_names=out_names, dynamic_axes=dyn,
                  opset_version=17, do_constant_folding=False, dynamo=False)

import onnx
from onnx import helper, TensorProto
m = onnx.load(onnx_path)
hdr_len = struct.unpack("<Q", open(st_path, "rb").read(8))[0]
hdr = json.loads(open(st_path, "rb").read(8 + hdr_len)[8:])
onnx_name = {}  # ONNX initializer name -> safetensors name
for k in sd:
    tn = k.replace("mtp.", "d.mtp.").replace(".weight", ".lin.weight").replace(".bias", ".lin.bias") if k.startswith("mtp.") else "d." + k
    onnx_name[tn] = k
new_inits, casts, linked = [], [], 0
for init in m.graph.initializer:
    if init.name in onnx_name:
        k = onnx_name[init.name]
        a, b = hdr[k]["data_offsets"]
        t = TensorProto(); t.name = init.name + "_fp16"; t.data_type = TensorProto.FLOAT16; t.dims.extend(init.dims)
        t.data_location = TensorProto.EXTERNAL
        for key, val in (("location", "model.safetensors"), ("offset", str(8 + hdr_len + a)), ("length", str(b - a))):
            e = t.external_data.add(); e.key, e.value = key, val
        new_inits.append(t)
        casts.append(helper.make_node("Cast", [t.name], [init.name], to=TensorProto.FLOAT, name="cast_" + init.name))
        linked += 1
    else:
        new_inits.append(init)
assert linked == len(sd) - 1, (linked, len(sd), [i.name for i in m.graph.initializer][:40])
del m.graph.initializer[:]
m.graph.initializer.extend(new_inits)
nodes = list(m.graph.node)
del m.graph.node[:]
m.graph.node.extend(casts + nodes)
onnx.save(m, onnx_path)
print("wrote", onnx_path, os.path.getsize(onnx_path), f"({linked} weights linked into model.safetensors)")

import onnxruntime as ort
sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
worst = 0.0
rng = np.random.RandomState(0)
for P, W, tree in ((0, 5, False), (7, 1, False), (7, 4, True)):
    emb = torch.tensor(rng.randn(1, W, D).astype(np.float32) * 0.05)
    pos = torch.arange(P, P + W)[None]
    mask = causal_mask_additive(P, W, "cpu")
    if tree:  # two branches of 2: nodes 0,1 = branch A, nodes 2,3 = branch B
        mask[0, 0, 2, P + 0] = mask[0, 0, 2, P + 1] = float("-inf")
        mask[0, 0, 3, P + 0] = mask[0, 0, 3, P + 1] = float("-inf")
        pos = torch.tensor([[P, P + 1, P, P + 1]])
    mask = mask.clamp_min(-1e9)
    past = [torch.randn(1, KV, P, HD) for _ in range(2 * L)]
    with torch.no_grad():
        ref = wrap(emb, pos, mask, *past)
    feeds = {"inputs_embeds": emb.numpy(), "position_ids": pos.numpy(), "attention_mask": mask.numpy()}
    feeds.update({n: p.numpy() for n, p in zip(in_names[3:], past)})
    got = sess.run(out_names, feeds)
    d = max(float(np.abs(g - r.numpy()).max()) for g, r in zip(got, ref))
    worst = max(worst, d)
    print(f"ORT vs PyTorch P={P} W={W} tree={tree}: max abs diff {d:.2e}")
assert worst < 1e-3
# the project's ONNX sidecar format (tools/export/export_onnx.py, read by core's OnnxSidecar), with the draft's
# optional parts: inputs_embeds (the target's embedding rows), a reduced head (logits_width) and mtp_logits
json.dump({
    "format": "mirror-sd-onnx/1",
    "file": "draft.onnx",
    "weights": "external data inside model.safetensors (fp16, Cast to float32 in the graph)",
    "architecture": cfg["architectures"][0],
    "num_layers": L, "num_heads": cfg["num_attention_heads"], "kv_heads": KV, "head_dim": HD,
    "vocab": cfg["vocab_size"], "hidden_size": D, "intermediate_size": cfg["intermediate_size"],
    "max_positions": cfg["max_position_embeddings"], "rms_norm_eps": cfg["rms_norm_eps"],
    "rope_theta": cfg["rope_theta"], "tie_word_embeddings": bool(cfg["tie_word_embeddings"]),
    "attention_bias": bool(cfg["attention_bias"]), "bos_token_id": cfg["bos_token_id"],
    "eos_token_ids": [cfg["eos_token_id"]], "masked_value": -1e9, "early_exit_layers": [],
    "logits_width": N, "mtp_heads": K,
    "inputs": {"inputs_embeds": "inputs_embeds", "position_ids": "position_ids", "attention_mask": "attention_mask",
               "past_key": [f"past_key.{i}" for i in range(L)], "past_value": [f"past_value.{i}" for i in range(L)]},
    "outputs": {"logits": "logits", "mtp_logits": "mtp_logits",
                "present_key": [f"present_key.{i}" for i in range(L)],
                "present_value": [f"present_value.{i}" for i in range(L)], "exit_logits": {}},
    "ort_vs_pytorch_max_abs_diff": worst,
}, open(os.path.join(args.out, "mirror-sd-onnx.json"), "w"), indent=2)

# ---- reference fixtures -------------------------------------------------------
tok = load_tokenizer()
target = load_target("cpu")
E = target.model.embed_tokens.weight.detach()
d2t = draft.draft_to_target
refs = []
for user in ("What is the capital of France? Answer in one sentence.", "Write a short poem about the sea."):
    ids = chat_ids(tok, user)
    x = torch.tensor(ids)[None]
    with torch.no_grad():
        lg, mtp, pres = draft(E[x], torch.arange(len(ids))[None], causal_mask_additive(0, len(ids), "cpu"))
        past = [(k, v) for k, v in pres]
        cont, last = [], lg[0, -1]
        for s in range(16):
            nxt = int(last.argmax())
            cont.append(int(d2t[nxt]))
            P = len(ids) + s
            lg2, _, pres = draft(E[torch.tensor([[cont[-1]]])], torch.tensor([[P]]), causal_mask_additive(P, 1, "cpu"), past)
            past, last = pres, lg2[0, -1]
    refs.append({"user": user, "input_ids": ids,
                 "last_logits_draft_vocab": [round(float(v), 5) for v in lg[0, -1]],
                 "argmax_draft_ids": lg[0].argmax(-1).tolist(),
                 "argmax_target_ids": d2t[lg[0].argmax(-1)].tolist(),
                 "mtp_argmax_target_ids": d2t[mtp[0].argmax(-1)].tolist(),
                 "greedy16_target_ids": cont, "greedy16_text": tok.decode(cont)})
    print(user, "->", repr(tok.decode(cont)))
json.dump({"note": "PyTorch fp32 forward of tools/train/common.py Draft with the fp16 weights of model.safetensors; "
           "embedding = target's (dequantized Q4_1 GGUF); positions 0..len-1; greedy continuation with the KV cache",
           "prompts": refs}, open(os.path.join(args.out, "reference.json"), "w"))
print("wrote reference.json", os.path.getsize(os.path.join(args.out, "reference.json")))
