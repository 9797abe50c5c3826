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


# ------------------------------------------- methods of issue 9 (mdistiller,
# DIST's and logit standardisation's official code, RepDistiller)
def standardize(z):
    # Sun et al. 2024: z-score with the unbiased std, eps 1e-7 added.
    return (z - z.mean(1, keepdim=True)) / (1e-7 + z.std(1, keepdim=True))


def kd_std(zs, zt, T=4.0, stand=False):
    if stand:
        zs, zt = standardize(zs), standardize(zt.detach())
    return kd(zs, zt, T)


def ccl_std(xs, xt, zs, zt, y, T=1.0, stand=False):
    if stand:
        zs, zt = standardize(zs), standardize(zt.detach())
    return ccl(xs, xt, zs, zt, y, T)


def dkd(zs, zt, y, alpha=1.0, beta=8.0, T=4.0, warmup=20, epoch=0, stand=False):
    # mdistiller's dkd_loss: binary (target, rest) sums of the softmax, and
    # the non-target part by subtracting 1000 from the target logit.
    zt = zt.detach()
    if stand:
        zs, zt = standardize(zs), standardize(zt)
    gt = F.one_hot(y, zs.shape[1]).double()
    ps, pt = F.softmax(zs / T, 1), F.softmax(zt / T, 1)
    bs = torch.stack([(ps * gt).sum(1), (ps * (1 - gt)).sum(1)], 1)
    bt = torch.stack([(pt * gt).sum(1), (pt * (1 - gt)).sum(1)], 1)
    n = zs.shape[0]
    tckd = F.kl_div(torch.log(bs), bt, reduction="sum") * T ** 2 / n
    lqs = F.log_softmax(zs / T - 1000.0 * gt, 1)
    qt = F.softmax(zt / T - 1000.0 * gt, 1)
    nckd = F.kl_div(lqs, qt, reduction="sum") * T ** 2 / n
    ramp = min(epoch / warmup, 1.0) if warmup > 0 and epoch > 0 else 1.0
    return ramp * (alpha * tckd + beta * nckd), {"tckd": tckd, "nckd": nckd}


def dist(zs, zt, beta=1.0, gamma=1.0, T=1.0, stand=False):
    # DIST's official code: Pearson correlation with eps 1e-8 in the
    # denominator, inter over rows, intra over columns, T^2-scaled.
    zt = zt.detach()
    if stand:
        zs, zt = standardize(zs), standardize(zt)

    def pearson_rows(a, b):
        a = a - a.mean(1, keepdim=True)
        b = b - b.mean(1, keepdim=True)
        return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + 1e-8)
    ys, yt = F.softmax(zs / T, 1), F.softmax(zt / T, 1)
    inter = T ** 2 * (1 - pearson_rows(ys, yt).mean())
    intra = T ** 2 * (1 - pearson_rows(ys.t(), yt.t()).mean())
    return beta * inter + gamma * intra, {"inter": inter, "intra": intra}


def match_size(fs, ft):
    # RepDistiller's AT / VID: pool the larger map to the smaller's size.
    if fs.shape[2] > ft.shape[2]:
        fs = F.adaptive_avg_pool2d(fs, ft.shape[2:])
    elif fs.shape[2] < ft.shape[2]:
        ft = F.adaptive_avg_pool2d(ft, fs.shape[2:])
    return fs, ft


def at(ss, ts, p=2.0):
    # RepDistiller's Attention on feat[1:-1] (the stem, stage 0, left out).
    def att(f):
        return F.normalize(f.abs().pow(p).mean(1).view(f.shape[0], -1))
    terms = {}
    for k, (fs, ft) in enumerate(zip(ss[1:], ts[1:]), 1):
        fs, ft = match_size(fs, ft.detach())
        terms[f"stage{k}"] = (att(fs) - att(ft)).pow(2).mean()
    return sum(terms.values()), terms


def sp(fs, ft):
    # RepDistiller's Similarity on the last stage map.
    b = fs.shape[0]
    fs, ft = fs.reshape(b, -1), ft.detach().reshape(b, -1)
    gs, gt = F.normalize(fs @ fs.t()), F.normalize(ft @ ft.t())
    return ((gt - gs) ** 2).sum() / (b * b), {}


def cc(ps, pt, params):
    # RepDistiller's Embed (Linear + L2 normalisation) and Correlation.
    es = F.normalize(ps @ params["embed_student.weight"].t() + params["embed_student.bias"])
    et = F.normalize(pt.detach() @ params["embed_teacher.weight"].t()
                     + params["embed_teacher.bias"])
    delta = (es - et).abs()
    return (delta[:-1] * delta[1:]).sum(1).mean(), {}


