"""The feature-conditioned draft (EAGLE-3 style): one decoder layer that reads the target's hidden state.

Per position i the draft takes a feature h (the target's fc-projected feature at position i-1, or, when it runs
on its own, its own output g at position i-1) and the token x_i, and returns g_i and logits for x_{i+1}:
  a = [RMSNorm_emb(E[x_i]), RMSNorm_hid(h)]            (2d)
  r = h + o_proj(attn(q_proj a, k_proj a, v_proj a))   (RoPE at the absolute position i, GQA, causal)
  g = r + down(silu(gate(n)) * up(n)),  n = RMSNorm_post(r)
  logits = RMSNorm_out(g) @ E[d2t]^T                   (the target's tied embedding rows, frozen, not stored)
Position 0 has no earlier feature: it is fed a zero feature (RMSNorm of zero is zero).

The module's state_dict (persistent entries) is exactly model.safetensors' contract (see fd_export.py).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

CONTRACT = {
    "architecture": "feature-draft",
    "feature_layers": [24],
    "hidden_size": 576,
    "num_attention_heads": 9,
    "num_key_value_heads": 3,
    "head_dim": 64,
    "intermediate_size": 1536,
    "rms_norm_eps": 1e-5,
    "rope_theta": 100000.0,
    "draft_vocab_size": 16384,
    "target_vocab_size": 49152,
    "target": "SmolLM2-135M-Instruct Q4_1",
}


def make_config(feature_layers=(24,), **over):
    c = dict(CONTRACT)
    c["feature_layers"] = [int(x) for x in feature_layers]
    c.update(over)
    return c


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        xf = x.float()
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return (self.weight.float() * xf).to(x.dtype)


def rope(x, pos, theta):
    """x [B,H,T,hd], pos [T] or [B,T] absolute positions; HF rotate_half convention."""
    hd = x.shape[-1]
    inv = 1.0 / (theta ** (torch.arange(0, hd, 2, device=x.device, dtype=torch.float32) / hd))
    f = pos.float()[..., None] * inv
    emb = torch.cat([f, f], -1)
    cos, sin = emb.cos(), emb.sin()
    if cos.dim() == 3:  # [B,T,hd] -> [B,1,T,hd]
        cos, sin = cos[:, None], sin[:, None]
    h = hd // 2
    rot = torch.cat([-x[..., h:], x[..., :h]], -1)
    return (x.float() * cos + rot.float() * sin).to(x.dtype)


class Attn(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, hd = c["hidden_size"], c["head_dim"]
        self.nh, self.nkv, self.hd = c["num_attention_heads"], c["num_key_value_heads"], hd
        self.q_proj = nn.Linear(2 * d, self.nh * hd, bias=False)
        self.k_proj = nn.Linear(2 * d, self.nkv * hd, bias=False)
        self.v_proj = nn.Linear(2 * d, self.nkv * hd, bias=False)
        self.o_proj = nn.Linear(self.nh * hd, d, bias=False)


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, i = c["hidden_size"], c["intermediate_size"]
        self.gate_proj = nn.Linear(d, i, bias=False)
        self.up_proj = nn.Linear(d, i, bias=False)
        self.down_proj = nn.Linear(i, d, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, eps = c["hidden_size"], c["rms_norm_eps"]
        self.input_layernorm = RMSNorm(d, eps)
        self.hidden_norm = RMSNorm(d, eps)
        self.self_attn = Attn(c)
        self.post_attention_layernorm = RMSNorm(d, eps)
        self.mlp = MLP(c)


class FeatureDraft(nn.Module):
    def __init__(self, c, embed=None):
        super().__init__()
        self.c = c
        d = c["hidden_size"]
        self.fc = nn.Linear(len(c["feature_layers"]) * d, d, bias=False)
        self.layer = Layer(c)
        self.norm = RMSNorm(d, c["rms_norm_eps"])
        self.register_buffer("d2t", torch.arange(c["draft_vocab_size"], dtype=torch.int32))
        self.register_buffer("embed", torch.zeros(0, d) if embed is None else embed, persistent=False)

    # --- building blocks -------------------------------------------------------------------------------------
    def set_embed(self, embed):
        self.embed = embed.detach()

    def head(self):
        return self.embed[self.d2t.long()]

    def project(self, feats):
        """feats [..., k*d] (the target's features at the same position, concatenated) -> u [..., d]."""
        return self.fc(feats)

    def qkv(self, tokens, h, pos):
        """tokens [B,T] target ids, h [B,T,d], pos [T] or [B,T] -> q [B,nh,T,hd], k, v [B,nkv,T,hd]."""
        L, a_ = self.layer, self.layer.self_attn
        e = self.embed[tokens].to(h.dtype)
        a = torch.cat([L.input_layernorm(e), L.hidden_norm(h)], -1)
        B, T, _ = a.shape
        q = a_.q_proj(a).view(B, T, a_.nh, a_.hd).transpose(1, 2)
        k = a_.k_proj(a).view(B, T, a_.nkv, a_.hd).transpose(1, 2)
        v = a_.v_proj(a).view(B, T, a_.nkv, a_.hd).transpose(1, 2)
        th = self.c["rope_theta"]
        return rope(q, pos, th), rope(k, pos, th), v

    def finish(self, h, attn):
        """attn [B,nh,T,hd] (the attention output) -> g [B,T,d]."""
        L = self.layer
        B, _, T, _ = attn.shape
        r = h + L.self_attn.o_proj(attn.transpose(1, 2).reshape(B, T, -1))
        return r + L.mlp(L.post_attention_layernorm(r))

    def logits(self, g):
        return self.norm(g) @ self.head().to(g.dtype).t()

    def shifted_features(self, feats):
        """u_i = fc(feature at i-1); position 0 gets a zero feature (fc(0) = 0)."""
        u = self.project(feats)
        return torch.cat([torch.zeros_like(u[:, :1]), u[:, :-1]], 1)

    # --- training-time test: K chained steps for every round start at once ------------------------------------
    def ttt(self, tokens, feats, K, loss_rows=None, greedy=False):
        """Unroll K draft steps in parallel over all positions.

        Step k's row i is the k-th drafted step of the round that starts at s = i-k+1: its h is step k-1's g at
        row i-1, its keys are step 1's keys at positions <= s plus steps 2..k's own keys at s+1..i (the draft's KV
        cache in that round). Tokens: the true x_i (teacher forcing) or, with greedy, step k-1's top-1 at row i-1.
        Returns per step: logits at loss_rows (a [B,T] bool mask) or at every row, and (greedy) the top-1 ids.
        """
        B, T = tokens.shape
        nh, nkv = self.c["num_attention_heads"], self.c["num_key_value_heads"]
        rep = nh // nkv
        pos = torch.arange(T, device=tokens.device)
        h = self.shifted_features(feats)
        scale = self.c["head_dim"] ** -0.5
        idx = torch.arange(T, device=tokens.device)
        Ks, Vs, outs, tops = [], [], [], []
        tok = tokens
        for k in range(1, K + 1):
            q, kk, vv = self.qkv(tok, h, pos)
            Ks.append(kk)
            Vs.append(vv)
            qg = q.view(B, nkv, rep, T, -1).float()
            # base: step 1's keys at j <= i-k+1
            base = torch.einsum("bgrtd,bgsd->bgrts", qg, Ks[0].float()) * scale
            allowed = idx[None, :] <= (idx[:, None] - (k - 1))
            base = base.masked_fill(~allowed, float("-inf"))
            diag = []
            for m in range(2, k + 1):
                sh = k - m  # step m's key for this round sits at row i-(k-m)
                km = F.pad(Ks[m - 1], (0, 0, sh, 0))[:, :, :T] if sh else Ks[m - 1]
                sc = torch.einsum("bgrtd,bgtd->bgrt", qg, km.float()) * scale
                if sh:
                    sc = sc.masked_fill((idx < sh)[None, None, None], float("-inf"))
                diag.append(sc[..., None])
            scores = torch.cat([base] + diag, -1)
            p = torch.softmax(scores, -1)
            o = torch.einsum("bgrts,bgsd->bgrtd", p[..., :T], Vs[0].float())
            for j, m in enumerate(range(2, k + 1)):
                sh = k - m
                vm = F.pad(Vs[m - 1], (0, 0, sh, 0))[:, :, :T] if sh else Vs[m - 1]
                o = o + p[..., T + j:T + j + 1] * vm.float()[:, :, None]
            o = o.reshape(B, nh, T, -1).to(h.dtype)
            g = self.finish(h, o)
            if greedy:
                lg = self.logits(g)
                outs.append(lg if loss_rows is None else lg[loss_rows])
                top = self.d2t.long()[lg.argmax(-1)]
                tops.append(top)
                tok = torch.cat([tokens[:, :1], top[:, :-1]], 1)
            else:
                outs.append(self.logits(g if loss_rows is None else g[loss_rows]))
            h = torch.cat([torch.zeros_like(g[:, :1]), g[:, :-1]], 1)
        return outs, tops


class DraftRunner:
    """Incremental inference with a KV cache, as a runtime does it (one sequence): the reference for the Java side."""

    def __init__(self, draft):
        self.d = draft
        self.K = None
        self.V = None
        self.n = 0

    @torch.no_grad()
    def _step(self, tokens, h, start):
        d = self.d
        T = tokens.shape[0]
        dev = self.d.fc.weight.device
        pos = torch.arange(start, start + T, device=dev)
        q, k, v = d.qkv(tokens[None], h[None], pos)
        if self.K is None:
            self.K, self.V = k, v
        else:
            self.K = torch.cat([self.K[:, :, :start], k], 2)
            self.V = torch.cat([self.V[:, :, :start], v], 2)
        rep = q.shape[1] // k.shape[1]
        kk = self.K.repeat_interleave(rep, 1)
        vv = self.V.repeat_interleave(rep, 1)
        S = kk.shape[2]
        mask = torch.arange(S, device=dev)[None, :] <= pos[:, None]
        o = F.scaled_dot_product_attention(q, kk, vv, attn_mask=mask)
        g = d.finish(h[None], o)[0]
        self.n = start + T
        return g

    @torch.no_grad()
    def prefill(self, tokens, feats):
        """tokens [P] and the target's features [P, k*d] at the same positions: fills positions 0..P-1 (the entry at
        i reads the feature at i-1). Returns the fc-projected feature of the last position (step 1's h)."""
        u = self.d.project(feats)
        h = torch.cat([torch.zeros_like(u[:1]), u[:-1]], 0)
        self._step(tokens, h, 0)
        return u[-1]

    @torch.no_grad()
    def chain(self, h, token, steps):
        """Draft `steps` tokens greedily from position self.n: step 1 reads (h, token); later steps their own g and
        top-1. Returns [(top-1 logit value, target id, draft-vocab logits)] per step. Truncates its own entries."""
        start = self.n
        out = []
        for s in range(steps):
            g = self._step(torch.tensor([token], device=h.device), h[None], start + s)[0]
            lg = self.d.logits(g.float())
            j = int(lg.argmax())
            token = int(self.d.d2t[j])
            out.append((float(lg[j]), token, lg))
            h = g
        self.n = start
        return out


def init_from_target(draft, target, layer_index=24, hidden_std=0.02, seed=0):
    """Layer weights from the target's decoder layer `layer_index` where shapes match; q/k/v's embedding half from
    it, their hidden half small; fc = identity (averaged over the feature layers); norms from the target."""
    gen = torch.Generator().manual_seed(seed)
    tl = target.model.layers[layer_index]
    L = draft.layer
    d = draft.c["hidden_size"]
    with torch.no_grad():
        for name in ("q_proj", "k_proj", "v_proj"):
            w = getattr(tl.self_attn, name).weight.float().cpu()
            dst = getattr(L.self_attn, name).weight
            dst[:, :d] = w
            dst[:, d:] = torch.randn(dst.shape[0], d, generator=gen) * hidden_std
        L.self_attn.o_proj.weight.copy_(tl.self_attn.o_proj.weight.float())
        for name in ("gate_proj", "up_proj", "down_proj"):
            getattr(L.mlp, name).weight.copy_(getattr(tl.mlp, name).weight.float())
        L.input_layernorm.weight.copy_(tl.input_layernorm.weight.float())
        L.hidden_norm.weight.copy_(tl.input_layernorm.weight.float())
        L.post_attention_layernorm.weight.copy_(tl.post_attention_layernorm.weight.float())
        draft.norm.weight.copy_(target.model.norm.weight.float())
        k = len(draft.c["feature_layers"])
        draft.fc.weight.copy_(torch.cat([torch.eye(d) / k] * k, 1))


def build_d2t(counts, draft_vocab, target_vocab, must=()):
    """The `draft_vocab` ids with the highest counts (ties: lower id first), plus `must`, sorted by id, int32."""
    counts = torch.as_tensor(counts, dtype=torch.float64).clone()
    if counts.numel() != target_vocab:
        raise ValueError(f"counts has {counts.numel()} entries, expected {target_vocab}")
    if draft_vocab > target_vocab:
        raise ValueError("draft vocabulary larger than the target's")
    for m in must:
        counts[m] = float("inf")
    # stable order: by count descending, then id ascending
    order = sorted(range(target_vocab), key=lambda i: (-counts[i].item(), i))
    return torch.tensor(sorted(order[:draft_vocab]), dtype=torch.int32)


def answer_token_counts(samples, target_vocab):
    """How often each target token occurs among the samples' answer tokens (mask 1), float64 [target_vocab]."""
    counts = torch.zeros(target_vocab, dtype=torch.float64)
    for x in samples:
        a = torch.tensor([t for t, m in zip(x["ids"], x["mask"]) if m], dtype=torch.long)
        counts += torch.bincount(a, minlength=target_vocab).double()
    return counts


def vocabulary_cover(d2t, counts):
    """The share of the counted answer tokens that a draft vocabulary d2t holds."""
    return float(counts[d2t.long().cpu()].sum() / counts.sum())


def fresh_draft(layers, target, samples, eos, init_layer, emb):
    """A new draft on the target's device: d2t from the answer tokens' counts (EOS always in), weights from the
    target's layer `init_layer`. Returns (draft, the share of answer tokens its vocabulary covers)."""
    cfg = make_config(layers)
    counts = answer_token_counts(samples, cfg["target_vocab_size"])
    draft = FeatureDraft(cfg, emb.cpu())
    draft.d2t.copy_(build_d2t(counts, cfg["draft_vocab_size"], cfg["target_vocab_size"], must=[eos]))
    cover = vocabulary_cover(draft.d2t, counts)
    dev = emb.device
    init_from_target(draft, target.cpu(), init_layer)
    target.to(dev)
    draft.to(dev)
    draft.set_embed(emb.to(dev))
    return draft, cover
