"""Writes the TorchScript teacher fixtures of torchscript_teacher_test.cc.

  cd tests/teacher/testdata && /usr/bin/python3 gen_torchscript_teacher.py

  tiny_teacher.pt          a small conv net scripted with torch.jit.script:
                           [B, 3, 32, 32] -> [B, 16] features
  tiny_teacher_io.pt       plain dict {"input": [2, 3, 32, 32],
                           "output": its [2, 16] output}
  tiny_teacher_4d.pt       same net without pooling/projection: returns a
                           4-D feature map (a bad teacher output)
  tiny_teacher_tuple.pt    returns a tuple of two tensors (another bad one)
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class TinyTeacher(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.proj = nn.Linear(16, 16)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.conv2(x))
        return self.proj(F.adaptive_avg_pool2d(x, 1).flatten(1))


class FeatureMapTeacher(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv1(x)


class TupleTeacher(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(3, 4)

    def forward(self, x):
        pooled = x.mean(dim=[2, 3])
        return self.proj(pooled), pooled


torch.manual_seed(7)
teacher = TinyTeacher()
with torch.no_grad():  # non-trivial BN statistics, so eval mode matters
    teacher.bn1.running_mean.uniform_(-0.5, 0.5)
    teacher.bn1.running_var.uniform_(0.5, 2.0)
teacher.eval()
torch.jit.script(teacher).save('tiny_teacher.pt')
x = torch.randn(2, 3, 32, 32)
with torch.no_grad():
    y = teacher(x)
torch.save({'input': x, 'output': y}, 'tiny_teacher_io.pt')
torch.jit.script(FeatureMapTeacher().eval()).save('tiny_teacher_4d.pt')
torch.jit.script(TupleTeacher().eval()).save('tiny_teacher_tuple.pt')
