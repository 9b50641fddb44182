"""Chat data written by the target itself (the Magpie method), and the Spec-Bench overlap check.

User turns: the target is fed its chat template up to the start of a user turn and samples the turn
(temperature 1.0, top-p 0.95) until <|im_end|>; empty, very short and duplicate turns are dropped, and so is any
turn that shares a word 13-gram with Spec-Bench's questions. Answers: the target's own, greedy for most and sampled
(temperature 0.8) for a share; a share of the chats get a second user turn and a second answer the same way.
A sample is {"ids": [...], "mask": [...]} where mask[i] = 1 for tokens the target wrote as the assistant.
"""
import json
import random
import re
import time

import torch

MARK = "\u2063MARK\u2063"


def words(text):
    return re.findall(r"[a-z0-9]+", text.lower())


def ngrams(ws, n):
    return {tuple(ws[i:i + n]) for i in range(len(ws) - n + 1)}


class OverlapIndex:
    """Word n-grams of a set of texts (Spec-Bench's questions); `hits(text)` says whether a text shares one."""

    def __init__(self, texts, n=13):
        self.n = n
        self.grams = set()
        for t in texts:
            self.grams |= ngrams(words(t), n)

    @classmethod
    def from_specbench(cls, path, n=13):
        texts = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    texts.extend(json.loads(line)["turns"])
        return cls(texts, n)

    def hits(self, text):
        return bool(ngrams(words(text), self.n) & self.grams)


def user_turn_prefix(tok):
    """Token ids of the chat template up to and including '<|im_start|>user\\n' (with the default system turn)."""
    text = tok.apply_chat_template([{"role": "user", "content": MARK}], tokenize=False, add_generation_prompt=False)
    pre = text[: text.index(MARK)]
    return tok(pre, add_special_tokens=False)["input_ids"]


def chat_ids(tok, user):
    out = tok.apply_chat_template([{"role": "user", "content": user}], add_generation_prompt=True)
    if not isinstance(out, list):
        out = out["input_ids"]
    return list(out)


def clean_turn(text):
    text = text.strip()
    if "<|im_start|>" in text or "<|im_end|>" in text:
        return None
    if len(text) < 16 or len(words(text)) < 4:
        return None
    return text


class Generator:
    """Batched generation with left padding on one model (HF generate)."""

    def __init__(self, model, tok, batch=1024, log=print):
        self.m, self.tok, self.batch, self.log = model, tok, batch, log
        self.eos = tok.convert_tokens_to_ids("<|im_end|>")
        self.dev = next(model.parameters()).device

    @torch.no_grad()
    def run(self, prompts, max_new, sample=False, temperature=1.0, top_p=0.95, tag=""):
        order = sorted(range(len(prompts)), key=lambda i: -len(prompts[i]))
        out = [None] * len(prompts)
        t0, ntok = time.time(), 0
        for b in range(0, len(order), self.batch):
            idx = order[b:b + self.batch]
            L = max(len(prompts[i]) for i in idx)
            ids = torch.full((len(idx), L), self.eos, dtype=torch.long)
            am = torch.zeros((len(idx), L), dtype=torch.long)
            for j, i in enumerate(idx):
                p = prompts[i]
                ids[j, L - len(p):] = torch.tensor(p)
                am[j, L - len(p):] = 1
            kw = dict(do_sample=True, temperature=temperature, top_p=top_p, top_k=0) if sample else dict(do_sample=False)
            g = self.m.generate(input_ids=ids.to(self.dev), attention_mask=am.to(self.dev), max_new_tokens=max_new,
                                pad_token_id=self.eos, eos_token_id=self.eos, **kw)
            g = g[:, L:].cpu().tolist()
            for j, i in enumerate(idx):
                r = g[j]
                if self.eos in r:
                    r = r[: r.index(self.eos) + 1]
                out[i] = r
                ntok += len(r)
        self.log(f"  gen {tag}: {len(prompts)} prompts, {ntok} tokens, {time.time()-t0:.1f}s "
                 f"({ntok/max(time.time()-t0,1e-9):.0f} tok/s)")
        return out


def magpie_round(gen, tok, n, overlap, seen, rng, max_user=96, max_answer=320, sampled_share=0.25,
                 two_turn_share=0.15, stats=None):
    """One round: n sampled user turns -> filtered -> answers (-> some second turns). Returns samples."""
    stats = stats if stats is not None else {}
    eos = gen.eos
    nl = tok("\n", add_special_tokens=False)["input_ids"]
    user_pre = tok("<|im_start|>user\n", add_special_tokens=False)["input_ids"]
    asst_pre = tok("<|im_end|>\n<|im_start|>assistant\n", add_special_tokens=False)["input_ids"]
    pre = user_turn_prefix(tok)
    turns = gen.run([pre] * n, max_user, sample=True, temperature=1.0, top_p=0.95, tag="user turns")
    users = []
    for t in turns:
        if not t or t[-1] != eos:
            stats["user_unfinished"] = stats.get("user_unfinished", 0) + 1
            continue
        text = clean_turn(tok.decode(t[:-1], skip_special_tokens=False))
        if text is None:
            stats["user_short"] = stats.get("user_short", 0) + 1
            continue
        key = " ".join(words(text))
        if key in seen:
            stats["user_duplicate"] = stats.get("user_duplicate", 0) + 1
            continue
        if overlap is not None and overlap.hits(text):
            stats["user_specbench_13gram"] = stats.get("user_specbench_13gram", 0) + 1
            continue
        seen.add(key)
        users.append(text)
    prompts = [chat_ids(tok, u) for u in users]
    sampled = [rng.random() < sampled_share for _ in users]
    answers = [None] * len(users)
    for flag in (False, True):
        sel = [i for i in range(len(users)) if sampled[i] == flag]
        if not sel:
            continue
        r = gen.run([prompts[i] for i in sel], max_answer, sample=flag, temperature=0.8, top_p=0.95,
                    tag="answers sampled" if flag else "answers greedy")
        for i, a in zip(sel, r):
            answers[i] = a
    samples = []
    for u, p, a, s in zip(users, prompts, answers, sampled):
        samples.append({"ids": p + a, "mask": [0] * len(p) + [1] * len(a), "sampled": s, "turns": 1,
                        "prompt_len": len(p), "user": u})
    # second turns for the chats whose answer finished
    two = [x for x in samples if x["ids"][-1] == eos and rng.random() < two_turn_share]
    if two:
        t2 = gen.run([x["ids"] + nl + user_pre for x in two], max_user, sample=True, temperature=1.0, top_p=0.95,
                     tag="second user turns")
        keep = []
        for x, t in zip(two, t2):
            if not t or t[-1] != eos:
                continue
            text = clean_turn(tok.decode(t[:-1], skip_special_tokens=False))
            if text is None or (overlap is not None and overlap.hits(text)):
                continue
            body = tok(text, add_special_tokens=False)["input_ids"]
            keep.append((x, x["ids"] + nl + user_pre + body + asst_pre))
        if keep:
            a2 = gen.run([k[1] for k in keep], max_answer, sample=False, tag="second answers")
            for (x, p2), a in zip(keep, a2):
                x["mask"] = x["mask"] + [0] * (len(p2) - len(x["ids"])) + [1] * len(a)
                x["ids"] = p2 + a
                x["turns"] = 2
    return samples
