"""The PyTorch side of bench/compare_pytorch.sh: the work step_bench and
tools/train do, written as a researcher would in PyTorch (python3-torch, the
same libtorch). Two ways to run it: fp32 as most people do (teacher under
no_grad), and as an expert would (bf16 autocast, channels-last, teacher under
inference_mode).

  pytorch_steps.py --work ega|student|teacher|eval [--bf16] [--batch_size 64]
  pytorch_steps.py --work epoch --images 2048 [--bf16]   # EGA epoch, DataLoader
  ... --device cuda    # on a GPU (bf16 autocast there too; times synchronised)

Prints one JSON line with images_per_s (and, for an epoch, the peak resident
memory of this process).
"""
import argparse
import gzip
import json
import os
import resource
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'tests', 'backbones', 'testdata'))
import reference_models  # noqa: E402  RepDistiller's networks


class Student(nn.Module):
    """Backbone + node embedding (Linear to 256) + classifier, as EGA's."""

    def __init__(self, name, classes=10, embed=256):
        super().__init__()
        self.net = reference_models.build(name, classes)
        dim = self.net.fc.in_features
        self.embed = nn.Linear(dim, embed)
        self.cls = nn.Linear(embed, classes)

    def features(self, x):
        n = self.net
        x = F.relu(n.bn1(n.conv1(x)))
        x = n.layer3(n.layer2(n.layer1(x)))
        return x.mean((2, 3))

    def forward(self, x):
        e = self.embed(self.features(x))
        return e, self.cls(e)


def pearson(x):
    c = x - x.mean(1, keepdim=True)
    c = c / c.norm(dim=1, keepdim=True)
    return c @ c.t()


def ega_loss(es, et, node=0.8, edge=0.24):
    b = es.shape[0]
    c = pearson(torch.cat([et.detach(), es], 0))
    et_, es_, n = c[:b, :b], c[b:, b:], c[:b, b:]
    eye = torch.eye(b, device=es.device)
    return node * (n - eye).norm() + edge * (et_ - es_).norm()


class FashionMnist(torch.utils.data.Dataset):
    """IDX files -> 3x32x32 (zero-padded), crop 32 with 4 px padding, flip."""

    def __init__(self, root, images, teacher_view=True):
        with gzip.open(os.path.join(root, 'train-images-idx3-ubyte.gz')) as f:
            _, n, h, w = struct.unpack('>IIII', f.read(16))
            x = torch.frombuffer(bytearray(f.read()), dtype=torch.uint8)
        with gzip.open(os.path.join(root, 'train-labels-idx1-ubyte.gz')) as f:
            f.read(8)
            y = torch.frombuffer(bytearray(f.read()), dtype=torch.uint8)
        self.x = x.view(n, 1, h, w)[:images]
        self.y = y.long()[:images]
        self.teacher_view = teacher_view

    def __len__(self):
        return len(self.y)

    def view(self, img):
        img = F.pad(img.float().div(255), (2, 2, 2, 2)).expand(3, 32, 32)
        img = F.pad(img, (4, 4, 4, 4))
        i, j = torch.randint(0, 9, (2,)).tolist()
        img = img[:, i:i + 32, j:j + 32]
        if torch.rand(()) < 0.5:
            img = img.flip(2)
        return (img - 0.5) / 0.25

    def __getitem__(self, k):
        img = self.x[k]
        return self.view(img), self.view(img), self.y[k]


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--work', default='ega')
    p.add_argument('--bf16', action='store_true')
    p.add_argument('--batch_size', type=int, default=64)
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--steps', type=int, default=10)
    p.add_argument('--threads', type=int, default=0)
    p.add_argument('--images', type=int, default=2048)
    p.add_argument('--data_dir', default='/usr/share/datasets/fashion-mnist')
    p.add_argument('--device', default='cpu')
    a = p.parse_args()
    dev = torch.device(a.device)

    def sync():
        if dev.type == 'cuda':
            torch.cuda.synchronize(dev)
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    fmt = torch.channels_last if a.bf16 else torch.contiguous_format
    student = Student('resnet8x4').to(dev, memory_format=fmt)
    teacher = Student('resnet32x4').to(dev, memory_format=fmt).eval()
    for q in teacher.parameters():
        q.requires_grad_(False)
    opt = torch.optim.SGD(student.parameters(), lr=0.05, momentum=0.9,
                          weight_decay=5e-4)
    no_grad = torch.inference_mode if a.bf16 else torch.no_grad

    def autocast():
        return torch.autocast(dev.type, dtype=torch.bfloat16, enabled=a.bf16)

    def train_step(x, xt, y, distil):
        x, xt, y = x.to(dev), xt.to(dev), y.to(dev)
        if distil:
            with no_grad(), autocast():
                et, _ = teacher(xt)
            et = et.float().clone()
        with autocast():
            es, logits = student(x)
        loss = F.cross_entropy(logits.float(), y)
        if distil:
            loss = loss + ega_loss(es.float(), et)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    result = {'side': 'pytorch', 'work': a.work,
              'precision': 'bf16' if a.bf16 else 'fp32',
              'channels_last': a.bf16, 'batch_size': a.batch_size,
              'threads': torch.get_num_threads()}
    if dev.type != 'cpu':
        result['device'] = a.device
    if a.work == 'epoch':
        data = FashionMnist(a.data_dir, a.images)
        loader = torch.utils.data.DataLoader(data, batch_size=a.batch_size,
                                             shuffle=True, drop_last=True,
                                             num_workers=2)
        student.train()
        start = time.time()
        seen = 0
        for x, xt, y in loader:
            train_step(x, xt, y, distil=True)
            seen += len(y)
        sync()
        result['images_per_s'] = round(seen / (time.time() - start), 2)
        result['peak_rss_mib'] = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        print(json.dumps(result))
        return

    b = a.batch_size
    x = torch.randn(b, 3, 32, 32).to(dev).contiguous(memory_format=fmt)
    y = torch.randint(0, 10, (b,)).to(dev)

    def step():
        if a.work == 'student':
            student.train()
            train_step(x, x, y, distil=False)
        elif a.work == 'ega':
            student.train()
            train_step(x, x, y, distil=True)
        elif a.work == 'teacher':
            with no_grad(), autocast():
                teacher(x)
        elif a.work == 'eval':
            student.eval()
            with no_grad(), autocast():
                student(x)[1].sum().item()
        else:
            raise SystemExit('unknown --work ' + a.work)

    for _ in range(a.warmup):
        step()
    sync()
    start = time.time()
    for _ in range(a.steps):
        step()
    sync()
    result['images_per_s'] = round(a.steps * b / (time.time() - start), 2)
    print(json.dumps(result))


if __name__ == '__main__':
    main()
