"""The feature-layer table: one draft per set of feature layers, each trained for the same seconds on the same chats
and the same batches, then tau (gamma 4 chains) on the held-out chats and on Spec-Bench's first turns.

  PYTHONPATH=tools/train python3 tools/train/fd_layers.py --work /tmp/fd --out $OUT --variants "24;12,24;8,16,24;30"

Reads what fd_job.py left under --work (data.pt, and specbench-greedy.pt once its evaluation has run) and writes
layers.json and each variant's draft (fd-l<layers>/) to --out after every variant, so a call cut short keeps the
rows it finished.
"""
import argparse
import json
import os
import time

import torch

from fd_draft import fresh_draft
from fd_eval import tau_on
from fd_export import save
from fd_target import load_target, load_tokenizer
from fd_train import train

ap = argparse.ArgumentParser()
ap.add_argument("--work", default="/tmp/fd")
ap.add_argument("--out", required=True)
ap.add_argument("--variants", default="24;12,24;8,16,24;30", help="feature-layer sets, ';' between sets")
ap.add_argument("--seconds", type=float, default=90, help="training seconds per variant (its cosine's length)")
ap.add_argument("--init-layer", type=int, default=24)
ap.add_argument("--K", type=int, default=4)
ap.add_argument("--lr", type=float, default=5e-4)
ap.add_argument("--token-budget", type=int, default=32000)
ap.add_argument("--log-every", type=int, default=100)
ap.add_argument("--ckpt-every", type=float, default=1e9)
args = ap.parse_args()

T0 = time.time()
os.makedirs(args.out, exist_ok=True)


def log(msg):
    print(f"[{time.time()-T0:6.1f}s] {msg}", flush=True)


dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
torch.backends.cuda.matmul.allow_tf32 = True
tok = load_tokenizer()
eos = tok.convert_tokens_to_ids("<|im_end|>")
target = load_target(dev)
data = torch.load(os.path.join(args.work, "data.pt"), weights_only=False)
sb_path = os.path.join(args.work, "specbench-greedy.pt")
sb = torch.load(sb_path, weights_only=False) if os.path.exists(sb_path) else None
emb = target.get_input_embeddings().weight.detach().float()
rows = []
for spec in args.variants.split(";"):
    layers = [int(x) for x in spec.split(",")]
    draft, cover = fresh_draft(layers, target, data["train"], eos, args.init_layer, emb)
    opt = torch.optim.AdamW(draft.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.0)
    # the same epoch seed for every variant, so all see the same batches in the same order
    state = {"step": 0, "tokens": 0, "train_s": 0.0, "epoch": 0, "batch_in_epoch": 0}
    args.train_seconds_total = args.seconds
    train(draft, target, data["train"], state, opt, args, time.time() + 2 * args.seconds + 60, log, lambda: None)
    draft.eval()
    ho = data["heldout"]
    row = {"feature_layers": layers, "steps": state["step"], "train_seconds": round(state["train_s"], 1),
           "answer_tokens_seen": state["tokens"], "d2t_cover": cover,
           "heldout_chat": tau_on(draft, target, [x["ids"] for x in ho], [x["prompt_len"] for x in ho])}
    if sb:
        row["specbench"] = tau_on(draft, target, sb["ids"], sb["starts"])
    save(draft, os.path.join(args.out, "fd-l" + "-".join(map(str, layers))),
         {k: row[k] for k in ("steps", "train_seconds", "answer_tokens_seen", "d2t_cover")})
    log(f"layers {layers}: {row}")
    rows.append(row)
    with open(os.path.join(args.out, "layers.json"), "w") as f:
        json.dump({"seconds": args.seconds, "lr": args.lr, "K": args.K, "token_budget": args.token_budget,
                   "chats": len(data["train"]), "rows": rows,
                   "device": torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu"}, f, indent=2)
    del draft, opt
    if dev.type == "cuda":
        torch.cuda.empty_cache()
log(f"done in {time.time()-T0:.0f}s")
