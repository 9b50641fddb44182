"""Chat data written by the target itself (the Magpie method), and the Spec-Bench overlap check.

User turns: the target is fed its chat template up to the start of a user turn and samples the turn
(temperature 1.0, top-p 0.95) until <|im_end|>; empty, very short and duplicate turns are dropped, and so is any
turn that shares a word 13-gram with Spec-Bench's questions. Answers: the target's own, greedy for most and sampled
(temperature 0.8) for a share; a share of the chats get a second user turn and a second answer the same way.
A sample is {"ids": [...], "mask": [...]} where mask[i] = 1 for tokens the target wrote as the assistant.
"""
import json
import re
import time

import torch

from common import chat_ids  # noqa: F401  (re-exported for the fd_* scripts)

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


def clean_turn(text):
    text = text.strip()
    if "<|im_start|>" in text or "<|im_end|>" in text:
        return None
    if len(text) < 16 or len(words(text)) < 4:
        return None
    return text


class Generator:
    """Batched generation on one Llama model with a preallocated KV cache (HF generate's growing cache copies the
    whole cache every step and spends most of an H100's time doing so).

    Prompts are left padded, so every row writes the same cache column at each step; a row's RoPE positions count
    its own tokens only. Query heads are grouped by their KV head (head i reads KV head i // n_rep, as HF's
    repeat_kv), so attention runs without expanding the cache. Finished rows are dropped from the batch (and the
    cache) as they accumulate. Greedy rows take the argmax of the model's logits in the model's dtype.
    """

    def __init__(self, model, eos, batch=1024, log=print, kv_bytes=24 << 30):
        self.m, self.eos, self.batch, self.log, self.kv_bytes = model, eos, batch, log, kv_bytes
        self.dev = next(model.parameters()).device
        self.dtype = next(model.parameters()).dtype
        c = model.config
        self.nh, self.nkv = c.num_attention_heads, c.num_key_value_heads
        self.hd = getattr(c, "head_dim", None) or c.hidden_size // c.num_attention_heads
        self.nl = c.num_hidden_layers

    def _forward(self, ids, pos, kv, start, mask):
        """ids, pos [B,T]; kv [L,2,B,nkv,S,hd]; writes columns start..start+T; mask [B,1,T,start+T] bool.
        Returns the last position's logits [B,V]."""
        from transformers.models.llama.modeling_llama import apply_rotary_pos_emb
        lm = self.m.model
        B, T = ids.shape
        h = lm.embed_tokens(ids)
        cos, sin = lm.rotary_emb(h, pos)
        rep = self.nh // self.nkv
        gmask = mask.repeat(1, 1, rep, 1) if T > 1 else None  # row r*T+t of a KV group is query head r at t
        for li, layer in enumerate(lm.layers):
            a = layer.self_attn
            x = layer.input_layernorm(h)
            q = a.q_proj(x).view(B, T, self.nh, self.hd).transpose(1, 2)
            k = a.k_proj(x).view(B, T, self.nkv, self.hd).transpose(1, 2)
            v = a.v_proj(x).view(B, T, self.nkv, self.hd).transpose(1, 2)
            q, k = apply_rotary_pos_emb(q, k, cos, sin)
            kv[li, 0, :, :, start:start + T] = k
            kv[li, 1, :, :, start:start + T] = v
            k_all, v_all = kv[li, 0, :, :, :start + T], kv[li, 1, :, :, :start + T]
            if T == 1:
                o = self._decode_attention(q.reshape(B, self.nkv, rep, self.hd), k_all, v_all, mask)
            else:
                o = torch.nn.functional.scaled_dot_product_attention(
                    q.reshape(B, self.nkv, rep * T, self.hd), k_all, v_all, attn_mask=gmask)
            o = o.reshape(B, self.nh, T, self.hd).transpose(1, 2).reshape(B, T, self.nh * self.hd)
            h = h + a.o_proj(o)
            h = h + layer.mlp(layer.post_attention_layernorm(h))
        return self.m.lm_head(lm.norm(h[:, -1]))

    def _decode_attention(self, q, k, v, mask):
        """One query row per sequence: q [B,nkv,rep,hd], k/v [B,nkv,S,hd], mask [B,1,1,S]. Two batched matmuls
        that read the cache once. SDPA's cuDNN kernel pads the rep rows to a tile of 64 and, worse, builds a new
        plan for every cache length, which cost more than the rest of the step together."""
        s = torch.matmul(q, k.transpose(-1, -2)).float() * self.hd ** -0.5
        s = s.masked_fill(~mask, float("-inf"))
        return torch.matmul(torch.softmax(s, -1).to(v.dtype), v)

    @staticmethod
    def _pick(logits, sample, temperature, top_p, k=1024):
        """Greedy, or nucleus sampling. The nucleus is taken from the top k tokens, a fraction of a full sort's
        cost; rows whose top k hold less than top_p of the mass fall back to the full sort, so the result is
        exact either way."""
        if not sample:
            return logits.argmax(-1)
        p = torch.softmax(logits.float() / temperature, -1)
        ps, pi = p.topk(min(k, p.shape[-1]), -1)
        out = Generator._nucleus_pick(ps, pi, top_p)
        short = ps.sum(-1) < top_p
        if bool(short.any()):
            out[short] = Generator._nucleus_pick(*p[short].sort(-1, descending=True), top_p)
        return out

    @staticmethod
    def _nucleus_pick(ps, pi, top_p):
        drop = ps.cumsum(-1) - ps > top_p  # keep the smallest prefix whose mass reaches top_p
        ps = ps.masked_fill(drop, 0.0)
        return pi.gather(-1, torch.multinomial(ps, 1)).squeeze(-1)

    @torch.no_grad()
    def _batch(self, prompts, max_new, sample, temperature, top_p):
        B, L = len(prompts), max(len(p) for p in prompts)
        S = L + max_new
        dev = self.dev
        ids = torch.full((B, L), self.eos, dtype=torch.long)
        valid = torch.zeros((B, S), dtype=torch.bool)
        for j, p in enumerate(prompts):
            ids[j, L - len(p):] = torch.tensor(p)
            valid[j, L - len(p):L] = True
        ids, valid = ids.to(dev), valid.to(dev)
        lens = valid.sum(-1)
        pos = (valid[:, :L].long().cumsum(-1) - 1).clamp(min=0)
        kv = torch.empty((self.nl, 2, B, self.nkv, S, self.hd), dtype=self.dtype, device=dev)
        causal = torch.ones((L, L), dtype=torch.bool, device=dev).tril()
        # a padding query sees itself, so that no row is fully masked (a fully masked row would turn into NaN
        # and poison the padding keys' values)
        mask = (causal[None] & valid[:, None, :L]) | torch.eye(L, dtype=torch.bool, device=dev)[None]
        logits = self._forward(ids, pos, kv, 0, mask[:, None])
        rows = torch.arange(B, device=dev)  # each live row's index in the input
        out = torch.full((B, max_new), self.eos, dtype=torch.long, device=dev)
        for step in range(max_new):
            nxt = self._pick(logits, sample, temperature, top_p)
            out[rows, step] = nxt
            live = nxt != self.eos
            if step == max_new - 1 or not bool(live.any()):
                break
            if step % 8 == 7 and int(live.sum()) < 0.75 * live.numel():
                rows, nxt, kv, valid, lens = rows[live], nxt[live], kv[:, :, live], valid[live], lens[live]
            col = L + step
            valid[:, col] = True
            logits = self._forward(nxt[:, None], (lens + step)[:, None], kv, col, valid[:, None, None, :col + 1])
        res = []
        for r in out.cpu().tolist():
            res.append(r[: r.index(self.eos) + 1] if self.eos in r else r)
        return res

    def run(self, prompts, max_new, sample=False, temperature=1.0, top_p=0.95, tag=""):
        order = sorted(range(len(prompts)), key=lambda i: -len(prompts[i]))
        out = [None] * len(prompts)
        t0, ntok = time.time(), 0
        per_row = 2 * self.nl * self.nkv * self.hd * torch.finfo(self.dtype).bits // 8
        b = 0
        while b < len(order):
            L = len(prompts[order[b]])
            # the prefill's attention builds (heads, L, L) scores and a mask per row: bound them by a quarter of the
            # cache's budget, or a batch of long prompts runs out of memory before its first token
            prefill_row = self.nh * L * L * (torch.finfo(self.dtype).bits // 8 + 1)
            n = max(1, min(self.batch, self.kv_bytes // (per_row * (L + max_new)), self.kv_bytes // 4 // prefill_row))
            idx = order[b:b + n]
            for i, r in zip(idx, self._batch([prompts[i] for i in idx], max_new, sample, temperature, top_p)):
                out[i] = r
                ntok += len(r)
            b += n
        self.log(f"  gen {tag}: {len(prompts)} prompts, {ntok} tokens, {time.time()-t0:.1f}s "
                 f"({ntok/max(time.time()-t0,1e-9):.0f} tok/s)")
        return out


def load_corpus_prompts(path):
    """The training split of make_prompts.py's instruction prompts over public-domain passages (a list of rows)."""
    import gzip
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [r for r in map(json.loads, f) if r["split"] == "train"]


def corpus_users(gen, tok, rows, max_user=96):
    """User turns from corpus rows: the row's text, or for kind "self" (an instruction to write a user's question
    about a subject) the question the target writes when given it."""
    users = [r["user"] for r in rows if r["kind"] != "self"]
    seeds = [chat_ids(tok, r["user"]) for r in rows if r["kind"] == "self"]
    if seeds:
        for t in gen.run(seeds, max_user, sample=True, temperature=0.8, top_p=0.95, tag="self-written questions"):
            if t and t[-1] == gen.eos:
                users.append(tok.decode(t[:-1], skip_special_tokens=False).strip().strip('"'))
    return users


def magpie_round(gen, tok, n, overlap, seen, rng, max_user=96, max_answer=320, sampled_share=0.25,
                 two_turn_share=0.15, stats=None, extra_users=()):
    """One round: n sampled user turns (plus extra_users, e.g. from corpus_users) -> filtered -> answers
    (-> some second turns). Returns samples."""
    stats = stats if stats is not None else {}
    eos = gen.eos
    nl = tok("\n", add_special_tokens=False)["input_ids"]
    user_pre = tok("<|im_start|>user\n", add_special_tokens=False)["input_ids"]
    asst_pre = tok("<|im_end|>\n<|im_start|>assistant\n", add_special_tokens=False)["input_ids"]
    pre = user_turn_prefix(tok)
    turns = gen.run([pre] * n, max_user, sample=True, temperature=1.0, top_p=0.95, tag="user turns") if n else []
    turns = turns + [tok(u, add_special_tokens=False)["input_ids"] + [eos] for u in extra_users]
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
