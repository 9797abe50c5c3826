#!/usr/bin/python3
"""Reference values of the loss plugins, computed with PyTorch from the
formulas of the papers / reference code (restated in the project's notes),
independently of the C++ code. Writes reference.json next to this script:

  {"cases": [{"name", "spec", "inputs": {name: nested list},
              "int_inputs": [...], "terms": {name: value},
              "grads": {input name: nested list}}, ...],
   "crd": {...}}

Run: /usr/bin/python3 tests/losses/testdata/gen_reference.py
"""
import json
import math
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
G = torch.Generator().manual_seed(1234)


def randn(*shape):
    return torch.randn(*shape, generator=G)


# ----------------------------------------------------------------- formulas
def pearson(x):
    c = x - x.mean(1, keepdim=True)
    c = c / c.norm(dim=1, keepdim=True)
    return c @ c.t()


def cosine(x):
    u = x / x.norm(dim=1, keepdim=True)
    return u @ u.t()


def ega(xs, xt, node=1.0, edge=0.3, graph=pearson, y=None, target="identity"):
    xt = xt.detach()
    c = graph(torch.cat([xt, xs], 0))
    b = xs.shape[0]
    et, es, n = c[:b, :b], c[b:, b:], c[:b, b:]
    if target == "identity":
        d = n - torch.eye(b)
    elif target == "labels":  # pairs of one class pulled to 1, others to 0
        d = n - (y[:, None] == y[None, :]).double()
    elif target == "teacher":  # the teacher's own graph
        d = n - et
    else:  # masked: pairs of one class, off the diagonal, left free
        same = (y[:, None] == y[None, :]).double()
        d = (n - torch.eye(b)) * (1 - same + torch.eye(b))
    ln = torch.sqrt((d ** 2).sum())
    le = torch.sqrt(((et - es) ** 2).sum())
    return node * ln + edge * le, {"node": ln, "edge": le}


def kd(zs, zt, T=4.0):
    pt = F.softmax(zt / T, 1)
    lps = F.log_softmax(zs / T, 1)
    kl = (pt * (torch.log(pt) - lps)).sum() / zs.shape[0]
    return T * T * kl, {}


def ce(z, y, smoothing=0.0):
    k = z.shape[1]
    target = torch.full_like(z, smoothing / k)
    target[torch.arange(z.shape[0]), y] += 1 - smoothing
    return -(target * F.log_softmax(z, 1)).sum(1).mean(), {}


def pkt(xs, xt, eps=1e-7):
    def cond(x):
        u = x / (x.norm(dim=1, keepdim=True) + eps)
        s = (u @ u.t() + 1) / 2
        return s / s.sum(1, keepdim=True)
    s, t = cond(xs), cond(xt.detach())
    return (t * torch.log((t + eps) / (s + eps))).mean(), {}


def rkd_distances(x):
    b = x.shape[0]
    d = torch.stack([torch.stack([(x[i] - x[j]).pow(2).sum() for j in range(b)])
                     for i in range(b)]).clamp(min=1e-12).sqrt()
    d = d * (1 - torch.eye(b))
    return d / d[d > 0].mean()


def rkd_angles(x):
    diff = x.unsqueeze(0) - x.unsqueeze(1)  # [i, j] = x_j - x_i
    e = diff / diff.norm(dim=2, keepdim=True).clamp(min=1e-12)
    return torch.einsum("ijd,ikd->ijk", e, e)


def rkd(xs, xt, dist=25.0, angle=50.0):
    xt = xt.detach()
    ld = F.smooth_l1_loss(rkd_distances(xs), rkd_distances(xt))
    la = F.smooth_l1_loss(rkd_angles(xs), rkd_angles(xt))
    return dist * ld + angle * la, {"distance": ld, "angle": la}


def nce(xs, xt, y, T=0.1):
    a = xs / xs.norm(dim=1, keepdim=True)
    b = xt.detach() / xt.detach().norm(dim=1, keepdim=True)
    p = F.softmax(a @ b.t() / T, 1)
    pos = (y[:, None] == y[None, :]).double()
    neg = 1 - pos
    lp = (-torch.log(p + 1e-10) * pos).sum(1) / pos.sum(1)
    # Documented handling: a row without negatives has negative term 0.
    ln = (-torch.log(1 - p + 1e-10) * neg).sum(1) / neg.sum(1).clamp(min=1)
    return (lp + ln).mean(), {}