def vid(ss, ts, params, eps=1e-5):
    # RepDistiller's VIDLoss per stage of feat[1:-1].
    terms = {}
    for k, (fs, ft) in enumerate(zip(ss[1:], ts[1:]), 1):
        fs, ft = match_size(fs, ft.detach())
        w = [params[f"stage{k}.regressor.{i}.weight"] for i in (0, 2, 4)]
        mean = F.conv2d(F.relu(F.conv2d(F.relu(F.conv2d(fs, w[0])), w[1])), w[2])
        var = torch.log(1.0 + torch.exp(params[f"stage{k}.log_scale"])) + eps
        var = var.view(1, -1, 1, 1)
        terms[f"stage{k}"] = torch.mean(0.5 * ((mean - ft) ** 2 / var + torch.log(var)))
    return sum(terms.values()), terms


def main():
    # -------------------------------------------------------------------- cases
    def tolist(t):
        return t.detach().tolist()


    global cases
    cases = []


    def add(name, spec, fn, inputs, int_inputs=None, grad_of=("student_embed",),
            stages=None, params=None, epoch=0):
        # params: the loss module's parameters by name (set in the C++ module
        # before computing; their gradients are checked too); epoch:
        # LossInputs::epoch.
        leaves = {k: v.clone().requires_grad_(k in grad_of) for k, v in inputs.items()}
        if params is None:
            total, terms = fn(**leaves)
            param_leaves = {}
        else:
            param_leaves = {k: v.clone().requires_grad_(True) for k, v in params.items()}
            total, terms = fn(**leaves, params=param_leaves)
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
        if params is not None:
            case["parameters"] = {k: tolist(v) for k, v in params.items()}
            case["param_grads"] = {k: tolist(v.grad) for k, v in param_leaves.items()}
        if epoch:
            case["epoch"] = epoch
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

    issue9_cases(add)

    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
    with open(out, "w") as f:
        json.dump({"cases": cases, "crd": crd}, f, indent=None)
    print("wrote", os.path.relpath(out))


