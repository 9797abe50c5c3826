"""results.jsonl of bench/compare_pytorch.sh -> a Markdown table: median
images/s (min-max over the repetitions) per work item, side and precision,
and the ratios the speed issue asks for, each from figures of the same run.

  compare_table.py results.jsonl
"""
import json
import statistics
import sys
from collections import defaultdict

WORK = [("student", "1. student step (resnet8x4, CE)"),
        ("ega", "2. EGA step, frozen resnet32x4 teacher"),
        ("teacher", "3. frozen resnet32x4 forward"),
        ("eval", "4. evaluation forward (resnet8x4)"),
        ("epoch", "5. EGA epoch with data pipeline"),
        ("epoch_cached", "5b. EGA epoch, teacher feature cache")]
SIDES = [("pytorch", "fp32"), ("pytorch", "bf16"), ("c++", "fp32"),
         ("c++", "bf16")]

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
runs = defaultdict(list)
rss = defaultdict(list)
for r in rows:
    key = (r["work"], r["side"], r["precision"])
    runs[key].append(r["images_per_s"])
    if "peak_rss_mib" in r:
        rss[key].append(r["peak_rss_mib"])


def median(key):
    v = runs.get(key)
    return statistics.median(v) if v else None


def cell(key):
    v = runs.get(key)
    if not v:
        return "-"
    return "%.0f (%.0f-%.0f)" % (statistics.median(v), min(v), max(v))


def ratio(a, b):
    """Median (min-max) of the per-repetition ratios a / b: each pair was
    measured in the same repetition, minutes apart, so a machine that slows
    down between repetitions moves both."""
    x, y = runs.get(a), runs.get(b)
    if not x or not y:
        return "-"
    r = [p / q for p, q in zip(x, y)]
    return "%.2fx (%.2f-%.2f)" % (statistics.median(r), min(r), max(r))


threads = sorted({r["threads"] for r in rows})
print("images/s, median (min-max) of %d repetitions, batch %s, %s thread(s); "
      "bf16 = bf16 autocast + channels-last (PyTorch: also inference_mode "
      "for the teacher)\n" % (
          max(len(v) for v in runs.values()),
          ",".join(sorted({str(r["batch_size"]) for r in rows})),
          ",".join(map(str, threads))))
print("Ratios: median (min-max) of the ratios within each repetition.\n")
print("| work | PyTorch fp32 | PyTorch bf16 | C++ fp32 | C++ bf16 | "
      "C++ bf16 / PyTorch fp32 | C++ bf16 / PyTorch bf16 | "
      "C++ fp32 / PyTorch fp32 |")
print("|---|---|---|---|---|---|---|---|")
for work, title in WORK:
    if not any(k[0] == work for k in runs):
        continue
    cells = [cell((work,) + s) for s in SIDES]
    print("| %s | %s | %s | %s |" % (
        title, " | ".join(cells),
        ratio((work, "c++", "bf16"), (work, "pytorch", "fp32")) + " | " +
        ratio((work, "c++", "bf16"), (work, "pytorch", "bf16")),
        ratio((work, "c++", "fp32"), (work, "pytorch", "fp32"))))
if runs.get(("epoch_cached", "c++", "bf16")):
    print("\nCached-teacher C++ epoch (bf16) / PyTorch fp32 online-teacher "
          "epoch: %s" % ratio(("epoch_cached", "c++", "bf16"),
                               ("epoch", "pytorch", "fp32")))
if rss:
    print("\nPeak resident memory of one epoch (MiB, median; PyTorch: the "
          "main process, its 2 DataLoader workers not counted):\n")
    for key in sorted(rss):
        print("- %s %s %s: %.0f" % (key[1], key[0], key[2],
                                    statistics.median(rss[key])))
