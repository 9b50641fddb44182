"""Stage 4 (GPU): distil the draft from the target's greedy data.

Usage: train_draft.py [--data build/train] [--steps 2400] [--batch-tokens 24576] [--vocab 8192] [--init-layers 0,1]
Input : DATA/gen.pt (generate_data.py), the target (GGUF) as online teacher.
Output: DATA/draft.pt  {"config": dict, "state": fp32 state_dict, "log": [...]}  (+ DATA/draft_ckpt.pt to resume)
Loss per head (main t+1, MTP t+2..t+4): CE on the target's greedy token (sequence token in the response,
teacher argmax in the prompt) + kl_weight * KL(teacher softmax over the draft vocab || draft).
Response positions weight 1, prompt positions weight --prompt-weight. The shared embedding stays frozen.
"""
import argparse
import math
import os
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

from common import Draft, draft_config, load_target

ap = argparse.ArgumentParser()
ap.add_argument("--data", default="build/train")
ap.add_argument("--steps", type=int, default=2400)
ap.add_argument("--batch-tokens", type=int, default=24576)
ap.add_argument("--vocab", type=int, default=8192)
ap.add_argument("--layers", type=int, default=2)
ap.add_argument("--init-layers", default="0,1")
ap.add_argument("--mtp-heads", type=int, default=3)
ap.add_argument("--mtp-weight", type=float, default=0.2)
ap.add_argument("--kl-weight", type=float, default=1.0)
ap.add_argument("--prompt-weight", type=float, default=0.25)
ap.add_argument("--lr", type=float, default=6e-4)
ap.add_argument("--warmup", type=int, default=100)
ap.add_argument("--max-seconds", type=float, default=0, help="time budget: the LR schedule runs on max(step/steps, time/budget)")
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--max-len", type=int, default=640)
ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
args = ap.parse_args()

random.seed(args.seed); np.random.seed(args.seed); torch.manual_seed(args.seed)
dev = args.device
t0 = time.time()
data = torch.load(os.path.join(args.data, "gen.pt"))
train_ix = [i for i, s in enumerate(data["split"]) if s == "train"]
seqs = [data["tokens"][i][: args.max_len].long() for i in train_ix]
plen = [data["prompt_len"][i] for i in train_ix]

# reduced vocabulary: the most frequent target tokens of the training RESPONSES (what gets drafted)
cnt = torch.zeros(49152, dtype=torch.long)
for s, p in zip(seqs, plen):
    cnt += torch.bincount(s[p:], minlength=49152)
order = sorted(range(49152), key=lambda t: (-int(cnt[t]), t))
d2t = torch.tensor(sorted(order[: args.vocab]), dtype=torch.long)  # ascending target ids
t2d = torch.full((49152,), -100, dtype=torch.long)
t2d[d2t] = torch.arange(args.vocab)
cov = cnt[d2t].sum().item() / max(1, cnt.sum().item())
print(f"{len(seqs)} train sequences, {sum(len(s) for s in seqs)} tokens ({int(cnt.sum())} response); "
      f"draft vocab {args.vocab} covers {cov:.4f} of train response tokens", flush=True)

target = load_target(dev)
init = [int(x) for x in args.init_layers.split(",")][: args.layers]
cfg = draft_config(target.config, args.layers, args.vocab, args.mtp_heads, init)
draft = Draft(cfg).to(dev)
with torch.no_grad():
    tl = target.model.layers
    for i, li in enumerate(init):
        draft.model.layers[i].load_state_dict({k: v for k, v in tl[li].state_dict().items() if "rotary" not in k}, strict=False)
    draft.model.norm.weight.copy_(target.model.norm.weight)
    E = target.model.embed_tokens.weight  # shared, frozen
    draft.lm_head.weight.copy_(E[d2t.to(dev)])
    draft.draft_to_target.copy_(d2t)
    for h in draft.mtp:
        h.lin.weight.zero_(); h.lin.bias.zero_()
print(f"draft init from target layers {init}: {sum(p.numel() for p in draft.parameters())} params", flush=True)

opt = torch.optim.AdamW(draft.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.0)
PROG = [0.0]  # training progress in [0,1]: max(step/steps, elapsed/max_seconds)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / args.warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, PROG[0])))))
ckpt = os.path.join(args.data, "draft_ckpt.pt")
step0, log = 0, []
if os.path.exists(ckpt):
    ck = torch.load(ckpt, map_location=dev)
    draft.load_state_dict(ck["state"]); opt.load_state_dict(ck["opt"]); sched.load_state_dict(ck["sched"])
    step0, log = ck["step"], ck["log"]
    print(f"resumed at step {step0}")

# length-bucketed batches
lens = np.array([len(s) for s in seqs])
rng = np.random.RandomState(args.seed)


