#!/usr/bin/env bash
# End to end through the binaries on a small Fashion-MNIST subset: train a
# teacher, distil an EGA student (simultaneous), kill it with SIGKILL after a
# checkpoint and resume: its final checkpoint equals an unbroken run's. Then
# evaluate and dump_embeddings on the result, and load the PyTorch-form
# student with python3-torch.
set -uo pipefail
BIN="${TEST_SRCDIR}/${TEST_WORKSPACE}/tools"
TMP="${TEST_TMPDIR:-/tmp}/e2e"
rm -rf "$TMP"; mkdir -p "$TMP"
FMNIST="${KD_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
PY=/usr/bin/python3
fail() { echo "FAIL: $*"; exit 1; }

COMMON=(--dataset=fashion_mnist --data_dir="$FMNIST" --train_subset=96
        --eval_subset=40 --batch_size=32 --lr_milestones=1 --threads=2
        --loader_workers=2 --seed=3)

"$BIN/train" "${COMMON[@]}" --mode=teacher --teacher=resnet8 --epochs=1 \
  --out_dir="$TMP/teacher" >"$TMP/teacher.log" 2>&1 || { cat "$TMP/teacher.log"; fail "teacher run"; }
for f in checkpoint.pt best.pt teacher_final.pt teacher_head_final.pt \
         metrics.csv metrics.jsonl learning_curve.png summary.json; do
  [[ -s "$TMP/teacher/$f" ]] || fail "teacher run wrote no $f"
done
grep -q "^teacher: 1/1 epochs" "$TMP/teacher.log" || { cat "$TMP/teacher.log"; fail "teacher summary line"; }

STUDENT=("${COMMON[@]}" --mode=simultaneous --teacher=resnet8
         --teacher_checkpoint="$TMP/teacher/best.pt" --student=resnet8
         --loss=ce --loss=ega:node=0.8,edge=0.24 --epochs=2)
"$BIN/train" "${STUDENT[@]}" --out_dir="$TMP/straight" >"$TMP/straight.log" 2>&1 ||
  { cat "$TMP/straight.log"; fail "straight student run"; }
grep -q "teacher accuracy at start" "$TMP/straight.log" || fail "teacher accuracy not printed"
grep -q "ega/node" "$TMP/straight.log" || { cat "$TMP/straight.log"; fail "loss terms not reported"; }

# Kill -9 once the first checkpoint exists, then resume.
"$BIN/train" "${STUDENT[@]}" --out_dir="$TMP/killed" >"$TMP/killed.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  [[ -e "$TMP/killed/checkpoint.pt" ]] && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.05
done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
[[ -e "$TMP/killed/checkpoint.pt" ]] || { cat "$TMP/killed.log"; fail "no checkpoint before kill"; }
"$BIN/train" "${STUDENT[@]}" --out_dir="$TMP/killed" --resume >"$TMP/resumed.log" 2>&1 ||
  { cat "$TMP/resumed.log"; fail "resumed run"; }

"$PY" - "$TMP/straight" "$TMP/killed" <<'PYEOF' || fail "resumed run differs from the unbroken one"
import json, sys, torch
a, b = sys.argv[1], sys.argv[2]
for name in ["checkpoint.pt", "student_final.pt", "student_head_final.pt"]:
    ta, tb = torch.load(f"{a}/{name}"), torch.load(f"{b}/{name}")
    assert ta.keys() == tb.keys(), name
    bad = [k for k in ta if not torch.equal(ta[k], tb[k])]
    assert not bad, f"{name}: {bad[:5]}"
def rows(d):
    out = []
    for line in open(f"{d}/metrics.jsonl"):
        r = json.loads(line)
        r.pop("images_per_s"); r.pop("epoch_seconds")
        out.append(r)
    return out
assert rows(a) == rows(b), (rows(a), rows(b))
assert len(rows(a)) == 2
print("resumed == unbroken:", len(torch.load(f"{a}/checkpoint.pt")), "tensors")
PYEOF

# The PyTorch form: a plain dict of tensors with the reference names. The
# recipe of docs/training.md and docs/backbones.md: torch.load, then
# load_state_dict(strict=True) into RepDistiller's definition.
REFERENCE="${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/backbones/testdata"
"$PY" - "$TMP/straight" "$REFERENCE" <<'PYEOF' || fail "PyTorch-form student"
import sys, torch
d, reference = sys.argv[1:]
sys.path.insert(0, reference)
import reference_models
sd = torch.load(f"{d}/student_final.pt")
assert isinstance(sd, dict) and "conv1.weight" in sd, list(sd)[:5]
assert all(isinstance(v, torch.Tensor) for v in sd.values())
net = reference_models.build("resnet8", 10)
net.load_state_dict(sd, strict=True)
head = torch.load(f"{d}/student_head_final.pt")
assert set(head) == {"embed.weight", "embed.bias", "classifier.weight", "classifier.bias"}, set(head)
embed = torch.nn.Linear(head["embed.weight"].shape[1], head["embed.weight"].shape[0])
embed.load_state_dict({"weight": head["embed.weight"], "bias": head["embed.bias"]}, strict=True)
print("student_final.pt:", len(sd), "tensors, loaded strictly into the reference resnet8")
PYEOF