def ccl(xs, xt, zs, zt, y, T=1.0):
    # The EGA reference's JSD term: T^2 (KL(p_t||p_s) + KL(p_s||p_t)) / 2,
    # each KL summed over classes and averaged over the batch.
    n, _ = nce(xs, xt, y)
    zt = zt.detach()
    ps, pt = F.log_softmax(zs / T, 1), F.log_softmax(zt / T, 1)
    kl = T * T * ((pt.exp() * (pt - ps)).sum() + (ps.exp() * (ps - pt)).sum()) / (2 * zs.shape[0])
    return n + kl, {"nce": n, "kl": kl}


def irg_edges(x):
    b = x.shape[0]
    d = torch.stack([torch.stack([(x[i] - x[j]).pow(2).sum() for j in range(b)])
                     for i in range(b)]).clamp(min=1e-12) * (1 - torch.eye(b))
    return d / d.max()


def irg_tran(f1, f2):
    if f1.shape[2] > f2.shape[2]:
        f1 = F.adaptive_avg_pool2d(f1, f2.shape[2:])
    if f1.shape[1] < f2.shape[1]:
        f2 = (f2[:, 0::2] + f2[:, 1::2]) / 2
    d = (f1.flatten(1) - f2.flatten(1)).pow(2).sum(1).clamp(min=1e-12)
    return d / d.max()


def irg(xs, xt, stages=None, wv=0.1, we=5.0, wt=5.0):
    xt = xt.detach()
    v = F.mse_loss(xs, xt)
    e = F.mse_loss(irg_edges(xs), irg_edges(xt))
    terms = {"vertex": v, "edge": e}
    total = wv * v + we * e
    if stages is not None:
        (s1, s2), (t1, t2) = stages
        tr = F.mse_loss(irg_tran(s1, s2), irg_tran(t1.detach(), t2.detach()))
        terms["transformation"] = tr
        total = total + wt * tr
    return total, terms


