#!/usr/bin/env python3
"""llama.cpp (through llama-cpp-python) as the peer of mirror-sd's Spec-Bench runs: the same GGUF file,
the same questions and protocol, the same threads, on the same machine (CPU).

Methods (one Spec-Bench answer file each, in --output):
  llamacpp-greedy         Llama.generate with a greedy sampler (temperature 0, top_k 1, no repetition
                          penalty), beside our `autoregressive`
  llamacpp-prompt-lookup  the same with llama_cpp.llama_speculative.LlamaPromptLookupDecoding as the draft
                          model (num_pred_tokens = our gamma, --num-assistant-tokens; max_ngram_size 3, as
                          our n-grams of 3 down to 1), beside our `prompt-lookup`

Usage (from the repository root; tools/peers/llamacpp-venv.sh builds the venv):
    build/peers/llamacpp-venv/bin/python tools/peers/llamacpp_peers.py --limit 2 --max-new-tokens 128 \
        --threads 2 --output peers-llamacpp
    bin/mirror-sd specbench --limit 2 --max-new-tokens 128 --methods autoregressive,prompt-lookup \
        --peer peers-llamacpp --output specbench-out

Prompts: by default our own prompt ids (--prompts ours): tools/peers/PromptIds.java, on the jars
bin/mirror-sd builds, renders the GGUF's chat template and encodes it with our tokenizer, as our runs
do, so both systems decode after the same tokens. llama.cpp's own tokenizer (--prompts llamacpp: the
GGUF's template rendered with Jinja2 as Hugging Face renders it, then llama_tokenize) splits digits
apart first (its `smollm` pre-tokenizer) where ours does not, so the two part on some prompts; the
script says on how many first turns they agree. MT-bench's second turn sees the method's own first
answer.

Timing, as ours: wall_time is the whole generate call, prefill included; llama-cpp-python's prefix cache
is emptied before each turn (Llama.reset), so no turn reuses an earlier turn's prefill. accept_lengths:
the tokens each llama_decode call produced (1 each for greedy decoding; with prompt lookup the prefill
also verifies the first proposal, so its entry can exceed 1).
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

import jinja2.sandbox
import llama_cpp
from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

from specbench_io import OurPrompts, answer_line, select, tokens_per_call

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# which of our methods each peer method is compared with in the Spec-Bench report
COUNTERPARTS = {"llamacpp-greedy": "autoregressive", "llamacpp-prompt-lookup": "prompt-lookup"}
DEFAULT_GGUF = os.path.join(os.environ.get("MIRRORSD_MODELS", os.path.expanduser("~/.cache/mirror-sd")),
                            "SmolLM2-135M-Instruct.Q4_1.gguf")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--questions", default=os.environ.get("MIRRORSD_QUESTIONS",
                   os.path.join(ROOT, "..", "shared", "specbench", "question.jsonl")))
    p.add_argument("--limit", type=int, default=0, help="questions per category, 0 = all")
    p.add_argument("--task-limit", type=int, default=0,
                   help="questions per task, shared round-robin by the task's categories, 0 = all")
    p.add_argument("--categories", default="", help="tasks or categories, comma-separated (default all)")
    p.add_argument("--methods", default="llamacpp-greedy,llamacpp-prompt-lookup")
    p.add_argument("--max-new-tokens", type=int, default=1024)
    p.add_argument("--num-assistant-tokens", type=int, default=4, help="gamma, as our --num-assistant-tokens")
    p.add_argument("--max-ngram", type=int, default=3, help="LlamaPromptLookupDecoding's max_ngram_size")
    p.add_argument("--warmups", type=int, default=3)
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="n_threads and n_threads_batch")
    p.add_argument("--n-ctx", type=int, default=4096,
                   help="context per turn; Spec-Bench's longest prompt is about 1,600 tokens")
    p.add_argument("--gguf", default=DEFAULT_GGUF)
    p.add_argument("--prompts", choices=["ours", "llamacpp"], default="ours",
                   help="whose tokenizer encodes the templated prompts: ours (the same ids as our runs; needs the"
                        " jars bin/mirror-sd builds) or llama.cpp's")
    p.add_argument("--output", default="peers-llamacpp")
    return p.parse_args()


def load(args, method):
    draft = None
    if method == "llamacpp-prompt-lookup":
        draft = LlamaPromptLookupDecoding(max_ngram_size=args.max_ngram, num_pred_tokens=args.num_assistant_tokens)
    # a draft model needs logits for every row; llama-cpp-python switches them on but sizes its score array
    # from the logits_all argument, which must therefore say so too
    llm = llama_cpp.Llama(model_path=args.gguf, n_ctx=args.n_ctx, n_threads=args.threads,
                          n_threads_batch=args.threads, draft_model=draft, logits_all=draft is not None,
                          verbose=False)
    return llm


class ChatPrompt:
    """The GGUF's chat template, rendered as Hugging Face renders it, tokenized by llama.cpp."""

    def __init__(self, llm):
        source = llm.metadata.get("tokenizer.chat_template")
        if not source:
            sys.exit(f"{llm.model_path} has no tokenizer.chat_template")
        env = jinja2.sandbox.ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        self.template = env.from_string(source)
        self.llm = llm
        self.bos = self.token_text(llm.token_bos())
        self.eos = self.token_text(llm.token_eos())

    def token_text(self, token):
        return "" if token < 0 else self.llm._model.token_get_text(token)

    def ids(self, conversation):
        text = self.template.render(messages=conversation, add_generation_prompt=True,
                                    bos_token=self.bos, eos_token=self.eos)
        # add_bos=True adds the BOS only where the GGUF asks for one (tokenizer.ggml.add_bos_token)
        return self.llm.tokenize(text.encode("utf-8"), add_bos=True, special=True)


