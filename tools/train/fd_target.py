"""The target (SmolLM2-135M-Instruct from the Q4_1 GGUF) as the feature-draft's teacher."""
import torch

from common import load_target, load_tokenizer  # noqa: F401  (re-exported for the fd_* scripts)


@torch.no_grad()
def features_and_logits(target, ids, attn_mask, layers, rows=None, d2t=None):
    """ids [B,T] (right padded) -> (features [B,T,k*d] fp32 = concat of hidden_states[l] for l in layers,
    logits restricted to d2t at `rows` (a [B,T] bool) or None).

    The LM head runs only on `rows` and the d2t columns: the full head over every position would be a [B,T,vocab]
    fp32 tensor (6 GB at a 32k-token batch) of which training reads a fifth."""
    out = target.model(input_ids=ids, attention_mask=attn_mask, output_hidden_states=True, use_cache=False)
    feats = torch.cat([out.hidden_states[l].float() for l in layers], -1)
    lg = None
    if rows is not None:
        w = target.lm_head.weight
        if d2t is not None:
            w = w[d2t.long()]
        lg = (out.last_hidden_state[rows] @ w.t()).float()
    return feats, lg
