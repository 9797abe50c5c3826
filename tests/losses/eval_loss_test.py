#!/usr/bin/python3
"""End-to-end test of //tools:eval_loss: tensors written by Python's
torch.save (and as text) are read by the C++ tool, whose JSON output must
match the PyTorch formulas of testdata/gen_reference.py, gradients included.
Run by eval_loss_test.sh under Bazel with /usr/bin/python3."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "testdata"))
import gen_reference as ref  # noqa: E402

BINARY = os.path.abspath(sys.argv.pop(1))
TMP = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))


def save(name, tensor):
    path = os.path.join(TMP, name + ".pt")
    torch.save(tensor, path)
    return path


def save_text(name, tensor):
    path = os.path.join(TMP, name + ".txt")
    with open(path, "w") as f:
        for row in tensor.reshape(tensor.shape[0], -1).tolist():
            f.write(" ".join(repr(v) for v in row) + "\n")
    return path


def run(*args):
    proc = subprocess.run([BINARY, *args], capture_output=True, text=True)
    return proc.returncode, proc.stdout, proc.stderr


class EvalLossTest(unittest.TestCase):
    def setUp(self):
        g = torch.Generator().manual_seed(7)
        self.xs = torch.randn(5, 4, generator=g, dtype=torch.float64)
        self.xt = torch.randn(5, 4, generator=g, dtype=torch.float64)

    def test_torch_save_inputs_double_values_and_gradients(self):
        code, out, err = run("--loss=ega:node=0.8,edge=0.24;pkt:weight=2",
                             "--student_embed=" + save("xs", self.xs),
                             "--teacher_embed=" + save("xt", self.xt), "--grad")
        self.assertEqual(code, 0, err)
        result = json.loads(out)
        self.assertEqual(result["dtype"], "Double")
        xs = self.xs.clone().requires_grad_(True)
        ega, terms = ref.ega(xs, self.xt, 0.8, 0.24)
        pkt, _ = ref.pkt(xs, self.xt)
        total = ega + 2 * pkt
        total.backward()
        self.assertAlmostEqual(result["total"], total.item(), places=12)
        self.assertAlmostEqual(result["terms"]["ega"], ega.item(), places=12)
        self.assertAlmostEqual(result["terms"]["ega/node"], terms["node"].item(), places=12)
        self.assertAlmostEqual(result["terms"]["pkt"], pkt.item(), places=12)
        grad = torch.tensor(result["grads"]["student_embed"], dtype=torch.float64)
        self.assertLess((grad - xs.grad).abs().max().item(), 1e-12)

    def test_float_inputs_run_in_float(self):
        code, out, err = run("--loss=rkd", "--student_embed=" + save("fs", self.xs.float()),
                             "--teacher_embed=" + save("ft", self.xt.float()))
        self.assertEqual(code, 0, err)
        result = json.loads(out)
        self.assertEqual(result["dtype"], "Float")
        expected, _ = ref.rkd(self.xs, self.xt)
        self.assertAlmostEqual(result["total"], expected.item(), places=4)

    def test_text_inputs_labels_and_grad_dir(self):
        labels = torch.tensor([0, 1, 0, 2, 1])
        grad_dir = tempfile.mkdtemp(dir=TMP)
        code, out, err = run("--loss=nce", "--student_embed=" + save_text("xs", self.xs),
                             "--teacher_embed=" + save_text("xt", self.xt),
                             "--labels=" + save_text("y", labels), "--grad_dir=" + grad_dir)
        self.assertEqual(code, 0, err)
        xs = self.xs.clone().requires_grad_(True)
        expected, _ = ref.nce(xs, self.xt, labels)
        expected.backward()
        self.assertAlmostEqual(json.loads(out)["total"], expected.item(), places=12)
        grad = torch.load(os.path.join(grad_dir, "student_embed.grad.pt"))
        self.assertLess((grad - xs.grad).abs().max().item(), 1e-12)

    def test_logit_losses_of_issue9_with_epoch(self):
        g = torch.Generator().manual_seed(9)
        zs = torch.randn(6, 5, generator=g, dtype=torch.float64)
        zt = torch.randn(6, 5, generator=g, dtype=torch.float64)
        y = torch.tensor([0, 4, 2, 2, 1, 3])
        code, out, err = run("--loss=dkd;dist:T=4,standardize=true", "--epoch=10",
                             "--student_logits=" + save("zs", zs),
                             "--teacher_logits=" + save("zt", zt),
                             "--labels=" + save_text("y9", y), "--grad")
        self.assertEqual(code, 0, err)
        result = json.loads(out)
        s = zs.clone().requires_grad_(True)
        dkd, terms = ref.dkd(s, zt, y, epoch=10)  # warm-up 20: half weight
        dist, _ = ref.dist(s, zt, T=4.0, stand=True)
        (dkd + dist).backward()
        self.assertAlmostEqual(result["terms"]["dkd"], dkd.item(), places=10)
        self.assertAlmostEqual(result["terms"]["dkd/nckd"], terms["nckd"].item(), places=10)
        self.assertAlmostEqual(result["terms"]["dist"], dist.item(), places=10)
        grad = torch.tensor(result["grads"]["student_logits"], dtype=torch.float64)
        self.assertLess((grad - s.grad).abs().max().item(), 1e-10)
        code, _, err = run("--loss=dkd", "--epoch=-1", "--student_logits=" + save("zs", zs))
        self.assertEqual(code, 2)
        self.assertIn("--epoch must be >= 0", err)

    def test_stage_map_losses_of_issue9(self):
        g = torch.Generator().manual_seed(10)
        s_maps = [torch.randn(4, c, h, h, generator=g, dtype=torch.float64)
                  for c, h in ((2, 8), (3, 8), (4, 2))]
        t_maps = [torch.randn(4, c, h, h, generator=g, dtype=torch.float64)
                  for c, h in ((2, 8), (5, 4), (6, 4))]
        stages = ["--student_stages=" + ",".join(save(f"s{k}", m) for k, m in enumerate(s_maps)),
                  "--teacher_stages=" + ",".join(save(f"t{k}", m) for k, m in enumerate(t_maps))]
        code, out, err = run("--loss=at;sp:weight=2", *stages, "--grad")
        self.assertEqual(code, 0, err)
        result = json.loads(out)
        leaves = [m.clone().requires_grad_(True) for m in s_maps]
        at, terms = ref.at(leaves, t_maps)
        sp, _ = ref.sp(leaves[-1], t_maps[-1])
        (at + 2 * sp).backward()
        self.assertAlmostEqual(result["total"], (at + 2 * sp).item(), places=10)
        self.assertAlmostEqual(result["terms"]["at/stage2"], terms["stage2"].item(), places=10)
        grad = torch.tensor(result["grads"]["student_stages1"], dtype=torch.float64)
        self.assertLess((grad - leaves[1].grad).abs().max().item(), 1e-10)
        # vid (regressors) and cc (heads) build their modules from the inputs'
        # widths; their values depend on the seeded initialisation.
        pooled = ["--student_pooled=" + save("ps", torch.randn(4, 5, dtype=torch.float64)),
                  "--teacher_pooled=" + save("pt", torch.randn(4, 7, dtype=torch.float64))]
        code, out, err = run("--loss=vid;cc", *stages, *pooled, "--grad")
        self.assertEqual(code, 0, err)
        result = json.loads(out)
        self.assertEqual(sorted(result["terms"]), ["cc", "vid", "vid/stage1", "vid/stage2"])
        self.assertEqual(len(result["grads"]["student_pooled"]), 4)
        code, _, err = run("--loss=vid", stages[0])
        self.assertEqual(code, 2)
        self.assertIn("vid: needs the stage feature maps of student and teacher", err)

    def test_missing_input_is_a_clear_error(self):
        code, _, err = run("--loss=ega", "--student_embed=" + save("xs", self.xs))
        self.assertEqual(code, 2)  # bad input: exit code 2, as every tool
        self.assertIn("ega needs teacher_embed", err)

    def test_bad_files_are_clear_errors(self):
        ragged = os.path.join(TMP, "ragged.txt")
        with open(ragged, "w") as f:
            f.write("1 2 3\n4 5\n")
        code, _, err = run("--loss=ega", "--student_embed=" + ragged,
                           "--teacher_embed=" + ragged)
        self.assertEqual(code, 2)  # bad input: exit code 2, as every tool
        self.assertIn("line 2 has 2 values; earlier rows have 3", err)
        code, _, err = run("--loss=ega", "--student_embed=" + save("a", self.xs),
                           "--teacher_embed=" + save("b", self.xt[:3]))
        self.assertEqual(code, 2)  # bad input: exit code 2, as every tool
        self.assertIn("teacher_embed must have 5 rows", err)
        code, _, err = run("--loss=ega", "--student_embed=/nonexistent.pt")
        self.assertEqual(code, 2)  # bad input: exit code 2, as every tool
        self.assertIn("cannot open '/nonexistent.pt'", err)
        code, _, err = run("--loss=egg", "--student_embed=" + save("a", self.xs))
        self.assertIn("unknown loss 'egg' (did you mean 'ega'?)", err)


if __name__ == "__main__":
    unittest.main()
