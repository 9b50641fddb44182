"""Shared code: target loading (GGUF via transformers), chat encoding, and the draft model.

Draft model (what models/draft/ stores; see models/README.md):
  h_0   = E[token]                      (the TARGET's embedding, shared, not stored)
  h_i   = LlamaDecoderLayer_i(h_{i-1})  i = 1..L (HF Llama semantics: pre-RMSNorm, GQA, RoPE, SwiGLU)
  z     = RMSNorm(h_L; model.norm.weight)
  logits(t+1)   = z @ lm_head.weight^T                     (N draft-vocab ids; draft_to_target maps to target ids)
  u_k   = h_L + SiLU(h_L @ mtp.k.weight^T + mtp.k.bias)    k = 0,1,2
  logits(t+2+k) = RMSNorm(u_k; model.norm.weight) @ lm_head.weight^T
"""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

GGUF_DIR = os.environ.get("MIRROR_SD_GGUF_DIR", os.path.expanduser("~/.cache/mirror-sd"))
GGUF_NAME = os.environ.get("MIRROR_SD_GGUF", "SmolLM2-135M-Instruct.Q4_1.gguf")


def load_tokenizer():
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(GGUF_DIR, gguf_file=GGUF_NAME)


def load_target(device="cpu"):
    from transformers import AutoModelForCausalLM
    m = AutoModelForCausalLM.from_pretrained(GGUF_DIR, gguf_file=GGUF_NAME, dtype=torch.float32)
    m.eval().requires_grad_(False)
    return m.to(device)


def chat_ids(tok, user):
    out = tok.apply_chat_template([{"role": "user", "content": user}], add_generation_prompt=True)
    if not isinstance(out, list):
        out = out["input_ids"]
    return list(out)


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        xf = x.float()
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * xf.to(x.dtype)


def rope_cos_sin(position_ids, head_dim, theta, dtype):
    inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, device=position_ids.device, dtype=torch.float32) / head_dim))
    f = position_ids.float()[..., None] * inv  # [B,W,hd/2]
    emb = torch.cat([f, f], -1)
    return emb.cos().to(dtype)[:, None], emb.sin().to(dtype)[:, None]  # [B,1,W,hd]


def rot_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], -1)


class Attn(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, hd = c["hidden_size"], c["head_dim"]
        self.nh, self.nkv, self.hd = c["num_attention_heads"], c["num_key_value_heads"], hd
        # Qwen2 has q/k/v biases; Llama's attention_bias adds them to o_proj too
        qkv_bias, o_bias = c.get("qkv_bias", False), c.get("o_bias", False)
        self.q_proj = nn.Linear(d, self.nh * hd, bias=qkv_bias)
        self.k_proj = nn.Linear(d, self.nkv * hd, bias=qkv_bias)
        self.v_proj = nn.Linear(d, self.nkv * hd, bias=qkv_bias)
        self.o_proj = nn.Linear(self.nh * hd, d, bias=o_bias)

    def forward(self, x, cos, sin, mask, past=None):
        B, W, _ = x.shape
        q = self.q_proj(x).view(B, W, self.nh, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(B, W, self.nkv, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(B, W, self.nkv, self.hd).transpose(1, 2)
        q = q * cos + rot_half(q) * sin
        k = k * cos + rot_half(k) * sin
        if past is not None:
            k = torch.cat([past[0], k], 2)
            v = torch.cat([past[1], v], 2)
        present = (k, v)
        rep = self.nh // self.nkv
        kk = k.repeat_interleave(rep, 1)
        vv = v.repeat_interleave(rep, 1)
        if mask is None:
            o = F.scaled_dot_product_attention(q, kk, vv, is_causal=True)
        else:
            o = F.scaled_dot_product_attention(q, kk, vv, attn_mask=mask.to(q.dtype))
        o = o.transpose(1, 2).reshape(B, W, self.nh * self.hd)
        return self.o_proj(o), present


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
        self.self_attn = Attn(c)
        self.mlp = MLP(c)
        self.input_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.post_attention_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])

    def forward(self, x, cos, sin, mask, past=None):
        a, present = self.self_attn(self.input_layernorm(x), cos, sin, mask, past)
        x = x + a
        x = x + self.mlp(self.post_attention_layernorm(x))
        return x, present


class Inner(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layers = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])