def compare_tokenizers(ours, chat, questions):
    """On how many first-turn prompts llama.cpp's tokenizer gives our ids, and where the first difference is."""
    equal, first = 0, None
    for q in questions:
        conversation = [{"role": "user", "content": q["turns"][0]}]
        a, b = ours.ids(conversation), chat.ids(conversation)
        if a == b:
            equal += 1
        elif first is None:
            at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            first = (f"question {q['question_id']} at token {at}: ours {a[max(0, at - 3):at + 6]}, "
                     f"llama.cpp's {b[max(0, at - 3):at + 6]} "
                     f"({chat.llm.detokenize(a[max(0, at - 3):at + 6], special=True)!r})")
    print(f"llama.cpp's tokenizer gives our prompt ids on {equal} of {len(questions)} first turns"
          + (f"; first difference: {first}" if first else ""), file=sys.stderr)
    return equal


class DecodeCalls:
    """Counts llama_decode calls (Llama.eval) so that each produced token can be put to the call that made it."""

    def __init__(self, llm):
        self.count = 0
        original = llm.eval

        def counted(tokens):
            self.count += 1
            return original(tokens)

        llm.eval = counted


def generate(llm, calls, ids, max_new_tokens):
    """Greedy tokens after the prompt ids (EOS included, as ours), the seconds of the whole call, the tokens per
    decode call."""
    if len(ids) + max_new_tokens > llm.n_ctx():
        sys.exit(f"a {len(ids)}-token prompt and {max_new_tokens} new tokens exceed --n-ctx {llm.n_ctx()}")
    llm.reset()
    new, made_by = [], []
    start = time.perf_counter()
    for token in llm.generate(ids, top_k=1, top_p=1.0, min_p=0.0, temp=0.0, repeat_penalty=1.0, reset=True):
        new.append(token)
        made_by.append(calls.count)
        if llama_cpp.llama_vocab_is_eog(llm._model.vocab, token) or len(new) >= max_new_tokens:
            break
    wall = time.perf_counter() - start
    return new, wall, tokens_per_call(made_by)