def batches():
    while True:
        perm = rng.permutation(len(seqs))
        chunks = [perm[i:i + 4096] for i in range(0, len(perm), 4096)]
        for ch in chunks:
            ch = ch[np.argsort(-lens[ch], kind="stable")]
            out, cur = [], []
            for i in ch:
                if cur and (len(cur) + 1) * lens[cur[0]] > args.batch_tokens:
                    out.append(cur); cur = []
                cur.append(i)
            if cur:
                out.append(cur)
            rng.shuffle(out)
            yield from out


K = args.mtp_heads
E_d = None
it = batches()
for _ in range(step0):  # keep the data order reproducible on resume
    next(it)
draft.train()
tstart = time.time()
step = step0
while step < args.steps:
    PROG[0] = max(step / args.steps, (time.time() - tstart) / args.max_seconds if args.max_seconds else 0.0)
    if PROG[0] >= 1.0:
        break
    idx = next(it)
    T = int(max(lens[i] for i in idx))
    x = torch.full((len(idx), T), 2, dtype=torch.long)
    w = torch.zeros((len(idx), T))
    isresp = torch.zeros((len(idx), T), dtype=torch.bool)
    for j, i in enumerate(idx):
        s = seqs[i]
        x[j, : len(s)] = s
        w[j, : len(s) - 1] = args.prompt_weight
        w[j, plen[i] - 1: len(s) - 1] = 1.0  # positions whose next token is a response token
        isresp[j, plen[i]: len(s)] = True
    x, w, isresp = x.to(dev), w.to(dev), isresp.to(dev)
    with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=dev == "cuda"):
        tl = target(input_ids=x).logits
        targmax = tl.argmax(-1)  # teacher's greedy token for position t+1
        tlog = F.log_softmax(tl[..., d2t.to(dev)].float(), -1)  # [B,T,N]
        del tl
    # hard label for the token at position u (u>=1): the sequence token if u is in the response, else teacher argmax at u-1
    nxt = torch.where(isresp[:, 1:], x[:, 1:], targmax[:, :-1])  # [B,T-1] label for head predicting from t
    lab_t = t2d.to(dev)[nxt]
    with torch.autocast("cuda", dtype=torch.bfloat16, enabled=dev == "cuda"):
        emb = target.model.embed_tokens(x)
        pos = torch.arange(T, device=dev)[None].expand(len(idx), T)
        h, _ = draft.trunk(emb, pos)
        total, parts = 0.0, []
        for k in range(K + 1):  # k=0 main head (t+1), k>=1 MTP (t+1+k)
            n = T - 1 - k
            if n <= 0:
                continue
            hk = h[:, :n] if k == 0 else draft.mtp[k - 1](h[:, :n])
            lg = draft.lm_head(draft.model.norm(hk)).float()
            lab = lab_t[:, k: k + n]
            ww = w[:, k: k + n] * (w[:, :n] > 0)
            lq = F.log_softmax(lg, -1)
            ce = F.nll_loss(lq.transpose(1, 2), lab.clamp_min(0), reduction="none") * (lab >= 0)
            kl = (tlog[:, k: k + n].exp() * (tlog[:, k: k + n] - lq)).sum(-1)
            loss = ((ce + args.kl_weight * kl) * ww).sum() / ww.sum()
            acc = (((lq.argmax(-1) == lab) & (ww > 0)).sum() / (ww > 0).sum()).item()
            total = total + (1.0 if k == 0 else args.mtp_weight) * loss
            parts.append((round(loss.item(), 4), round(acc, 4)))
    opt.zero_grad(set_to_none=True)
    total.backward()
    torch.nn.utils.clip_grad_norm_(draft.parameters(), 1.0)
    opt.step(); sched.step()
    if step % 50 == 0 or step == args.steps - 1:
        log.append({"step": step, "loss": parts, "lr": sched.get_last_lr()[0], "s": round(time.time() - tstart, 1)})
        print(f"step {step} {parts} lr {sched.get_last_lr()[0]:.2e} {time.time()-tstart:.0f}s", flush=True)
    if (step + 1) % 500 == 0 and step + 1 < args.steps:
        torch.save({"state": draft.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "step": step + 1, "log": log}, ckpt)
    step += 1
train_s = time.time() - tstart
state = {k: v.detach().float().cpu() if v.is_floating_point() else v.cpu() for k, v in draft.state_dict().items()}
torch.save({"config": cfg, "state": state, "log": log, "train_seconds": train_s, "steps": step,
            "train_tokens": int(sum(len(s) for s in seqs)), "response_tokens": int(cnt.sum()), "vocab_coverage_train": cov,
            "args": vars(args)}, os.path.join(args.data, "draft.pt"))
print(f"trained {step} steps in {train_s:.0f}s -> {args.data}/draft.pt")
