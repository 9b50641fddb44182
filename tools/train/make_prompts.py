"""Stage 2: turn the corpus into instruction-style chat prompts (train and held-out sets).

Usage: make_prompts.py [--data build/train] [--n-train 12000] [--n-heldout 256] [--seed 0] [--long-share 0]
Input : DATA/corpus/*.txt (fetch_corpus.sh)
Output: DATA/prompts.jsonl.gz, one JSON object per line:
        {"id": int, "split": "train"|"heldout", "kind": str, "source": str, "user": str}
        kind "self" marks a seed instruction whose OUTPUT (a question written by the target)
        becomes the real prompt (generate_data.py does that pass on the GPU).
Passages are split train/held-out by passage (a held-out passage never appears in training).
Spec-Bench text is never used.
"""
import argparse
import glob
import gzip
import json
import os
import random
import re

ap = argparse.ArgumentParser()
ap.add_argument("--data", default="build/train")
ap.add_argument("--n-train", type=int, default=12000)
ap.add_argument("--n-heldout", type=int, default=256)
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--long-share", type=float, default=0.0,
                help="share of rows over long documents (400-900 words of consecutive passages of one source):"
                     " summaries, questions on the text, and several documents with a question, as Spec-Bench's"
                     " summarization and rag prompts are long; 0 leaves the rows as earlier stages made them")
args = ap.parse_args()
rng = random.Random(args.seed)

SENT = re.compile(r"(?<=[.!?\"])\s+(?=[A-Z\"])")


def passages(text_lines, lo=40, hi=160):
    """Chunk paragraphs into passages of lo..hi words at sentence boundaries."""
    for para in text_lines:
        cur = []
        for s in SENT.split(para):
            cur.append(s)
            n = sum(len(x.split()) for x in cur)
            if n >= hi or (n >= lo and rng.random() < 0.25):
                yield " ".join(cur)
                cur = []
        if cur and sum(len(x.split()) for x in cur) >= lo:
            yield " ".join(cur)


TEMPLATES = [
    ("continue", "Continue this text:\n\n{p}"),
    ("continue", "Continue the following passage in the same style for a few more paragraphs.\n\n{p}"),
    ("summarize", "Summarize the following passage in a few sentences.\n\n{p}"),
    ("summarize", "Give a one-paragraph summary of this text:\n\n{p}"),
    ("explain", "Explain the main idea of this passage in simple words.\n\n{p}"),
    ("explain", "Explain what the author is trying to say here:\n\n{p}"),
    ("question", "Read the passage and answer: who or what is it mainly about, and why does it matter?\n\n{p}"),
    ("question", "{p}\n\nWhat are three key points of the text above?"),
    ("question", "{p}\n\nWrite three questions a teacher could ask about this passage, with their answers."),
    ("rewrite", "Rewrite this passage in plain modern English:\n\n{p}"),
    ("rewrite", "Turn this passage into a short list of bullet points:\n\n{p}"),
    ("tone", "Describe the tone and style of this passage, with examples from it.\n\n{p}"),
    ("story", "Write a short story that begins with this sentence: \"{s}\""),
    ("letter", "Write a short letter to a friend about the events in this passage.\n\n{p}"),
    ("translate", "Translate this passage into French:\n\n{s}"),
]
TOPIC_TEMPLATES = [
    ("explain", "Explain what the word \"{w}\" means and use it in two sentences."),
    ("explain", "Explain the history of {w} in a few paragraphs."),
    ("essay", "Write a short essay about {w}."),
]
SUBJECTS = ["mathematics", "algebra", "geometry", "probability", "physics", "chemistry", "biology",
            "astronomy", "world history", "American history", "economics", "personal finance",
            "Python programming", "JavaScript", "SQL databases", "algorithms", "computer networks",
            "cooking", "travel", "health and fitness", "psychology", "philosophy", "literature",
            "music", "art", "geography", "law", "business", "marketing", "writing emails",
            "job interviews", "the environment", "climate", "sports", "gardening", "pets",
            "logic puzzles", "word problems", "linguistics", "film", "education"]
LONG_TEMPLATES = [
    ("summarize-long", "Summarize the following article in a few sentences.\n\n{d}"),
    ("summarize-long", "{d}\n\nWrite a short summary of the text above."),
    ("question-long", "{d}\n\nBased only on the text above, what are its main points, and what evidence does it give?"),
    ("question-long", "Read the text and answer: what does the author want the reader to believe or do?\n\n{d}"),
]
RAG_TEMPLATE = ("rag", "Answer the question using the documents below.\n\n{docs}\n\nQuestion: What do these documents"
                       " say about {w}?")
