"""The table of scripts/reproduce.sh: mean ± sd top-1 per method and setting.

Usage: reproduce_table.py OUT "SEEDS" "METHODS" "SETTINGS" "key=value ..."
Reads OUT/ce/seed<s>/ and OUT/<setting>/<method>/seed<s>/ (summary.json,
metrics.jsonl). Prints markdown: last-epoch and best-epoch top-1, and the
paired difference of the last epoch to `ce` (same seed: same initial
weights, batches and augmentation).
"""
import json
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from stats import mean_sd  # noqa: E402

NAMES = {
    "ce": "CE (no teacher)", "kd": "KD", "fitnet": "FitNet", "pkt": "PKT",
    "rkd": "RKD", "nce": "NCE", "irg": "IRG", "crd": "CRD", "ccl": "CCL",
    "ega": "EGA", "ega_kd": "EGA + KD", "ce_node": "CE + node (ablation)",
    "ce_edge": "CE + edge (ablation)", "dkd": "DKD", "dkd_ls": "DKD + logit std.",
    "kd_ls": "KD + logit std.", "dist": "DIST", "at": "AT", "sp": "SP", "cc": "CC",
    "vid": "VID",
}


def best_top1(run_dir):
    """Best evaluated top-1 over the epochs (metrics.jsonl), NaN if none."""
    best = math.nan
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        for line in f:
            v = json.loads(line).get("test_top1")
            if v is not None and not (best >= v):
                best = v
    return best


def main():
    out, seeds, methods, settings, setting = sys.argv[1:]
    seeds, methods, settings = seeds.split(), methods.split(","), settings.split()
    kv = dict(item.split("=", 1) for item in setting.split())

    def runs(method, mode):
        base = os.path.join(out, "ce") if method == "ce" else os.path.join(out, mode, method)
        return [os.path.join(base, f"seed{s}") for s in seeds]

    def last(dirs):
        return [json.load(open(os.path.join(d, "summary.json")))["last_top1"] for d in dirs]

    size = lambda n: "all" if n == "0" else n
    print(f"Data set {kv['dataset']}; teacher {kv['teacher']} ({size(kv['teacher_images'])} "
          f"training images, {kv['teacher_epochs']} epochs: top-1 "
          f"{json.load(open(os.path.join(out, 'teacher', 'summary.json')))['last_top1']:.2f}%); "
          f"students {kv['student']} on {size(kv['student_images'])} images, {kv['epochs']} "
          f"epochs, batch 64, SGD 0.05 cosine; evaluated on {size(kv['eval_images'])} test "
          f"images; seeds {' '.join(seeds)}. Top-1 %, mean ± sd over the seeds.")
    if kv.get("precision", "fp32") != "fp32":
        print(f"Every network in {kv['precision']} autocast with channels-last convolutions "
              "(losses in fp32; docs/speed.md).")
    print()
    header = "| method |"
    rule = "|---|"
    for mode in settings:
        header += f" {mode}: last | {mode}: best | {mode}: last − CE |"
        rule += "---|---|---|"
    print(header)
    print(rule)
    ce_last = last(runs("ce", None)) if "ce" in methods else None
    for m in methods:
        row = f"| {NAMES.get(m, m)} |"
        for i, mode in enumerate(settings):
            if m == "ce" and i > 0:
                row += " ″ | ″ | ″ |"
                continue
            dirs = runs(m, mode)
            values = last(dirs)
            bests = [best_top1(d) for d in dirs]
            diff = ("—" if m == "ce" or ce_last is None
                    else mean_sd([a - b for a, b in zip(values, ce_last)], "+"))
            row += f" {mean_sd(values)} | {mean_sd(bests)} | {diff} |"
        print(row)
    print()
    print("last: the last epoch's top-1 (the figure to compare); best: the best epoch's, chosen "
          "on the test images (optimistic). last − CE: the paired difference to the CE student "
          "of the same seed.")


if __name__ == "__main__":
    main()
