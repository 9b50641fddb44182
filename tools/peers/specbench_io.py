"""What every peer shares with mirror-sd's Spec-Bench runs, without a framework import: the
question selection (as QuestionSelection), our prompt ids, the answer line (Spec-Bench's JSONL shape, as our
<method>.jsonl) and the count of turns whose greedy tokens equal ours."""
import json
import os
import subprocess
import sys
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TASKS = {
    "mt_bench": ["writing", "roleplay", "reasoning", "math", "coding", "extraction", "stem", "humanities"],
    "translation": ["translation"],
    "summarization": ["summarization"],
    "qa": ["qa"],
    "math_reasoning": ["math_reasoning"],
    "rag": ["rag"],
}


def select(path, names, limit, task_limit=0):
    """mirror-sd's QuestionSelection: named tasks or categories, at most `limit` per category in file order,
    then at most `task_limit` per task, round-robin over the task's categories."""
    cats = set()
    valid = sorted({c for cs in TASKS.values() for c in cs})
    for n in [x.strip() for x in names.split(",") if x.strip()]:
        if n in TASKS:
            cats.update(TASKS[n])
        elif n in valid:
            cats.add(n)
        else:
            sys.exit(f"unknown Spec-Bench task or category '{n}'; valid tasks: {list(TASKS)}; valid categories: {valid}")
    taken, out = {}, []
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            q = json.loads(line)
            if cats and q["category"] not in cats:
                continue
            taken[q["category"]] = taken.get(q["category"], 0) + 1
            if limit <= 0 or taken[q["category"]] <= limit:
                out.append(q)
    if task_limit <= 0:
        return out
    by_task = {}
    for q in out:
        task = next(t for t, cs in TASKS.items() if q["category"] in cs)
        by_task.setdefault(task, {}).setdefault(q["category"], []).append(q)
    kept = set()
    for by_category in by_task.values():
        rounds = max(len(qs) for qs in by_category.values())
        picks = [qs[r] for r in range(rounds) for qs in by_category.values() if r < len(qs)]
        kept.update(q["question_id"] for q in picks[:task_limit])
    return [q for q in out if q["question_id"] in kept]


def answer_line(q, method, model_name, turns):
    """One Spec-Bench answer. turns: (text, new token ids, wall seconds, accept lengths) per turn; the accept
    lengths are the tokens each target forward produced (1 each for plain decoding) and sum to the new tokens."""
    for text, new, wall, lengths in turns:
        if sum(lengths) != len(new):
            raise ValueError(f"question {q['question_id']}: accept lengths sum to {sum(lengths)}, not {len(new)} tokens")
    model_id = f"{model_name}-{method}"
    choice = {
        "index": 0,
        "turns": [t[0] for t in turns],
        "decoding_steps": [len(t[3]) for t in turns],
        "new_tokens": [len(t[1]) for t in turns],
        "wall_time": [t[2] for t in turns],
        "accept_lengths": [x for t in turns for x in t[3]],
        "accept_lengths_per_turn": [t[3] for t in turns],
        "token_ids": [t[1] for t in turns],
    }
    return {
        "question_id": q["question_id"], "category": q["category"],
        "answer_id": uuid.uuid5(uuid.NAMESPACE_URL, f"{model_id}/{q['question_id']}").hex,
        "model_id": model_id, "choices": [choice], "tstamp": time.time(),
    }


def tokens_per_call(calls):
    """Accept lengths from the forward call that produced each token, in order: [1, 1, 2, 2, 2, 3] -> [2, 3, 1]."""
    lengths = []
    for i, call in enumerate(calls):
        if i > 0 and call == calls[i - 1]:
            lengths[-1] += 1
        else:
            lengths.append(1)
    return lengths


def read_token_ids(path):
    """{question_id: [token ids per turn]} of a Spec-Bench answer file that carries token_ids."""
    out = {}
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            a = json.loads(line)
            choice = a["choices"][0]
            if "token_ids" not in choice:
                raise ValueError(f"{path} line {number}: no token_ids")
            out[a["question_id"]] = choice["token_ids"]
    return out


def agreement(ours, theirs):
    """Turns whose token ids are equal, over the questions both answered (turn by turn; a second turn
    whose first turn differs sees a different prompt and is counted as it comes). Returns
    (equal turns, compared turns, common prefix length of each differing turn as (question, turn, prefix, length))."""
    equal, compared, differing = 0, 0, []
    for qid in sorted(set(ours) & set(theirs)):
        for t, (a, b) in enumerate(zip(ours[qid], theirs[qid])):
            compared += 1
            if a == b:
                equal += 1
                continue
            prefix = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            differing.append((qid, t, prefix, len(a)))
    return equal, compared, differing


class OurPrompts:
    """Our tokenizer's prompt ids (Generator.encode: the chat template, then our encoder), from PromptIds.java
    running beside this script on bin/mirror-sd's jars, one conversation per line."""

    def __init__(self, gguf):
        jar = os.path.join(ROOT, "cli", "target", "cli.jar")
        classpath = os.path.join(ROOT, "cli", "target", "classpath.txt")
        if not (os.path.isfile(jar) and os.path.isfile(classpath)):
            sys.exit("our prompt ids come from mirror-sd's jars: run `bin/mirror-sd --help` once")
        java_home = subprocess.run([os.path.join(ROOT, "scripts", "java-home.sh")], capture_output=True,
                                   text=True, check=True).stdout.strip()
        with open(classpath) as f:
            cp = jar + ":" + f.read().strip()
        self.process = subprocess.Popen(
            [os.path.join(java_home, "bin", "java"), "--add-modules", "jdk.incubator.vector",
             "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", cp,
             os.path.join(ROOT, "tools", "peers", "PromptIds.java"), gguf],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, encoding="utf-8")

    def ids(self, conversation):
        self.process.stdin.write(json.dumps(conversation) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            sys.exit(f"PromptIds stopped (exit {self.process.wait()})")
        return json.loads(line)

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def main():
    """python3 tools/peers/specbench_io.py OURS.jsonl PEER.jsonl: the greedy agreement of two answer files."""
    if len(sys.argv) != 3:
        sys.exit("usage: specbench_io.py OURS.jsonl PEER.jsonl")
    equal, compared, differing = agreement(read_token_ids(sys.argv[1]), read_token_ids(sys.argv[2]))
    print(f"token ids equal on {equal} of {compared} turns")
    for qid, t, prefix, length in differing:
        print(f"  question {qid} turn {t + 1}: equal for the first {prefix} of our {length} tokens")


if __name__ == "__main__":
    main()