SELF_TEMPLATES = [
    "Write one question that a student might ask an AI assistant about {t}. Output only the question.",
    "Write a short task (one or two sentences) that a user might give an AI assistant about {t}. Output only the task.",
    "Write a math or logic word problem about {t}. Output only the problem.",
    "Write a request asking for a short piece of code or a step-by-step explanation related to {t}. Output only the request.",
]

srcs = {}
for f in sorted(glob.glob(os.path.join(args.data, "corpus", "*.txt"))):
    name = os.path.basename(f)[:-4]
    srcs[name] = list(passages(open(f, encoding="utf-8").read().splitlines()))
    print(f"{name}: {len(srcs[name])} passages")

pool = [(name, p) for name, ps in srcs.items() for p in ps]
rng.shuffle(pool)
n_ho_pass = max(1, len(pool) // 20)  # 5% of passages held out
split_pool = {"heldout": pool[:n_ho_pass], "train": pool[n_ho_pass:]}
words = sorted({w.lower() for _, p in pool[:3000] for w in re.findall(r"[A-Za-z]{7,}", p)})
ho_words = set(rng.sample(words, len(words) // 20))
ho_subjects = set(rng.sample(SUBJECTS, 4))



def documents(split_passages, lo=400, hi=900):
    """Runs of consecutive passages of one source, all of one split, of lo..hi words."""
    members = set(split_passages)
    docs = []
    for name, ps in srcs.items():
        cur = []
        for p in ps:
            if (name, p) not in members:
                cur = []
                continue
            cur.append(p)
            n = sum(len(x.split()) for x in cur)
            if n >= hi or (n >= lo and long_rng.random() < 0.3):
                docs.append((name, "\n\n".join(cur)))
                cur = []
    return docs


# a generator of its own, so that --long-share 0 leaves every other row as earlier stages made it
long_rng = random.Random(args.seed + 7919)
docs = {split: documents(ps) for split, ps in split_pool.items()} if args.long_share > 0 else {}

rows = []
for split, n in (("train", args.n_train), ("heldout", args.n_heldout)):
    ps = split_pool[split]
    wl = sorted(ho_words) if split == "heldout" else [w for w in words if w not in ho_words]
    subj = sorted(ho_subjects) if split == "heldout" else [s for s in SUBJECTS if s not in ho_subjects]
    for i in range(n):
        if args.long_share > 0 and docs[split] and long_rng.random() < args.long_share:
            if long_rng.random() < 0.3:
                picked = long_rng.sample(docs[split], min(3, len(docs[split])))
                # shorter documents, so that three fit a prompt of Spec-Bench's rag length
                parts = [" ".join(d.split()[:220]) for _, d in picked]
                text = "\n\n".join(f"Document {k + 1}: {d}" for k, d in enumerate(parts))
                found = re.findall(r"[A-Za-z]{7,}", text)
                name, kind = "documents", RAG_TEMPLATE[0]
                user = RAG_TEMPLATE[1].format(docs=text, w=long_rng.choice(found).lower() if found else "this")
            else:
                name, d = long_rng.choice(docs[split])
                kind, t = long_rng.choice(LONG_TEMPLATES)
                user = t.format(d=d)
            rows.append({"id": len(rows), "split": split, "kind": kind, "source": name, "user": user})
            continue
        r = rng.random()
        if r < 0.70:
            name, p = ps[i % len(ps)]
            kind, t = rng.choice(TEMPLATES)
            s = SENT.split(p)[0]
            user = t.format(p=p, s=s)
        elif r < 0.80:
            name = "words"
            kind, t = rng.choice(TOPIC_TEMPLATES)
            user = t.format(w=rng.choice(wl))
        else:
            name, kind = "subjects", "self"
            user = rng.choice(SELF_TEMPLATES).format(t=rng.choice(subj))
        rows.append({"id": len(rows), "split": split, "kind": kind, "source": name, "user": user})

out = os.path.join(args.data, "prompts.jsonl.gz")
with gzip.open(out, "wt", encoding="utf-8") as fh:
    for r in rows:
        fh.write(json.dumps(r) + "\n")
kinds = {}
for r in rows:
    kinds[(r["split"], r["kind"])] = kinds.get((r["split"], r["kind"]), 0) + 1
print(f"wrote {len(rows)} prompts -> {out} ({os.path.getsize(out)/1e6:.1f} MB)")
for k in sorted(kinds):
    print(f"  {k[0]:8s} {k[1]:10s} {kinds[k]}")
