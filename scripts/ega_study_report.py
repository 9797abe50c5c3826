"""Tables of scripts/ega_study.sh: accuracy, loss terms and gradient norms of
every variant, and the node term's floor from the teacher's embeddings.

Usage: ega_study_report.py OUT   (writes OUT/table.md and OUT/floor.txt)
"""
import json
import math
import os
import random
import statistics
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from stats import mean_sd  # noqa: E402

# name, description, the plain run it is paired with (same seeds, same batch).
VARIANTS = [
    ("ce", "CE only", None),
    ("ega", "CE + EGA (node 0.8, edge 0.24), sequential", "ce"),
    ("node", "CE + node only (0.8)", "ce"),
    ("edge", "CE + edge only (0.24)", "ce"),
    ("masked", "CE + EGA, node_target=masked", "ce"),
    ("labels", "CE + EGA, node_target=labels", "ce"),
    ("teacher_target", "CE + EGA, node_target=teacher", "ce"),
    ("ega_w_div10", "CE + EGA, weights / 10 (0.08, 0.024)", "ce"),
    ("edge_x10", "CE + edge only x 10 (2.4)", "ce"),
    ("ce_b32", "CE only, batch 32", None),
    ("ega_b32", "CE + EGA, batch 32", "ce_b32"),
    ("ce_b128", "CE only, batch 128", None),
    ("ega_b128", "CE + EGA, batch 128", "ce_b128"),
    ("sim_fresh", "CE + EGA, simultaneous, fresh teacher head (the reference)", "ce"),
    ("sim_trained", "CE + EGA, simultaneous, trained teacher head", "ce"),
    ("seq_fresh", "CE + EGA, sequential, fresh head trained first (4 epochs)", "ce"),
    ("sim_fresh_masked", "CE + EGA masked, simultaneous, fresh head", "ce"),
]


def read_run(path):
    summary = json.load(open(os.path.join(path, "summary.json")))
    records = [json.loads(line) for line in open(os.path.join(path, "metrics.jsonl"))]
    return summary, records


def seeds_of(out, name):
    base = os.path.join(out, name)
    if not os.path.isdir(base):
        return {}
    runs = {}
    for d in sorted(os.listdir(base)):
        if d.startswith("seed") and os.path.isfile(os.path.join(base, d, "summary.json")):
            runs[int(d[4:])] = read_run(os.path.join(base, d))
    return runs


def column(records, name, epoch_index):
    v = records[epoch_index].get(name)
    return math.nan if v is None else v


def table(out):
    lines = [
        "| variant | seeds | test top-1 (last) | vs its CE run, paired | train top-1 (last) | "
        "node term, epoch 1 → last | edge term, epoch 1 → last | |∇ce|, epoch 1 → last | "
        "0.8·|∇node|, epoch 1 → last | 0.24·|∇edge|, epoch 1 → last |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, text, base in VARIANTS:
        runs = seeds_of(out, name)
        if not runs:
            continue
        base_runs = seeds_of(out, base) if base else {}
        last = [s["last_top1"] for s, _ in runs.values()]
        diff = [runs[k][0]["last_top1"] - base_runs[k][0]["last_top1"]
                for k in runs if k in base_runs]
        train = [r[-1]["train_top1"] for _, r in runs.values()]

        def first_last(col, scale=1.0):
            a = [scale * column(r, col, 0) for _, r in runs.values()]
            b = [scale * column(r, col, -1) for _, r in runs.values()]
            if all(math.isnan(x) for x in a):
                return "—"
            return f"{mean_sd(a)} → {mean_sd(b)}"

        lines.append(
            f"| {text} | {','.join(map(str, runs))} | {mean_sd(last)} | "
            f"{mean_sd(diff, '+') if base else '—'} | {mean_sd(train)} | "
            f"{first_last('train_ega/node')} | {first_last('train_ega/edge')} | "
            f"{first_last('train_grad/ce')} | {first_last('train_grad/ega/node', 0.8)} | "
            f"{first_last('train_grad/ega/edge', 0.24)} |")
    return "\n".join(lines)


def pearson_rows(x):
    x = x - x.mean(dim=1, keepdim=True)
    x = x / x.norm(dim=1, keepdim=True).clamp_min(1e-8)
    return x @ x.t()


def floor(out, batch=64, batches=200):
    """||E_t - I||_F over random batches of the teacher's embeddings: the
    node term of a student that equals the teacher, and its parts."""
    folder = os.path.join(out, "teacher_embeddings")
    vectors = torch.tensor([[float(v) for v in line.split("\t")]
                            for line in open(os.path.join(folder, "vectors.tsv"))],
                           dtype=torch.float64)
    meta = open(os.path.join(folder, "metadata.tsv")).read().split("\n")
    labels_text = [line.split("\t")[0] for line in meta[1:] if line]
    names = sorted(set(labels_text))
    labels = torch.tensor([names.index(t) for t in labels_text])
    rng = random.Random(0)
    total, same, other, diag, share = [], [], [], [], []
    for _ in range(batches):
        idx = torch.tensor(rng.sample(range(len(labels)), batch))
        c = pearson_rows(vectors[idx])
        y = labels[idx]
        same_class = (y[:, None] == y[None, :]) & ~torch.eye(batch, dtype=torch.bool)
        other_class = y[:, None] != y[None, :]
        d = c - torch.eye(batch, dtype=torch.float64)
        total.append(d.norm().item())
        same.append(d[same_class].norm().item())
        other.append(d[other_class].norm().item())
        diag.append(d.diagonal().norm().item())
        share.append(same_class.sum().item() / (batch * (batch - 1)))
    mean = statistics.mean
    return (
        f"Teacher embeddings of {len(labels)} training images, {batches} random batches of {batch}:\n"
        f"- share of same-class pairs among the off-diagonal pairs: {100 * mean(share):.1f}% "
        f"(expected for 10 balanced classes of N images: (N/10 - 1)/(N - 1) = "
        f"{100 * (len(labels) / 10 - 1) / (len(labels) - 1):.1f}%)\n"
        f"- ||E_t - I||_F (the node term of a student equal to the teacher): {mean(total):.2f} "
        f"(sqrt(B) = {math.sqrt(batch):.2f} is the node term of uncorrelated embeddings)\n"
        f"  of which same-class pairs {mean(same):.2f}, other-class pairs {mean(other):.2f}, "
        f"diagonal {mean(diag):.2f} (parts add in squares)\n")


def main():
    out = sys.argv[1]
    text = table(out)
    open(os.path.join(out, "table.md"), "w").write(text + "\n")
    print(text)
    if os.path.isfile(os.path.join(out, "teacher_embeddings", "vectors.tsv")):
        f = floor(out)
        open(os.path.join(out, "floor.txt"), "w").write(f)
        print()
        print(f)


if __name__ == "__main__":
    main()