def main():
    # -------------------------------------------------------------------- cases
    def tolist(t):
        return t.detach().tolist()


    global cases
    cases = []


    def add(name, spec, fn, inputs, int_inputs=None, grad_of=("student_embed",),
            stages=None):
        leaves = {k: v.clone().requires_grad_(k in grad_of) for k, v in inputs.items()}
        total, terms = fn(**leaves)
        total.backward()
        case = {
            "name": name,
            "spec": spec,
            "inputs": {k: tolist(v) for k, v in inputs.items()},
            "int_inputs": {k: v.tolist() for k, v in (int_inputs or {}).items()},
            "total": total.item(),
            "terms": {k: v.item() for k, v in terms.items()},
            "grads": {k: tolist(leaves[k].grad) for k in grad_of},
        }
        cases.append(case)
        print(f"{name:28s} {spec:32s} total={total.item():.10f} " +
              " ".join(f"{k}={v.item():.10f}" for k, v in terms.items()))


    # Values of the shared notes.
    xt2 = torch.tensor([[1., 2, 3], [3, 2, 1]])
    xs2 = torch.tensor([[1., 3, 2], [1, 2, 3]])
    add("ega_notes", "ega", lambda student_embed, teacher_embed: ega(student_embed, teacher_embed),
        {"student_embed": xs2, "teacher_embed": xt2})
    add("ega_notes_08", "ega:node=0.8,edge=0.24",
        lambda student_embed, teacher_embed: ega(student_embed, teacher_embed, 0.8, 0.24),
        {"student_embed": xs2, "teacher_embed": xt2})
    xt3 = torch.tensor([[1., 2, 3, 4], [2, 0, 1, 3], [0.5, 1.5, -1, 2]])
    xs3 = torch.tensor([[0.2, 0.1, 0.4, 0.3], [1, -1, 0.5, 2], [0, 0.3, -0.2, 0.5]])
    notes3 = {"student_embed": xs3, "teacher_embed": xt3}
    add("fitnet_notes", "fitnet",
        lambda student_embed, teacher_embed: (F.mse_loss(student_embed, teacher_embed.detach()), {}),
        notes3)
    add("pkt_notes", "pkt", lambda student_embed, teacher_embed: pkt(student_embed, teacher_embed), notes3)
    add("rkd_notes", "rkd", lambda student_embed, teacher_embed: rkd(student_embed, teacher_embed), notes3)
    add("kd_notes", "kd",
        lambda student_logits, teacher_logits: kd(student_logits, teacher_logits),
        {"student_logits": torch.tensor([[1., 2, 0.5], [0, -1, 2]]),
         "teacher_logits": torch.tensor([[2., 1, 0], [0.5, 0.5, 1.5]])},
        grad_of=("student_logits",))

    # Random inputs (B = 6; widths 5 / 7 where the loss allows different ones).
    B, D, K = 6, 5, 4
    xs, xt, xt7 = randn(B, D), randn(B, D), randn(B, 7)
    zs, zt = randn(B, K) * 2, randn(B, K) * 2
    y = torch.tensor([0, 1, 0, 2, 1, 0])
    emb = {"student_embed": xs, "teacher_embed": xt}
    add("ega_random", "ega:node=0.8,edge=0.24",
        lambda student_embed, teacher_embed: ega(student_embed, teacher_embed, 0.8, 0.24), emb)
    add("ega_cosine", "ega:graph=cosine",
        lambda student_embed, teacher_embed: ega(student_embed, teacher_embed, graph=cosine), emb)
    add("ega_node_target_labels", "ega:node=0.8,edge=0.24,node_target=labels",
        lambda student_embed, teacher_embed: ega(student_embed, teacher_embed, 0.8, 0.24,
                                                 y=y, target="labels"), emb, {"labels": y})
    add("ega_node_target_masked", "ega:node=0.8,edge=0.24,node_target=masked",
        lambda student_embed, teacher_embed: ega(student_embed, teacher_embed, 0.8, 0.24,
                                                 y=y, target="masked"), emb, {"labels": y})
    add("ega_node_target_teacher", "ega:node=0.8,edge=0.24,node_target=teacher",
        lambda student_embed, teacher_embed: ega(student_embed, teacher_embed, 0.8, 0.24,
                                                 target="teacher"), emb)
    add("kd_random", "kd:T=2",
        lambda student_logits, teacher_logits: kd(student_logits, teacher_logits, 2.0),
        {"student_logits": zs, "teacher_logits": zt}, grad_of=("student_logits",))
    add("ce_random", "ce", lambda student_logits: ce(student_logits, y),
        {"student_logits": zs}, {"labels": y}, grad_of=("student_logits",))
    add("ce_smoothing", "ce:smoothing=0.1", lambda student_logits: ce(student_logits, y, 0.1),
        {"student_logits": zs}, {"labels": y}, grad_of=("student_logits",))
    add("fitnet_random", "fitnet",
        lambda student_embed, teacher_embed: (F.mse_loss(student_embed, teacher_embed.detach()), {}), emb)
    add("pkt_random", "pkt", lambda student_embed, teacher_embed: pkt(student_embed, teacher_embed),
        {"student_embed": xs, "teacher_embed": xt7})
    add("rkd_random", "rkd", lambda student_embed, teacher_embed: rkd(student_embed, teacher_embed),
        {"student_embed": xs, "teacher_embed": xt7})
    add("rkd_weights", "rkd:dist=1,angle=2",
        lambda student_embed, teacher_embed: rkd(student_embed, teacher_embed, 1.0, 2.0), emb)
    add("nce_random", "nce", lambda student_embed, teacher_embed: nce(student_embed, teacher_embed, y),
        emb, {"labels": y})
    add("nce_T", "nce:T=0.5",
        lambda student_embed, teacher_embed: nce(student_embed, teacher_embed, y, 0.5), emb, {"labels": y})
    y_same = torch.zeros(B, dtype=torch.long)
    add("nce_all_labels_equal", "nce",
        lambda student_embed, teacher_embed: nce(student_embed, teacher_embed, y_same),
        emb, {"labels": y_same})
    add("ccl_random", "ccl",
        lambda student_embed, teacher_embed, student_logits, teacher_logits:
            ccl(student_embed, teacher_embed, student_logits, teacher_logits, y),
        {**emb, "student_logits": zs, "teacher_logits": zt}, {"labels": y},
        grad_of=("student_embed", "student_logits"))
    add("ccl_kl_T", "ccl:kl_T=4",
        lambda student_embed, teacher_embed, student_logits, teacher_logits:
            ccl(student_embed, teacher_embed, student_logits, teacher_logits, y, 4.0),
        {**emb, "student_logits": zs, "teacher_logits": zt}, {"labels": y},
        grad_of=("student_embed", "student_logits"))
    add("irg_random", "irg", lambda student_embed, teacher_embed: irg(student_embed, teacher_embed), emb)
    fs1, fs2 = randn(B, 2, 4, 4), randn(B, 4, 2, 2)
    ft1, ft2 = randn(B, 3, 4, 4), randn(B, 3, 2, 2)
    add("irg_transformation", "irg:tran_from=0,tran_to=1",
        lambda student_embed, teacher_embed, student_stage0, student_stage1, teacher_stage0,
        teacher_stage1: irg(student_embed, teacher_embed,
                            ((student_stage0, student_stage1), (teacher_stage0, teacher_stage1))),
        {**emb, "student_stage0": fs1, "student_stage1": fs2, "teacher_stage0": ft1,
         "teacher_stage1": ft2},
        grad_of=("student_embed", "student_stage0", "student_stage1"))

    # ---------------------------------------------------------------------- CRD
    # RepDistiller's CRD for given heads, memories and contrast indices.
    N, DS, DT, FD, KN, T, M = 10, 5, 7, 4, 3, 0.07, 0.5
    crd_in = {
        "student": randn(B, DS), "teacher": randn(B, DT),
        "ws": randn(FD, DS) * 0.5, "bs": randn(FD) * 0.1,
        "wt": randn(FD, DT) * 0.5, "bt": randn(FD) * 0.1,
        "memory_student": F.normalize(randn(N, FD), dim=1),
        "memory_teacher": F.normalize(randn(N, FD), dim=1),
    }
    indices = torch.tensor([3, 0, 7, 9, 1, 5])
    contrast = torch.cat([indices[:, None], torch.randint(0, N, (B, KN), generator=G)], 1)
    leaves = {k: v.clone().requires_grad_(k in ("student", "ws")) for k, v in crd_in.items()}


    def crd_contrast(x, eps=1e-7):
        m = x.shape[1] - 1
        pn = 1.0 / N
        lp = torch.log(x[:, 0] / (x[:, 0] + m * pn + eps))
        ln = torch.log((m * pn) / (x[:, 1:] + m * pn + eps))
        return -(lp.sum() + ln.sum()) / x.shape[0]


    vs = leaves["student"] @ leaves["ws"].t() + leaves["bs"]
    vs = vs / vs.norm(dim=1, keepdim=True)
    vt = (leaves["teacher"] @ leaves["wt"].t() + leaves["bt"]).detach()
    vt = vt / vt.norm(dim=1, keepdim=True)
    mt = leaves["memory_teacher"][contrast]  # [B, K+1, FD]
    ms = leaves["memory_student"][contrast]
    out_s = torch.exp(torch.einsum("bkd,bd->bk", mt, vs) / T)
    out_t = torch.exp(torch.einsum("bkd,bd->bk", ms, vt) / T)
    z_s = out_s.mean().item() * N
    z_t = out_t.mean().item() * N
    loss_s = crd_contrast(out_s / z_s)
    loss_t = crd_contrast(out_t / z_t)
    (loss_s + loss_t).backward()
    new_ms = crd_in["memory_student"].clone()
    new_mt = crd_in["memory_teacher"].clone()
    for mem, v in ((new_ms, vs.detach()), (new_mt, vt)):
        mixed = mem[indices] * M + v * (1 - M)
        mem[indices] = mixed / mixed.norm(dim=1, keepdim=True)
    crd = {
        "spec": f"crd:feat_dim={FD},nce_k={KN},sampling=uniform",
        "dataset_size": N,
        "inputs": {k: tolist(v) for k, v in crd_in.items()},
        "indices": indices.tolist(), "contrast": contrast.tolist(),
        "terms": {"student": loss_s.item(), "teacher": loss_t.item()},
        "total": (loss_s + loss_t).item(),
        "z_student": z_s, "z_teacher": z_t,
        "grads": {"student": tolist(leaves["student"].grad),
                  "embed_student.weight": tolist(leaves["ws"].grad)},
        "memory_student_after": tolist(new_ms), "memory_teacher_after": tolist(new_mt),
    }
    print(f"crd: total={crd['total']:.10f} student={loss_s.item():.10f} "
          f"teacher={loss_t.item():.10f} z=({z_s:.6f}, {z_t:.6f})")

    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
    with open(out, "w") as f:
        json.dump({"cases": cases, "crd": crd}, f, indent=None)
    print("wrote", os.path.relpath(out))


if __name__ == "__main__":
    main()
