"""Prints the main job's table (scripts/main_job.sh) from its runs' summaries.

Usage: main_job_table.py OUT "SEEDS" "ROWS" "key=value ..."
Reads OUT/teacher/summary.json and OUT/<row>_seed<seed>/summary.json; the
first row is the plain student every other row is compared with, seed by
seed (paired differences: same initial weights, batches and augmentation).
"""
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from stats import mean_sd  # noqa: E402

ROW_NAMES = {
    "plain": "plain (CE)",
    "kd": "KD (0.1 CE + 0.9 KD, T=4)",
    "ega": "EGA (CE + ega 0.8/0.24)",
    "ega_kd": "EGA + KD",
    "rkd": "RKD (CE + rkd 25/50)",
}


def main():
    out, seeds, rows, setting = sys.argv[1:]
    seeds, rows = seeds.split(), rows.split()
    setting = dict(kv.split("=", 1) for kv in setting.split())
    load = lambda d: json.load(open(f"{out}/{d}/summary.json"))
    teacher = load("teacher")
    last = {r: [load(f"{r}_seed{s}")["last_top1"] for s in seeds] for r in rows}
    best = {r: [load(f"{r}_seed{s}")["best_top1"] for s in seeds] for r in rows}
    secs = {r: [load(f"{r}_seed{s}")["seconds"] for s in seeds] for r in rows}

    print()
    print(f"Fashion-MNIST (28x28 grey -> 32x32x3, crop + flip), evaluated on "
          f"{setting['eval_images']} class-balanced test images.")
    print(f"Teacher: {setting['teacher']} on {setting['teacher_images']} training images, "
          f"{setting['teacher_epochs']} epochs: top-1 {teacher['last_top1']:.2f}%.")
    print(f"Students: {setting['student']} on a label budget of {setting['student_images']} "
          f"images (a subset of the teacher's), {setting['student_epochs']} epochs, "
          f"batch 64, SGD lr 0.05 cosine, seeds {' '.join(seeds)}; "
          "distilled rows with the teacher and its head frozen (--mode=sequential).")
    if setting.get("precision", "fp32") != "fp32":
        print(f"Every network in {setting['precision']} autocast with channels-last "
              "convolutions (losses in fp32).")
    print()
    base = rows[0]
    header = "| student | " + " | ".join(f"seed {s}" for s in seeds)
    header += " | mean ± sd | vs plain, per seed | vs plain, mean ± sd | best epoch | s/run |"
    print(header)
    print("|" + "---|" * (len(seeds) + 6))
    verdicts = []
    spread = statistics.stdev(last[base]) if len(seeds) > 1 else 0.0
    for r in rows:
        diff = [a - b for a, b in zip(last[r], last[base])]
        cells = [f"{v:.2f}" for v in last[r]]
        per_seed = "—" if r == base else " ".join(f"{d:+.2f}" for d in diff)
        vs_mean = "—" if r == base else mean_sd(diff, "+")
        print(f"| {ROW_NAMES.get(r, r)} | " + " | ".join(cells) +
              f" | {mean_sd(last[r])} | {per_seed} | {vs_mean} | "
              f"{mean_sd(best[r])} | {statistics.mean(secs[r]):.0f} |")
        if r == base:
            continue
        row_spread = max(spread, statistics.stdev(last[r]) if len(seeds) > 1 else 0.0)
        if all(d > 2 * row_spread for d in diff):
            verdicts.append(f"{ROW_NAMES.get(r, r)} is ahead of the plain student on every seed "
                            f"by more than twice the seed spread ({min(diff):+.2f} points at "
                            f"least, spread {row_spread:.2f})")
        elif all(d > 0 for d in diff):
            verdicts.append(f"{ROW_NAMES.get(r, r)} is ahead on every seed, but not by twice "
                            f"the seed spread ({min(diff):+.2f} at least, spread {row_spread:.2f})")
        elif all(d < 0 for d in diff):
            verdicts.append(f"{ROW_NAMES.get(r, r)} is behind the plain student on every seed "
                            f"({max(diff):+.2f} points at best)")
        else:
            verdicts.append(f"{ROW_NAMES.get(r, r)}: the sign of the difference changes with "
                            f"the seed ({mean_sd(diff, '+')} points): noise at this size")
    print()
    print("Top-1 % at the last epoch (the best-epoch column is chosen on the test images, so it "
          "is optimistic). Paired differences: same seed, same initial weights, batches and "
          "augmentation, only the loss differs.")
    n = int(setting["eval_images"])
    print(f"One test image is {100 / n:.2f} points; the sampling error of an accuracy near 80% "
          f"on {n} images is about ±{100 * (0.16 / n) ** 0.5:.1f} points.")
    for v in verdicts:
        print(f"- {v}.")
    print("EGA was designed for a self-supervised teacher on CIFAR-100 (100 classes); why it "
          "does what it does on this 10-class problem: docs/ega_study.md.")
    print(f"(runs, metrics and learning curves in {out}/)")


if __name__ == "__main__":
    main()
