#!/usr/bin/env python3
"""Hugging Face transformers as the peer of mirror-sd's Spec-Bench runs: same target, same draft,
same questions, same protocol, on the same machine (CPU).

Methods (one Spec-Bench answer file each, in --output):
  hf-greedy    model.generate(do_sample=False): plain greedy decoding of the target
  hf-assisted  model.generate(do_sample=False, assistant_model=draft): assisted generation with
               mirror-sd's draft, a constant num_assistant_tokens (gamma, our --num-assistant-tokens)
               and no confidence stop (assistant_confidence_threshold=0, as our default)

Usage (from the repository root; CPU only, no network):
    /tmp/pyenv/bin/python tools/peers/hf_peers.py --limit 10 --max-new-tokens 256 --output peers-out
    bin/mirror-sd specbench --limit 10 --max-new-tokens 256 --methods draft --peer peers-out --output specbench-out

The target is the GGUF file mirror-sd runs (transformers dequantizes its Q4_1 weights to fp32, as
the Java loader does). The draft (models/draft) is not a stock Hugging Face model: it shares the
target's embedding and predicts over 8192 of the target's 49152 tokens. The script exports it once
(--draft-export, default build/peers/draft-hf) as a LlamaForCausalLM with the target's embedding
copied in and a full-vocabulary lm_head whose rows at draft_to_target are the draft's head and whose
other rows are zero. Zero rows score 0, which would win wherever every draft logit is negative, and
no Llama weight can give a row a logit below every other for all inputs (there is no bias and no
constant hidden direction). So the script loads the export as ReducedVocabLlama, a LlamaForCausalLM
subclass that adds -inf to the logits of tokens outside the draft's vocabulary: its greedy argmax is
then exactly the Java draft's, which the script checks against models/draft/reference.json (argmax at
every position and the 16-token greedy continuation) before every run. The draft's multi-token heads
are not used (assisted generation drafts one token per forward, as our `draft` strategy does).

Protocol, as mirror-sd's SpecBenchRunner: greedy, batch 1, at most --max-new-tokens per turn, the
chat template (tokenizer.apply_chat_template, add_generation_prompt=True), --warmups unmeasured
runs of the first question per method, MT-bench's second turn sees the method's own first answer.
wall_time per turn is the generate() call, prefill included. accept_lengths: 1 for the prefill's
token, then accepted draft tokens + 1 per target forward (read from the candidate generator's
update_candidate_strategy, which transformers calls with the number of matches every step).

Threads: mirror-sd's Java target runs libtorch with as many intra-op threads as cores (2 on the
development machine); --threads (default: the number of cores) is passed to torch.set_num_threads.
"""
import argparse
import importlib.metadata as md
import json
import os
import platform
import sys
import time

import torch

from specbench_io import answer_line, select

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# which of our methods each peer method is compared with in the Spec-Bench report
COUNTERPARTS = {"hf-greedy": "autoregressive", "hf-assisted": "draft"}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--questions", default=os.environ.get("MIRRORSD_QUESTIONS",
                   os.path.join(ROOT, "..", "shared", "specbench", "question.jsonl")))
    p.add_argument("--limit", type=int, default=0, help="questions per category, 0 = all")
    p.add_argument("--task-limit", type=int, default=0,
                   help="questions per task, shared round-robin by the task's categories, 0 = all")
    p.add_argument("--categories", default="", help="tasks or categories, comma-separated (default all)")
    p.add_argument("--methods", default="hf-greedy,hf-assisted")
    p.add_argument("--max-new-tokens", type=int, default=1024)
    p.add_argument("--num-assistant-tokens", type=int, default=4, help="gamma, as our --num-assistant-tokens")
    p.add_argument("--warmups", type=int, default=3)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--gguf", default=os.path.join(os.environ.get("MIRRORSD_MODELS", os.path.expanduser("~/.cache/mirror-sd")),
                   "SmolLM2-135M-Instruct.Q4_1.gguf"))
    p.add_argument("--draft", default=os.path.join(ROOT, "models", "draft"))
    p.add_argument("--draft-export", default=os.path.join(ROOT, "build", "peers", "draft-hf"))
    p.add_argument("--output", default="peers-out")
    return p.parse_args()


def load_target(gguf):
    from transformers import AutoModelForCausalLM, AutoTokenizer
    d, f = os.path.dirname(gguf), os.path.basename(gguf)
    tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
    model = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32).eval()
    return tok, model