"$BIN/evaluate" --checkpoint="$TMP/straight/best.pt" --data_dir="$FMNIST" \
  --subset=40 --bank_subset=96 --knn_k=20 --probe_epochs=5 \
  --output="$TMP/eval.json" >"$TMP/eval.log" 2>&1 || { cat "$TMP/eval.log"; fail "evaluate"; }
"$PY" - "$TMP/eval.json" <<'PYEOF' || fail "evaluate JSON"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["examples"] == 40, j
assert 0 <= j["top1"] <= j["top5"] <= 100, j
assert len(j["per_class_top1"]) == 10, j
assert 0 <= j["knn"]["top1"] <= 100 and 0 <= j["linear_probe"]["top1"] <= 100, j
print("evaluate:", j["top1"], j["knn"]["top1"], j["linear_probe"]["top1"])
PYEOF

# The same evaluation in bf16 with channels-last: the same examples, top-1
# within 5 points (2 of 40 predictions) of fp32; a bad --precision is one
# line and exit 2.
"$BIN/evaluate" --checkpoint="$TMP/straight/best.pt" --data_dir="$FMNIST" \
  --subset=40 --knn=false --linear_probe=false --precision=bf16 --channels_last \
  --output="$TMP/eval_bf16.json" >"$TMP/eval_bf16.log" 2>&1 ||
  { cat "$TMP/eval_bf16.log"; fail "evaluate --precision=bf16"; }
"$PY" - "$TMP/eval.json" "$TMP/eval_bf16.json" <<'PYEOF' || fail "evaluate bf16 JSON"
import json, sys
fp32, bf16 = (json.load(open(f)) for f in sys.argv[1:])
assert bf16["examples"] == fp32["examples"], (fp32, bf16)
assert abs(bf16["top1"] - fp32["top1"]) <= 5.0, (fp32["top1"], bf16["top1"])
print("evaluate bf16:", bf16["top1"], "fp32:", fp32["top1"])
PYEOF
"$BIN/evaluate" --checkpoint="$TMP/straight/best.pt" --data_dir="$FMNIST" \
  --precision=fp8 >"$TMP/bad.log" 2>&1 && fail "evaluate --precision=fp8 succeeded"
[[ $? -eq 2 && $(wc -l <"$TMP/bad.log") -eq 1 ]] &&
  grep -qF -- "--precision: unknown precision 'fp8'; valid: fp32, bf16" "$TMP/bad.log" ||
  { cat "$TMP/bad.log"; fail "evaluate --precision=fp8: not one line, exit 2"; }
# fp16 needs CUDA; a CUDA device this libtorch cannot use is one line too.
"$BIN/evaluate" --checkpoint="$TMP/straight/best.pt" --data_dir="$FMNIST" \
  --precision=fp16 >"$TMP/fp16.log" 2>&1 && fail "evaluate --precision=fp16 on cpu succeeded"
[[ $? -eq 2 && $(wc -l <"$TMP/fp16.log") -eq 1 ]] &&
  grep -qF -- "--precision: precision fp16 needs a CUDA device (found cpu)" "$TMP/fp16.log" ||
  { cat "$TMP/fp16.log"; fail "evaluate --precision=fp16: not one line, exit 2"; }
if "$PY" -c 'import sys, torch; sys.exit(torch.cuda.is_available())'; then  # no CUDA
  "$BIN/dump_embeddings" --checkpoint="$TMP/straight/best.pt" --data_dir="$FMNIST" \
    --out_dir="$TMP/cuda_dump" --device=cuda:0 >"$TMP/cuda.log" 2>&1 &&
    fail "dump_embeddings --device=cuda:0 without CUDA succeeded"
  [[ $? -eq 2 && $(wc -l <"$TMP/cuda.log") -eq 1 ]] &&
    grep -qF -- "--device: cuda:0: no CUDA device is available" "$TMP/cuda.log" ||
    { cat "$TMP/cuda.log"; fail "dump_embeddings --device=cuda:0: not one line, exit 2"; }
fi

"$BIN/dump_embeddings" --checkpoint="$TMP/straight/best.pt" --data_dir="$FMNIST" \
  --classes=0,1,8 --subset=60 --perplexity=5 --tsne_iterations=300 \
  --out_dir="$TMP/tsne" >"$TMP/tsne.log" 2>&1 || { cat "$TMP/tsne.log"; fail "dump_embeddings"; }
for f in vectors.tsv metadata.tsv tsne.csv tsne.png; do
  [[ -s "$TMP/tsne/$f" ]] || fail "dump_embeddings wrote no $f"
done
[[ $(wc -l <"$TMP/tsne/vectors.tsv") -eq 60 ]] || fail "vectors.tsv rows"
[[ $(head -c 4 "$TMP/tsne/tsne.png" | od -An -c | tr -d ' ') == "211PNG" ]] || fail "tsne.png is not a PNG"
echo "all good"
