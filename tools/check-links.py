#!/usr/bin/env python3
"""Checks that every relative link in the repository's Markdown files resolves to a file or folder.
    python3 tools/check-links.py [FILE.md ...]     # default: README.md, CHANGELOG.md, docs/**.md
Links with a scheme (https:, mailto:) and pure #anchors are skipped; a #anchor on a path is checked
against the target's headings. Exit status 1 if any link dangles."""
import glob, os, re, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINK = re.compile(r"(?<!\!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^\s*(```|~~~)")

def anchors(path):
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    out = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"#+\s+(.*)", line)
            if m:
                text = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower())
                out.add(text.replace(" ", "-"))
    return out

def links(path):
    fenced = False
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if FENCE.match(line):
                fenced = not fenced
                continue
            if fenced:
                continue
            line = re.sub(r"`[^`]*`", "", line)
            for m in LINK.finditer(line):
                yield n, m.group(1) or m.group(2)

def main(files):
    bad = 0
    for md in files:
        for n, target in links(md):
            if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                continue
            path, _, anchor = target.partition("#")
            resolved = os.path.normpath(os.path.join(os.path.dirname(md), path))
            if not os.path.exists(resolved):
                print(f"{os.path.relpath(md, root)}:{n}: {target} does not exist")
                bad += 1
            elif anchor and resolved.endswith(".md") and anchor not in anchors(resolved):
                print(f"{os.path.relpath(md, root)}:{n}: {target}: no heading #{anchor}")
                bad += 1
    print(f"{len(files)} files, {bad} dangling links")
    return 1 if bad else 0

if __name__ == "__main__":
    files = sys.argv[1:] or [os.path.join(root, "README.md"), os.path.join(root, "CHANGELOG.md")] + sorted(
        glob.glob(os.path.join(root, "docs", "**", "*.md"), recursive=True))
    sys.exit(main([os.path.abspath(f) for f in files]))
