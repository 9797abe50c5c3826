#!/usr/bin/env bash
# tools/build_teacher_cache end to end: bad input (exit 2, one stderr line),
# caches of the TorchScript fixture teacher on a Fashion-MNIST subset (the
# header and features read back with python3), then tools/train distils an
# EGA student from each cache; a cache built for another subset,
# augmentation or normalisation is refused with a clear message.
set -uo pipefail
BIN="${TEST_SRCDIR}/${TEST_WORKSPACE}/tools"
TS="${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/teacher/testdata/tiny_teacher.pt"
TMP="${TEST_TMPDIR:-/tmp}/cache_e2e"
rm -rf "$TMP"; mkdir -p "$TMP"
FMNIST="${KD_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
PY=/usr/bin/python3
failures=0
fail() { echo "FAIL: $*"; exit 1; }

# expect_bad <expected substring> <binary> <args...>: exit 2, one stderr line.
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/tools/expect_bad.sh" ||
  { echo "FAIL: cannot load expect_bad.sh"; exit 1; }

DATA=(--dataset=fashion_mnist --data_dir="$FMNIST" --train_subset=200)
B=(--teacher=torchscript:"$TS" "${DATA[@]}" --threads=2 --loader_workers=2)

# Bad input: nothing is written.
expect_bad "--teacher: required" build_teacher_cache "${DATA[@]}" --out="$TMP/x.cache"
expect_bad "--out: required" build_teacher_cache "${B[@]}"
expect_bad "not from another cache" build_teacher_cache --teacher=cache:"$TMP/a.cache" --out="$TMP/x.cache"
expect_bad "--out: no such directory: $TMP/nodir/" build_teacher_cache "${B[@]}" --out="$TMP/nodir/x.cache"
expect_bad "--out: $TMP is a directory" build_teacher_cache "${B[@]}" --out="$TMP"
expect_bad "--views: expected >= 1, got 0" build_teacher_cache "${B[@]}" --views=0 --out="$TMP/x.cache"
expect_bad "--views=1 caches the un-augmented image" build_teacher_cache "${B[@]}" --augment --out="$TMP/x.cache"
expect_bad "3 identical views" build_teacher_cache "${B[@]}" --views=3 --augment=false --out="$TMP/x.cache"
expect_bad "unknown dataset 'fashion'" build_teacher_cache "${B[@]}" --dataset=fashion --out="$TMP/x.cache"
expect_bad "--teacher_checkpoint: no such file: $TMP/none.pt" build_teacher_cache --teacher=resnet8 --teacher_checkpoint="$TMP/none.pt" "${DATA[@]}" --out="$TMP/x.cache"
expect_bad "--teacher_checkpoint: the weights of teacher 'resnet8' are required" build_teacher_cache --teacher=resnet8 "${DATA[@]}" --out="$TMP/x.cache"
expect_bad "$TMP/none.pt" build_teacher_cache --teacher=torchscript:"$TMP/none.pt" "${DATA[@]}" --out="$TMP/x.cache"
[[ $failures -eq 0 ]] || fail "$failures bad-input checks"
ls "$TMP"/x.cache* >/dev/null 2>&1 && fail "bad input left a file"

# Caches: the plain image (M = 1) twice with other batch sizes and threads
# (same features), 3 augmented views, and the plain image of a smaller subset.
"$BIN/build_teacher_cache" "${B[@]}" --out="$TMP/plain.cache" >"$TMP/plain.log" 2>&1 ||
  { cat "$TMP/plain.log"; fail "plain cache"; }
cat "$TMP/plain.log"
grep -q "plain.cache: 200 images x 1 views x D 16 (float32)" "$TMP/plain.log" || fail "plain summary line"
grep -q "use: train --teacher=cache:$TMP/plain.cache --dataset=fashion_mnist --train_subset=200 --input_size=0 --augment=false --normalize=cifar" \
  "$TMP/plain.log" || fail "plain usage line"
"$BIN/build_teacher_cache" "${B[@]}" --batch_size=37 --threads=1 --loader_workers=0 \
  --out="$TMP/plain37.cache" >"$TMP/plain37.log" 2>&1 || { cat "$TMP/plain37.log"; fail "plain cache, batch 37"; }
"$BIN/build_teacher_cache" "${B[@]}" --views=3 --seed=5 --half --out="$TMP/aug.cache" >"$TMP/aug.log" 2>&1 ||
  { cat "$TMP/aug.log"; fail "augmented cache"; }
grep -q "aug.cache: 200 images x 3 views x D 16 (float16)" "$TMP/aug.log" || { cat "$TMP/aug.log"; fail "augmented summary line"; }
"$BIN/build_teacher_cache" "${B[@]/--train_subset=200/--train_subset=100}" --out="$TMP/small.cache" \
  >"$TMP/small.log" 2>&1 || { cat "$TMP/small.log"; fail "subset-100 cache"; }
ls "$TMP" | grep -q tmp && fail "a temporary file was left behind"

"$PY" - "$TMP" "$TS" <<'PYEOF' || fail "cache contents"
import json, struct, sys
import numpy as np
tmp, ts = sys.argv[1], sys.argv[2]
def read(name):
    raw = open(f"{tmp}/{name}", "rb").read()
    assert raw[:8] == b"KDTCACHE", raw[:8]
    version, hlen = struct.unpack("<II", raw[8:16])
    h = json.loads(raw[16:16 + hlen])
    dt = np.float16 if h["dtype"] == "float16" else np.float32
    n, m, d = h["dataset_size"], h["views"], h["feature_dim"]
    assert len(raw) == h["data_offset"] + n * m * d * np.dtype(dt).itemsize
    x = np.frombuffer(raw, dt, n * m * d, h["data_offset"]).reshape(n, m, d)
    return h, x.astype(np.float64)