def issue9_cases(add):
    """DKD, DIST, logit standardisation, AT, SP, CC, VID (own generator, so
    the earlier cases keep their inputs)."""
    g = torch.Generator().manual_seed(2022)

    def rn(*shape):
        return torch.randn(*shape, generator=g)

    B, K = 6, 5
    zs, zt = rn(B, K) * 2, rn(B, K) * 2
    y = torch.tensor([0, 4, 2, 2, 1, 3])
    logits = {"student_logits": zs, "teacher_logits": zt}
    same = {"student_logits": zs, "teacher_logits": zs.clone()}
    flat = zs.clone()
    flat[1] = 0.7  # a constant logit row: std 0
    flat_in = {"student_logits": flat, "teacher_logits": zt}
    lg = ("student_logits",)
    labels = {"labels": y}

    def dkd_fn(**kw):
        return lambda student_logits, teacher_logits: dkd(
            student_logits, teacher_logits, y, **kw)
    add("dkd_default", "dkd", dkd_fn(), logits, labels, lg)
    add("dkd_options", "dkd:alpha=0.5,beta=2,T=2,warmup=0",
        dkd_fn(alpha=0.5, beta=2.0, T=2.0, warmup=0), logits, labels, lg)
    add("dkd_warmup_epoch5", "dkd:warmup=20", dkd_fn(epoch=5), logits, labels, lg,
        epoch=5)
    add("dkd_warmup_done", "dkd:warmup=20", dkd_fn(epoch=30), logits, labels, lg,
        epoch=30)
    add("dkd_identical", "dkd", dkd_fn(), same, labels, lg)
    add("dkd_standardize", "dkd:T=2,standardize=true", dkd_fn(T=2.0, stand=True),
        logits, labels, lg)
    add("dkd_standardize_constant_row", "dkd:standardize=true", dkd_fn(stand=True),
        flat_in, labels, lg)

    def dist_fn(**kw):
        return lambda student_logits, teacher_logits: dist(
            student_logits, teacher_logits, **kw)
    add("dist_default", "dist", dist_fn(), logits, grad_of=lg)
    add("dist_options", "dist:beta=2,gamma=0.5,T=4",
        dist_fn(beta=2.0, gamma=0.5, T=4.0), logits, grad_of=lg)
    add("dist_identical", "dist", dist_fn(), same, grad_of=lg)
    add("dist_constant_row", "dist:T=4", dist_fn(T=4.0), flat_in, grad_of=lg)
    add("dist_standardize", "dist:T=2,standardize=true",
        dist_fn(T=2.0, stand=True), logits, grad_of=lg)
    add("dist_batch_of_one", "dist", dist_fn(),
        {"student_logits": zs[:1], "teacher_logits": zt[:1]}, grad_of=lg)

    add("kd_standardize", "kd:T=2,standardize=true",
        lambda student_logits, teacher_logits: kd_std(student_logits, teacher_logits,
                                                      2.0, True), logits, grad_of=lg)
    add("kd_standardize_constant_row", "kd:standardize=true",
        lambda student_logits, teacher_logits: kd_std(student_logits, teacher_logits,
                                                      4.0, True), flat_in, grad_of=lg)
    xs, xt = rn(B, 4), rn(B, 4)
    add("ccl_standardize", "ccl:standardize=true",
        lambda student_embed, teacher_embed, student_logits, teacher_logits:
            ccl_std(student_embed, teacher_embed, student_logits, teacher_logits, y,
                    1.0, True),
        {"student_embed": xs, "teacher_embed": xt, **logits}, labels,
        ("student_embed", "student_logits"))

    # Stage maps: the stem (stage 0, unused by at / vid) and two stages; the
    # student's stage 1 is twice the teacher's side (pooled down), its stage
    # 2 half of it (the teacher's pooled down).
    B = 4
    s_maps = [rn(B, 2, 8, 8), rn(B, 3, 8, 8).relu(), rn(B, 4, 2, 2)]
    t_maps = [rn(B, 2, 8, 8), rn(B, 5, 4, 4).relu(), rn(B, 6, 4, 4)]
    stages = {**{f"student_stage{k}": m for k, m in enumerate(s_maps)},
              **{f"teacher_stage{k}": m for k, m in enumerate(t_maps)}}
    zero1 = dict(stages, student_stage1=torch.zeros(B, 3, 8, 8))
    used = ("student_stage1", "student_stage2")

    def at_fn(p=2.0):
        return lambda student_stage0, student_stage1, student_stage2, teacher_stage0, \
            teacher_stage1, teacher_stage2: at(
                [student_stage0, student_stage1, student_stage2],
                [teacher_stage0, teacher_stage1, teacher_stage2], p)
    add("at_default", "at", at_fn(), stages, grad_of=used)
    add("at_p4", "at:p=4", at_fn(4.0), stages, grad_of=used)
    add("at_zero_student_map", "at", at_fn(), zero1, grad_of=used)

    last = {"student_stage0": rn(B, 3, 4, 4), "teacher_stage0": rn(B, 5, 2, 2)}
    sp_fn = lambda student_stage0, teacher_stage0: sp(student_stage0, teacher_stage0)
    add("sp_random", "sp", sp_fn, last, grad_of=("student_stage0",))
    add("sp_identical", "sp", sp_fn,
        {"student_stage0": last["student_stage0"],
         "teacher_stage0": last["student_stage0"].clone()}, grad_of=("student_stage0",))
    add("sp_zero_student_map", "sp", sp_fn,
        {"student_stage0": torch.zeros(B, 3, 4, 4),
         "teacher_stage0": last["teacher_stage0"]}, grad_of=("student_stage0",))
    # Several stages: sp reads the last one only.
    add("sp_last_stage", "sp",
        lambda student_stage0, student_stage1, teacher_stage0, teacher_stage1:
            sp(student_stage1, teacher_stage1),
        {"student_stage0": s_maps[0], "student_stage1": s_maps[1],
         "teacher_stage0": t_maps[0], "teacher_stage1": t_maps[1]},
        grad_of=("student_stage1",))

    FD = 3
    pooled = {"student_pooled": rn(B, 5), "teacher_pooled": rn(B, 7)}
    cc_params = {"embed_student.weight": rn(FD, 5) * 0.5, "embed_student.bias": rn(FD) * 0.1,
                 "embed_teacher.weight": rn(FD, 7) * 0.5, "embed_teacher.bias": rn(FD) * 0.1}
    cc_fn = lambda student_pooled, teacher_pooled, params: cc(student_pooled,
                                                              teacher_pooled, params)
    add("cc_random", f"cc:feat_dim={FD}", cc_fn, pooled, grad_of=("student_pooled",),
        params=cc_params)
    add("cc_zero_student", f"cc:feat_dim={FD}", cc_fn,
        dict(pooled, student_pooled=torch.zeros(B, 5)), grad_of=("student_pooled",),
        params=cc_params)

    vid_params = {}
    for k, (cs, ct) in ((1, (3, 5)), (2, (4, 6))):
        vid_params[f"stage{k}.regressor.0.weight"] = rn(ct, cs, 1, 1) * 0.5
        vid_params[f"stage{k}.regressor.2.weight"] = rn(ct, ct, 1, 1) * 0.5
        vid_params[f"stage{k}.regressor.4.weight"] = rn(ct, ct, 1, 1) * 0.5
        vid_params[f"stage{k}.log_scale"] = rn(ct) + 1

    def vid_fn(eps=1e-5):
        return lambda student_stage0, student_stage1, student_stage2, teacher_stage0, \
            teacher_stage1, teacher_stage2, params: vid(
                [student_stage0, student_stage1, student_stage2],
                [teacher_stage0, teacher_stage1, teacher_stage2], params, eps)
    add("vid_random", "vid", vid_fn(), stages, grad_of=used, params=vid_params)
    add("vid_eps", "vid:eps=0.01", vid_fn(0.01), stages, grad_of=used, params=vid_params)
    add("vid_zero_student_map", "vid", vid_fn(), zero1, grad_of=used, params=vid_params)


if __name__ == "__main__":
    main()