def answer(llm, calls, prompts, q, max_new_tokens):
    conversation, turns = [], []
    for user in q["turns"]:
        conversation.append({"role": "user", "content": user})
        new, wall, lengths = generate(llm, calls, prompts.ids(conversation), max_new_tokens)
        kept = [t for t in new if not llama_cpp.llama_vocab_is_eog(llm._model.vocab, t)]
        text = llm.detokenize(kept).decode("utf-8", errors="replace")
        turns.append((text, new, wall, lengths))
        conversation.append({"role": "assistant", "content": text})
    return turns


def main():
    args = parse_args()
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    for m in methods:
        if m not in COUNTERPARTS:
            sys.exit(f"unknown method '{m}'; valid: {list(COUNTERPARTS)}")
    if not os.path.isfile(args.gguf):
        sys.exit(f"no GGUF at {args.gguf} (scripts/fetch-models.sh fetches the default target)")
    questions = select(args.questions, args.categories, args.limit, args.task_limit)
    if not questions:
        sys.exit(f"no questions selected from {args.questions}")
    model_name = os.path.basename(args.gguf).removesuffix(".gguf")
    os.makedirs(args.output, exist_ok=True)
    ours = OurPrompts(args.gguf) if args.prompts == "ours" else None
    same_prompts = None
    for i, method in enumerate(methods):
        llm = load(args, method)
        chat = ChatPrompt(llm)
        if ours is not None and i == 0:
            same_prompts = compare_tokenizers(ours, chat, questions)
        prompts = ours if ours is not None else chat
        calls = DecodeCalls(llm)
        for _ in range(args.warmups):
            answer(llm, calls, prompts, questions[0], args.max_new_tokens)
        path = os.path.join(args.output, f"{method}.jsonl")
        speeds = []
        with open(path, "w") as f:
            for n, q in enumerate(questions):
                turns = answer(llm, calls, prompts, q, args.max_new_tokens)
                f.write(json.dumps(answer_line(q, method, model_name, turns), ensure_ascii=False) + "\n")
                f.flush()
                tokens = sum(len(t[1]) for t in turns)
                wall = sum(t[2] for t in turns)
                speeds.append(tokens / wall)
                print(f"{method} q{q['question_id']} ({q['category']}): {tokens} tokens, {tokens / wall:.2f} tokens/s"
                      f" [{n + 1}/{len(questions)}]", file=sys.stderr)
        print(f"wrote {path}: mean {statistics.mean(speeds):.2f} tokens/s over {len(speeds)} questions, "
              f"load average {os.getloadavg()[0]:.2f}", file=sys.stderr)
        del llm
    if ours is not None:
        ours.close()
    version = llama_cpp.__version__
    peer = {
        "peer": f"llama.cpp (llama-cpp-python {version})",
        "versions": {"llama-cpp-python": version},
        "methods": {m: COUNTERPARTS[m] for m in methods},
        "model": model_name,
        "threads": args.threads,
        "max_new_tokens": args.max_new_tokens,
        "num_assistant_tokens": args.num_assistant_tokens,
        "max_ngram_size": args.max_ngram,
        "n_ctx": args.n_ctx,
        "prompts": args.prompts,
        "first_turns_llamacpp_tokenizes_as_ours": same_prompts,
        "warmups": args.warmups,
        "limit_per_category": args.limit,
        "limit_per_task": args.task_limit,
        "categories": [c for c in args.categories.split(",") if c],
        "system_info": llama_cpp.llama_print_system_info().decode().strip(),
        "machine": f"{os.cpu_count()} cores, {platform.system()} {platform.machine()}, Python {platform.python_version()}",
        "command": " ".join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:]),
    }
    with open(os.path.join(args.output, "peer.json"), "w") as f:
        json.dump(peer, f, indent=2)
        f.write("\n")
    print(f"wrote {os.path.join(args.output, 'peer.json')}", file=sys.stderr)


if __name__ == "__main__":
    main()