h, plain = read("plain.cache")
assert h["dataset"] == "fashion_mnist/train" and h["dataset_size"] == 200, h
assert h["views"] == 1 and h["feature_dim"] == 16 and h["dtype"] == "float32", h
assert h["teacher"].startswith("torchscript:tiny_teacher.pt"), h["teacher"]
assert "crop=0" in h["augmentation"] and "flip=0" in h["augmentation"], h
assert np.isfinite(plain).all()
# Every image has its own feature (no row left unwritten or repeated).
assert len({r.tobytes() for r in plain[:, 0]}) == 200
assert np.abs(plain).sum(axis=2).min() > 0
_, plain37 = read("plain37.cache")
assert np.abs(plain - plain37).max() < 1e-5, np.abs(plain - plain37).max()
h, aug = read("aug.cache")
assert h["views"] == 3 and h["dtype"] == "float16", h
assert "crop=32" in h["augmentation"] and "flip=1" in h["augmentation"], h
assert np.isfinite(aug).all()
# Augmented views differ from each other and from the plain image, but stay
# close to it (a crop/flip of the same image).
for v in range(3):
    for w in range(v):
        assert np.abs(aug[:, v] - aug[:, w]).max() > 1e-3, (v, w)
    diff = np.linalg.norm(aug[:, v] - plain[:, 0], axis=1).mean()
    between = np.linalg.norm(plain[:, 0] - plain[::-1, 0], axis=1).mean()
    assert 0 < diff < between, (v, diff, between)
h, small = read("small.cache")
assert h["dataset_size"] == 100
print("caches ok: plain", plain.shape, "augmented", aug.shape)
PYEOF

# train distils from each cache (1 short epoch) and reports that it does.
T=(--mode=simultaneous --student=resnet8 --loss=ce --loss=ega "${DATA[@]}"
   --eval_subset=20 --batch_size=32 --epochs=1 --max_steps_per_epoch=2
   --threads=2 --loader_workers=2 --seed=1)
"$BIN/train" "${T[@]}" --teacher=cache:"$TMP/plain.cache" --augment=false \
  --out_dir="$TMP/run_plain" >"$TMP/run_plain.log" 2>&1 || { cat "$TMP/run_plain.log"; fail "train from the plain cache"; }
grep -q "teacher cache:$TMP/plain.cache of torchscript" "$TMP/run_plain.log" || { cat "$TMP/run_plain.log"; fail "train did not use the cache"; }
grep -q "ega/node" "$TMP/run_plain.log" || { cat "$TMP/run_plain.log"; fail "no EGA terms"; }
grep -q "teacher accuracy at start: n/a (a feature cache holds the training split only)" "$TMP/run_plain.log" ||
  { cat "$TMP/run_plain.log"; fail "teacher accuracy line"; }
grep -q "^student: 1/1 epochs" "$TMP/run_plain.log" || { cat "$TMP/run_plain.log"; fail "student summary line"; }
# From the 3-view cache for 2 epochs, and stopped after 1 + resumed: the same
# weights (the cached views drawn per step survive --resume).
A=("${T[@]/--epochs=1/--epochs=2}" --teacher=cache:"$TMP/aug.cache")
"$BIN/train" "${A[@]}" --out_dir="$TMP/run_aug" >"$TMP/run_aug.log" 2>&1 ||
  { cat "$TMP/run_aug.log"; fail "train from the augmented cache"; }
"$BIN/train" "${A[@]}" --out_dir="$TMP/run_aug2" --stop_after_epochs=1 >"$TMP/run_aug2.log" 2>&1 ||
  { cat "$TMP/run_aug2.log"; fail "train from the augmented cache, stopped"; }
"$BIN/train" "${A[@]}" --out_dir="$TMP/run_aug2" --resume >"$TMP/run_aug3.log" 2>&1 ||
  { cat "$TMP/run_aug3.log"; fail "train from the augmented cache, resumed"; }
"$PY" - "$TMP/run_plain" "$TMP/run_aug" "$TMP/run_aug2" <<'PYEOF' || fail "train metrics"
import json, math, sys, torch
for d, epochs in zip(sys.argv[1:], [1, 2, 2]):
    rows = [json.loads(l) for l in open(f"{d}/metrics.jsonl")]
    assert len(rows) == epochs, rows
    for r in rows:
        for k in ["train_ega/node", "train_ega/edge", "train_teacher_head_ce"]:
            assert math.isfinite(r[k]) and r[k] > 0, (d, k, r)
        assert r["teacher_top1"] == -1, r
a, b = (torch.load(f"{d}/checkpoint.pt") for d in sys.argv[2:])
bad = [k for k in a if not torch.equal(a[k], b[k])]
assert a.keys() == b.keys() and not bad, bad[:5]
print("train metrics ok; resumed == unbroken")
PYEOF

# A cache of another subset, augmentation or normalisation is refused.
expect_bad "dataset size: cache '100', this run '200'" train "${T[@]}" \
  --teacher=cache:"$TMP/small.cache" --augment=false --out_dir="$TMP/r1"
expect_bad "was built for another setting: augmentation: cache 'channels=3 pad_to=32 crop=0" train "${T[@]}" \
  --teacher=cache:"$TMP/plain.cache" --out_dir="$TMP/r2"
expect_bad "augmentation: cache" train "${T[@]}" --teacher=cache:"$TMP/aug.cache" \
  --normalize=imagenet --out_dir="$TMP/r3"
[[ $failures -eq 0 ]] || fail "$failures refusal checks"
echo "PASS"