def reduced_vocab_llama_class():
    from transformers import LlamaForCausalLM

    class ReducedVocabLlama(LlamaForCausalLM):
        """LlamaForCausalLM whose logits outside the draft's vocabulary are -inf (see the module doc)."""

        def set_draft_vocab(self, draft_to_target):
            mask = torch.full((self.config.vocab_size,), float("-inf"))
            mask[torch.as_tensor(draft_to_target, dtype=torch.long)] = 0.0
            self.register_buffer("outside_draft_vocab", mask, persistent=False)

        def forward(self, *args, **kwargs):
            out = super().forward(*args, **kwargs)
            out.logits = out.logits + self.outside_draft_vocab.to(out.logits.dtype)
            return out

    return ReducedVocabLlama


def export_draft(draft_dir, target, out_dir):
    """The standalone export: LlamaForCausalLM weights, full-vocab head, target embedding; draft_to_target.json beside."""
    from safetensors.torch import load_file
    from transformers import LlamaConfig, LlamaForCausalLM
    with open(os.path.join(draft_dir, "config.json")) as f:
        cfg = json.load(f)
    cfg.pop("mirror_sd")
    cfg["torch_dtype"] = "float32"
    cfg["rope_parameters"] = {"rope_type": "default", "rope_theta": cfg["rope_theta"]}
    config = LlamaConfig(**cfg)
    model = LlamaForCausalLM(config).eval()
    sd = load_file(os.path.join(draft_dir, "model.safetensors"))
    d2t = sd.pop("draft_to_target").long()
    head = sd.pop("lm_head.weight").float()
    for k in [k for k in sd if k.startswith("mtp.")]:
        sd.pop(k)
    state = {k: v.float() for k, v in sd.items()}
    state["model.embed_tokens.weight"] = target.get_input_embeddings().weight.detach().float().clone()
    full = torch.zeros(config.vocab_size, config.hidden_size)
    full[d2t] = head
    state["lm_head.weight"] = full
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if "rotary" not in m]
    assert not missing and not unexpected, (missing, unexpected)
    os.makedirs(out_dir, exist_ok=True)
    model.save_pretrained(out_dir)
    with open(os.path.join(out_dir, "draft_to_target.json"), "w") as f:
        json.dump(d2t.tolist(), f)
    print(f"exported the draft to {out_dir}", file=sys.stderr)


def load_draft(out_dir):
    cls = reduced_vocab_llama_class()
    model = cls.from_pretrained(out_dir, dtype=torch.float32).eval()
    with open(os.path.join(out_dir, "draft_to_target.json")) as f:
        model.set_draft_vocab(json.load(f))
    return model


@torch.no_grad()
def check_draft(model, reference_path):
    """Greedy argmax at every position and the 16-token greedy continuation equal reference.json's."""
    with open(reference_path) as f:
        ref = json.load(f)
    for i, p in enumerate(ref["prompts"]):
        ids = torch.tensor([p["input_ids"]])
        argmax = model(ids).logits[0].argmax(-1).tolist()
        if argmax != p["argmax_target_ids"]:
            bad = sum(a != b for a, b in zip(argmax, p["argmax_target_ids"]))
            sys.exit(f"draft export: argmax differs from reference.json at {bad} of {len(argmax)} positions (prompt {i})")
        out = model.generate(ids, do_sample=False, max_new_tokens=16, min_new_tokens=16,
                             eos_token_id=None, pad_token_id=2)[0, ids.shape[1]:].tolist()
        if out != p["greedy16_target_ids"]:
            sys.exit(f"draft export: greedy continuation {out} != reference {p['greedy16_target_ids']} (prompt {i})")
    print(f"draft export matches {reference_path} ({len(ref['prompts'])} prompts: argmax everywhere, greedy 16)",
          file=sys.stderr)


class AcceptLengths:
    """Records accepted draft tokens per target forward from transformers' assisted-generation loop."""

    def __init__(self):
        self.steps = []
        from transformers.generation import candidate_generator as cg
        self.cls = cg.AssistedCandidateGenerator
        self.original = self.cls.update_candidate_strategy
        recorder = self

        def update(gen, input_ids, scores, num_matches):
            recorder.steps.append(int(num_matches) + 1)
            return recorder.original(gen, input_ids, scores, num_matches)

        self.cls.update_candidate_strategy = update

    def take(self):
        steps, self.steps = self.steps, []
        return steps


