"""Bar charts of the headline results: reads docs/results/figures.json, writes docs/results/charts/<name>.svg.
    pip install matplotlib && python3 tools/results/charts.py"""
import json, os
import matplotlib
matplotlib.use("svg")
import matplotlib.pyplot as plt

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
results = os.path.join(root, "docs", "results")
plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "mirror-sd", "font.size": 9})

def chart(name, figure):
    rows = figure["rows"]
    labels = [r["method"] for r in rows]
    values = [r["value"] for r in rows]
    fig, ax = plt.subplots(figsize=(6.4, 0.32 * len(rows) + 0.9))
    colours = ["#888888" if l == "autoregressive" else "#3b6ea8" for l in labels]
    bars = ax.barh(labels, values, color=colours)
    ax.invert_yaxis()
    for bar, r in zip(bars, rows):
        text = f"{r['value']:.2f}x" if figure["unit"].startswith("speedup") else f"{r['value']:g}"
        if "tau" in r:
            text += f"  (tau {r['tau']:.2f})"
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, " " + text, va="center")
    if figure["unit"].startswith("speedup"):
        ax.axvline(1.0, color="#444444", linewidth=0.8, linestyle="--")
    ax.set_xlim(0, max(values) * 1.35)
    ax.set_xlabel(figure["unit"])
    ax.set_title(figure["title"], fontsize=9)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    out = os.path.join(results, "charts", name + ".svg")
    fig.savefig(out, metadata={"Date": None})
    plt.close(fig)
    print(f"wrote {os.path.relpath(out, root)} ({os.path.getsize(out)} bytes)")

with open(os.path.join(results, "figures.json")) as f:
    for name, figure in json.load(f).items():
        chart(name.replace("_", "-"), figure)