class MTPHead(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.lin = nn.Linear(d, d)

    def forward(self, h):
        return h + F.silu(self.lin(h))


class Draft(nn.Module):
    """Parameter names map 1:1 to the safetensors names (see state_dict_for_save)."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        self.model = Inner(c)
        self.lm_head = nn.Linear(c["hidden_size"], c["mirror_sd"]["draft_vocab_size"], bias=False)
        self.mtp = nn.ModuleList([MTPHead(c["hidden_size"]) for _ in range(c["mirror_sd"]["mtp_heads"])])
        self.register_buffer("draft_to_target", torch.zeros(c["mirror_sd"]["draft_vocab_size"], dtype=torch.long))

    def trunk(self, inputs_embeds, position_ids, mask=None, past=None):
        c = self.c
        cos, sin = rope_cos_sin(position_ids, c["head_dim"], c["rope_theta"], inputs_embeds.dtype)
        h = inputs_embeds
        presents = []
        for i, layer in enumerate(self.model.layers):
            h, p = layer(h, cos, sin, mask, None if past is None else past[i])
            presents.append(p)
        return h, presents

    def heads(self, h, mtp=True):
        logits = self.lm_head(self.model.norm(h))
        if not mtp:
            return logits, None
        m = torch.stack([self.lm_head(self.model.norm(head(h))) for head in self.mtp], 2)  # [B,W,K,N]
        return logits, m

    def forward(self, inputs_embeds, position_ids, mask=None, past=None, mtp=True):
        h, presents = self.trunk(inputs_embeds, position_ids, mask, past)
        logits, m = self.heads(h, mtp)
        return logits, m, presents


def state_dict_for_save(draft, dtype=torch.float16):
    out = {}
    for k, v in draft.state_dict().items():
        if k.startswith("mtp."):
            k = k.replace(".lin.", ".")  # mtp.{k}.weight / mtp.{k}.bias
        out[k] = v.contiguous() if k == "draft_to_target" else v.to(dtype).contiguous()
    return out


def load_state_dict_saved(draft, sd):
    fixed = {}
    for k, v in sd.items():
        if k.startswith("mtp."):
            parts = k.split(".")
            k = f"mtp.{parts[1]}.lin.{parts[2]}"
        fixed[k] = v.float() if v.is_floating_point() else v
    draft.load_state_dict(fixed)


def draft_config(tcfg, n_layers, draft_vocab, mtp_heads, init_layers):
    rope = getattr(tcfg, "rope_parameters", None) or {}
    theta = float(rope.get("rope_theta", getattr(tcfg, "rope_theta", 10000.0)))
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": tcfg.hidden_size,
        "num_hidden_layers": n_layers,
        "num_attention_heads": tcfg.num_attention_heads,
        "num_key_value_heads": tcfg.num_key_value_heads,
        "head_dim": tcfg.head_dim,
        "intermediate_size": tcfg.intermediate_size,
        "hidden_act": "silu",
        "rms_norm_eps": float(tcfg.rms_norm_eps),
        "rope_theta": theta,
        "rope_scaling": None,
        "max_position_embeddings": tcfg.max_position_embeddings,
        "vocab_size": tcfg.vocab_size,
        "tie_word_embeddings": False,
        "attention_bias": False,
        "mlp_bias": False,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "pad_token_id": 2,
        "torch_dtype": "float16",
        "mirror_sd": {
            "shares_target_embedding": True,
            "target": "SmolLM2-135M-Instruct (Q4_1 GGUF, dequantized to fp32)",
            "draft_vocab_size": draft_vocab,
            "draft_to_target": "model.safetensors tensor 'draft_to_target' (int64, [draft_vocab_size])",
            "mtp_heads": mtp_heads,
            "mtp_offsets": [2 + k for k in range(mtp_heads)],
            "mtp_formula": "u_k = h + silu(mtp.k.weight @ h + mtp.k.bias); logits_{t+2+k} = lm_head(model.norm(u_k)); h = last layer output before model.norm",
            "lm_head_formula": "logits_{t+1} = lm_head(model.norm(h))",
            "init_from_target_layers": list(init_layers),
        },
    }


def causal_mask_additive(P, W, device, dtype=torch.float32):
    """[1,1,W,P+W] additive: row i attends to all P past + window positions <= i."""
    m = torch.full((W, P + W), float("-inf"), device=device, dtype=dtype)
    m[:, :P] = 0
    m[:, P:] = torch.triu(torch.full((W, W), float("-inf"), device=device, dtype=dtype), 1)
    return m[None, None]
