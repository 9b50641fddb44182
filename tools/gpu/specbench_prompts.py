#!/usr/bin/env python3
"""Spec-Bench first turns as prompt token ids, for GpuCheck's tables on a GPU machine, which carries no
tokenizer or chat-template library: the file has reference-smollm2.json's shape ({"prompts": [{"ids": ...}]}),
each prompt as mirror-sd's `generate` encodes it (the target's chat template, then our tokenizer, through
tools/peers/PromptIds.java), so device-mirror.sh's PROMPT_FILE=OUT.json replaces the fixture prompts.

Usage (from the repository root; bin/mirror-sd --help builds the jars once):
    python3 tools/gpu/specbench_prompts.py OUT.json --task-limit 10
Prompts longer than --max-prompt tokens are left out and counted per task (the exports' --max-context bounds
prompt plus answer; with the default 1,700 none of the first ten per task is).
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "peers"))
from specbench_io import ROOT, TASKS, OurPrompts, select  # noqa: E402

DEFAULT_GGUF = os.path.join(os.environ.get("MIRRORSD_MODELS", os.path.expanduser("~/.cache/mirror-sd")),
                            "SmolLM2-135M-Instruct.Q4_1.gguf")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--questions", default=os.environ.get(
        "MIRRORSD_QUESTIONS", os.path.join(ROOT, "..", "shared", "specbench", "question.jsonl")))
    ap.add_argument("--gguf", default=DEFAULT_GGUF)
    ap.add_argument("--task-limit", type=int, default=10, help="questions per task, round-robin over its categories")
    ap.add_argument("--max-prompt", type=int, default=1700,
                    help="longest prompt kept, in tokens (an export with --max-context 2048 leaves 348 for the answer)")
    args = ap.parse_args()
    # more than a task's share, so that prompts left out for length are replaced by the next ones
    questions = select(args.questions, "", 0, 0)
    ours = OurPrompts(args.gguf)
    prompts, left_out = [], {}
    try:
        for task, categories in TASKS.items():
            kept = 0
            for q in select(args.questions, task, 0, len(questions)):
                if kept == args.task_limit:
                    break
                ids = ours.ids([{"role": "user", "content": q["turns"][0]}])
                if len(ids) > args.max_prompt:
                    left_out[task] = left_out.get(task, 0) + 1
                    continue
                prompts.append({"question_id": q["question_id"], "task": task, "category": q["category"], "ids": ids})
                kept += 1
    finally:
        ours.close()
    with open(args.out, "w") as f:
        json.dump({"source": os.path.basename(args.questions), "max_prompt": args.max_prompt, "prompts": prompts}, f)
    counts = {t: sum(p["task"] == t for p in prompts) for t in TASKS}
    print(f"{len(prompts)} prompts {counts}; left out as longer than {args.max_prompt} tokens: {left_out}")


if __name__ == "__main__":
    main()