@torch.no_grad()
def generate(method, tok, target, draft, ids, args, accepts):
    kwargs = dict(do_sample=False, max_new_tokens=args.max_new_tokens, pad_token_id=tok.eos_token_id)
    if method == "hf-assisted":
        kwargs["assistant_model"] = draft
    accepts.take()
    start = time.perf_counter()
    out = target.generate(torch.tensor([ids]), **kwargs)
    wall = time.perf_counter() - start
    new = out[0, len(ids):].tolist()
    steps = accepts.take()
    if method == "hf-greedy":
        lengths = [1] * len(new)
    else:
        # the prefill's token, then one entry per verification; the last may be cut by the budget
        lengths = [1] + steps
        over = sum(lengths) - len(new)  # tokens a last step verified but the budget or EOS dropped
        for i in range(len(lengths) - 1, 0, -1):
            cut = min(over, lengths[i] - 1)
            lengths[i] -= cut
            over -= cut
    return new, wall, lengths


def answer(method, tok, target, draft, q, args, accepts):
    conversation, turns = [], []
    for user in q["turns"]:
        conversation.append({"role": "user", "content": user})
        ids = tok.apply_chat_template(conversation, add_generation_prompt=True)
        if not isinstance(ids, list):
            ids = ids["input_ids"]
        new, wall, lengths = generate(method, tok, target, draft, list(ids), args, accepts)
        text = tok.decode([t for t in new if t != tok.eos_token_id], skip_special_tokens=False)
        turns.append((text, new, wall, lengths))
        conversation.append({"role": "assistant", "content": text})
    return turns


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    for m in methods:
        if m not in COUNTERPARTS:
            sys.exit(f"unknown method '{m}'; valid: {list(COUNTERPARTS)}")
    questions = select(args.questions, args.categories, args.limit, args.task_limit)
    if not questions:
        sys.exit(f"no questions selected from {args.questions}")
    tok, target = load_target(args.gguf)
    draft = None
    if "hf-assisted" in methods:
        if not os.path.isfile(os.path.join(args.draft_export, "draft_to_target.json")):
            export_draft(args.draft, target, args.draft_export)
        draft = load_draft(args.draft_export)
        check_draft(draft, os.path.join(args.draft, "reference.json"))
        g = draft.generation_config
        g.num_assistant_tokens = args.num_assistant_tokens
        g.num_assistant_tokens_schedule = "constant"
        g.assistant_confidence_threshold = 0.0
        g.do_sample = False
    accepts = AcceptLengths()
    model_name = os.path.basename(args.gguf).removesuffix(".gguf")
    os.makedirs(args.output, exist_ok=True)
    for method in methods:
        for _ in range(args.warmups):
            answer(method, tok, target, draft, questions[0], args, accepts)
        path = os.path.join(args.output, f"{method}.jsonl")
        with open(path, "w") as f:
            for i, q in enumerate(questions):
                turns = answer(method, tok, target, draft, q, args, accepts)
                f.write(json.dumps(answer_line(q, method, model_name, turns), ensure_ascii=False) + "\n")
                f.flush()
                tokens = sum(len(t[1]) for t in turns)
                wall = sum(t[2] for t in turns)
                print(f"{method} q{q['question_id']} ({q['category']}): {tokens} tokens, {tokens / wall:.2f} tokens/s"
                      f" [{i + 1}/{len(questions)}]", file=sys.stderr)
        print(f"wrote {path}", file=sys.stderr)
    versions = {p: md.version(p) for p in ("transformers", "torch", "gguf")}
    peer = {
        "peer": "Hugging Face transformers " + versions["transformers"],
        "versions": versions,
        "methods": {m: COUNTERPARTS[m] for m in methods},
        "model": model_name,
        "torch_threads": args.threads,
        "max_new_tokens": args.max_new_tokens,
        "num_assistant_tokens": args.num_assistant_tokens,
        "warmups": args.warmups,
        "limit_per_category": args.limit,
        "limit_per_task": args.task_limit,
        "categories": [c for c in args.categories.split(",") if c],
        "machine": f"{os.cpu_count()} cores, {platform.system()} {platform.machine()}, Python {platform.python_version()}",
        "command": " ".join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:]),
    }
    with open(os.path.join(args.output, "peer.json"), "w") as f:
        json.dump(peer, f, indent=2)
        f.write("\n")
    print(f"wrote {os.path.join(args.output, 'peer.json')}", file=sys.stderr)


if __name__ == "__main__":
    main()
