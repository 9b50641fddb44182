"""Acceptance of the feature draft against the greedy target: chain of gamma drafted tokens per round,
tau = mean (accepted + 1) per round (the target's token at each round's end counts one)."""
import torch

from fd_target import features_and_logits


def walk_tau(seq, start, preds, gamma):
    """seq: the target's greedy sequence (list), start: the first round's position s (x_s known, features up to
    s-1), preds[k][i]: step k+1's top-1 target id in the round that starts at s = i-k (ttt greedy rows).
    Returns the list of (accepted+1) per round."""
    out = []
    s = start
    L = len(seq)
    while s + gamma < L:
        a = 0
        for k in range(gamma):
            if preds[k][s + k] == seq[s + k + 1]:
                a += 1
            else:
                break
        out.append(a + 1)
        s += a + 1
    return out


@torch.no_grad()
def tau_on(draft, target, seqs, starts, gamma=4, batch=16):
    """seqs: lists of ids (prompt + the target's greedy continuation), starts: first round position per seq."""
    dev = next(draft.parameters()).device
    rounds = []
    for b in range(0, len(seqs), batch):
        chunk = list(range(b, min(b + batch, len(seqs))))
        T = max(len(seqs[i]) for i in chunk)
        ids = torch.full((len(chunk), T), 2, dtype=torch.long)
        am = torch.zeros_like(ids)
        for j, i in enumerate(chunk):
            ids[j, :len(seqs[i])] = torch.tensor(seqs[i])
            am[j, :len(seqs[i])] = 1
        ids, am = ids.to(dev), am.to(dev)
        feats, _ = features_and_logits(target, ids, am, draft.c["feature_layers"])
        _, tops = draft.ttt(ids, feats.to(next(draft.parameters()).dtype), gamma, greedy=True)
        tops = [t.cpu().tolist() for t in tops]
        for j, i in enumerate(chunk):
            rounds.extend(walk_tau(seqs[i], starts[i], [t[j] for t in tops], gamma))
    return {"tau": sum(rounds) / max(len(rounds), 1), "rounds": len(rounds),
            "hist": [rounds.count(v) for v in range(1, gamma + 2)]}
