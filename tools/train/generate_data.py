"""Stage 3 (GPU): the target's own GREEDY continuations of the prompts, batched with left padding.

Usage: generate_data.py [--data build/train] [--max-new 256] [--batch 512] [--limit N] [--device cuda]
Input : DATA/prompts.jsonl.gz (make_prompts.py)
Output: DATA/gen/shard_XXXX.pt (resumable: existing shards are skipped), then DATA/gen.pt:
        {"tokens": list of int16-safe id tensors (prompt+response, chat template applied),
         "prompt_len": [...], "split": [...], "kind": [...], "id": [...], "user": [...]}
Pass 1 ("self" rows): the target writes a question/task from a seed instruction (<= 96 tokens);
the text it writes becomes the user prompt for pass 2. Pass 2: <= max-new tokens, greedy, fp32, EOS = <|im_end|>.
"""
import argparse
import gzip
import json
import os
import time

import torch

from common import chat_ids, load_target, load_tokenizer

ap = argparse.ArgumentParser()
ap.add_argument("--data", default="build/train")
ap.add_argument("--max-new", type=int, default=256)
ap.add_argument("--self-max-new", type=int, default=96)
ap.add_argument("--batch", type=int, default=512)
ap.add_argument("--max-prompt", type=int, default=384)
ap.add_argument("--limit", type=int, default=0, help="only the first N train and N held-out prompts (tests)")
ap.add_argument("--max-seconds", type=float, default=0, help="stop starting new shards after this (0: no limit)")
ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
args = ap.parse_args()
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False

rows = [json.loads(l) for l in gzip.open(os.path.join(args.data, "prompts.jsonl.gz"), "rt", encoding="utf-8")]
rows = [r for r in rows if r["split"] == "heldout"] + [r for r in rows if r["split"] == "train"]  # held-out first
if args.limit:
    rows = [r for r in rows if r["split"] == "train"][: args.limit] + [r for r in rows if r["split"] == "heldout"][: args.limit]
tok = load_tokenizer()
t0 = time.time()
model = load_target(args.device)
print(f"target loaded on {args.device} in {time.time()-t0:.1f}s; {len(rows)} prompts", flush=True)
EOS = tok.convert_tokens_to_ids("<|im_end|>")
PAD = EOS


@torch.no_grad()
def generate(prompts, max_new, tag):
    """prompts: list of id lists -> list of response id lists (through the first EOS, inclusive)."""
    order = sorted(range(len(prompts)), key=lambda i: -len(prompts[i]))
    out = [None] * len(prompts)
    ntok = 0
    t = time.time()
    for b in range(0, len(order), args.batch):
        idx = order[b:b + args.batch]
        L = max(len(prompts[i]) for i in idx)
        ids = torch.full((len(idx), L), PAD, dtype=torch.long)
        am = torch.zeros((len(idx), L), dtype=torch.long)
        for j, i in enumerate(idx):
            p = prompts[i]
            ids[j, L - len(p):] = torch.tensor(p)
            am[j, L - len(p):] = 1
        g = model.generate(input_ids=ids.to(args.device), attention_mask=am.to(args.device), max_new_tokens=max_new,
                           do_sample=False, pad_token_id=PAD, eos_token_id=EOS)
        g = g[:, L:].cpu().tolist()
        for j, i in enumerate(idx):
            r = g[j]
            if EOS in r:
                r = r[: r.index(EOS) + 1]
            out[i] = r
            ntok += len(r)
        print(f"  {tag}: {min(b+args.batch, len(order))}/{len(order)} prompts, {ntok} new tokens, {time.time()-t:.0f}s", flush=True)
    return out


# pass 1: self-written prompts
self_rows = [r for r in rows if r["kind"] == "self"]
if self_rows:
    resp = generate([chat_ids(tok, r["user"]) for r in self_rows], args.self_max_new, "self-prompts")
    for r, x in zip(self_rows, resp):
        text = tok.decode([t for t in x if t != EOS], skip_special_tokens=True).strip()
        r["seed"] = r["user"]
        r["user"] = text if len(text) >= 10 else r["user"]

# pass 2: the target's greedy continuations
prompts = [chat_ids(tok, r["user"])[-args.max_prompt:] for r in rows]
shard_dir = os.path.join(args.data, "gen")
os.makedirs(shard_dir, exist_ok=True)
SH = 2048
for s in range(0, len(rows), SH):
    path = os.path.join(shard_dir, f"shard_{s // SH:04d}.pt")
    if os.path.exists(path):
        print(f"  have {path}")
        continue
    if args.max_seconds and time.time() - t0 > args.max_seconds:
        print(f"  time budget reached: stopping before shard {s // SH}")
        break
    resp = generate(prompts[s:s + SH], args.max_new, f"shard {s // SH}")
    torch.save({"resp": resp, "users": [r["user"] for r in rows[s:s + SH]]}, path + ".tmp")
    os.replace(path + ".tmp", path)

resp = []
for s in range(0, len(rows), SH):
    if not os.path.exists(os.path.join(shard_dir, f"shard_{s // SH:04d}.pt")):
        rows, prompts = rows[:s], prompts[:s]
        break
    sh = torch.load(os.path.join(shard_dir, f"shard_{s // SH:04d}.pt"))
    assert sh["users"] == [r["user"] for r in rows[s:s + SH]], "prompts changed since the shard was written: delete DATA/gen"
    resp += sh["resp"]
data = {
    "tokens": [torch.tensor(p + r, dtype=torch.int32) for p, r in zip(prompts, resp)],
    "prompt_len": [len(p) for p in prompts],
    "split": [r["split"] for r in rows],
    "kind": [r["kind"] for r in rows],
    "id": [r["id"] for r in rows],
    "user": [r["user"] for r in rows],
}
torch.save(data, os.path.join(args.data, "gen.pt"))
for sp in ("train", "heldout"):
    ix = [i for i, s in enumerate(data["split"]) if s == sp]
    nr = sum(len(resp[i]) for i in ix)
    npt = sum(len(prompts[i]) for i in ix)
    ne = sum(1 for i in ix if resp[i] and resp[i][-1] == EOS)
    print(f"{sp}: {len(ix)} sequences, {npt} prompt tokens, {nr} response tokens, {ne} ended with EOS")
print(f"wrote {args.data}/gen.pt in {time.time()-t0:.0f}s")
