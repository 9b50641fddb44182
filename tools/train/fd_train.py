"""EAGLE-3 style training of the feature draft: unroll K steps on its own g (training-time test), soft-label
cross-entropy to the target's distribution restricted and renormalized to the draft vocabulary, decaying weights."""
import math
import random

import torch

from fd_target import features_and_logits


def loss_rows(mask):
    """mask [B,T] (1 = a token the target wrote as the assistant) -> rows i whose next token x_{i+1} is one."""
    rows = torch.zeros_like(mask, dtype=torch.bool)
    rows[:, :-1] = mask[:, 1:].bool()
    return rows


def pad_batch(samples, pad_id):
    T = max(len(s["ids"]) for s in samples)
    ids = torch.full((len(samples), T), pad_id, dtype=torch.long)
    am = torch.zeros((len(samples), T), dtype=torch.long)
    mk = torch.zeros((len(samples), T), dtype=torch.long)
    for j, s in enumerate(samples):
        n = len(s["ids"])
        ids[j, :n] = torch.tensor(s["ids"])
        am[j, :n] = 1
        mk[j, :n] = torch.tensor(s["mask"])
    return ids, am, mk


def batches(samples, token_budget, rng):
    """Length-bucketed batches of at most token_budget padded tokens, in random order."""
    idx = list(range(len(samples)))
    rng.shuffle(idx)
    out = []
    mega = 256
    for m in range(0, len(idx), mega):
        chunk = sorted(idx[m:m + mega], key=lambda i: len(samples[i]["ids"]))
        cur = []
        for i in chunk:
            T = max([len(samples[j]["ids"]) for j in cur] + [len(samples[i]["ids"])])
            if cur and T * (len(cur) + 1) > token_budget:
                out.append(cur)
                cur = []
            cur.append(i)
        if cur:
            out.append(cur)
    rng.shuffle(out)
    return out


def step_weights(K, decay=0.8):
    return [decay ** k for k in range(K)]


def ttt_loss(draft, tokens, feats, rows, target_logits, K, decay=0.8):
    """Sum over steps of w_k * CE(softmax(target restricted to d2t) -> draft), plus per-step top-1 agreement."""
    p = torch.softmax(target_logits.float(), -1)
    tgt_top = target_logits.argmax(-1)
    outs, _ = draft.ttt(tokens, feats, K, loss_rows=rows)
    total, stats = 0.0, []
    for w, lg in zip(step_weights(K, decay), outs):
        logq = torch.log_softmax(lg.float(), -1)
        ce = -(p * logq).sum(-1).mean()
        total = total + w * ce
        stats.append((ce.item(), (lg.argmax(-1) == tgt_top).float().mean().item()))
    return total, stats


def lr_at(frac, base, warm_frac=0.03, floor=0.1):
    if frac < warm_frac:
        return base * frac / warm_frac
    f = min(1.0, (frac - warm_frac) / (1 - warm_frac))
    return base * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * f)))


def train(draft, target, samples, state, opt, args, deadline, log, ckpt_fn):
    """Trains until time.time() > deadline or state['train_s'] >= args.train_seconds_total (the cosine's length)."""
    import time
    dev = next(draft.parameters()).device
    rng = random.Random(state.get("epoch", 0) * 7919 + 1)
    pad = 2
    last_ck = time.time()
    while True:
        plan = batches(samples, args.token_budget, rng)
        start = state.get("batch_in_epoch", 0)
        for bi in range(start, len(plan)):
            if time.time() > deadline or state["train_s"] >= args.train_seconds_total:
                state["batch_in_epoch"] = bi
                return
            t0 = time.time()
            lr = lr_at(state["train_s"] / args.train_seconds_total, args.lr)
            for g in opt.param_groups:
                g["lr"] = lr
            ids, am, mk = pad_batch([samples[i] for i in plan[bi]], pad)
            ids, am, mk = ids.to(dev), am.to(dev), mk.to(dev)
            rows = loss_rows(mk)
            target_bf16 = dev.type == "cuda" and getattr(args, "target_bf16", False)
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=target_bf16):
                feats, tl = features_and_logits(target, ids, am, draft.c["feature_layers"], rows, draft.d2t)
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=dev.type == "cuda"):
                loss, st = ttt_loss(draft, ids, feats, rows, tl, args.K)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(draft.parameters(), 1.0)
            opt.step()
            if dev.type == "cuda":
                torch.cuda.synchronize()
            state["train_s"] += time.time() - t0
            state["step"] += 1
            state["tokens"] += int(rows.sum())
            if state["step"] % args.log_every == 0:
                log(f"step {state['step']} ep {state.get('epoch',0)} lr {lr:.2e} loss {loss.item():.3f} "
                    f"ce/acc " + " ".join(f"{c:.2f}/{a:.3f}" for c, a in st) +
                    f" train_s {state['train_s']:.0f} tok {state['tokens']/1e6:.1f}M")
            if time.time() - last_ck > args.ckpt_every:
                state["batch_in_epoch"] = bi + 1
                ckpt_fn()
                last_ck = time.time()
        state["epoch"] = state.get("epoch", 0) + 1
        state["batch_in_epoch"] = 0
        rng = random.Random(state["epoch"] * 7919 + 1)
