"""PyTorch transcription of the CIFAR distillation model zoo, for tests.

Written from the model definitions of RepDistiller (github.com/HobbitLong/
RepDistiller, commit eedab9d1450cafbc7afbb19f616be0ac08d8aa3b, models/resnet.py,
resnetv2.py, wrn.py, vgg.py, ShuffleNetv1.py, ShuffleNetv2.py; mobilenetv2.py at
b13aecc3ede5b073640a40a37187e5e3ec4f466b), the definitions the CRD / EGA papers
train. Module and parameter names, channel widths, strides and shortcut types
follow those files so that state dicts are interchangeable with theirs; only
what the tests need is kept (no feature lists, no init: parameter counts and
state-dict round trips do not depend on the initial values).

Fixed-size pools of the reference (AvgPool2d(8), avg_pool2d(x, 4), ...) are
global at the reference input size, so they are written as global pools here
(identical results at 32x32). VGG applies pool3 only for 64x64 inputs, as in
the reference.

Used by gen_param_counts.py and interop.py; run with /usr/bin/python3 (Debian's
python3-torch 1.13).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def global_pool(x):
    return F.adaptive_avg_pool2d(x, 1).flatten(1)


# ---------------------------------------------------------------- resnet.py
class CifarBasicBlock(nn.Module):
    def __init__(self, cin, cout, stride, downsample):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = downsample

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        skip = x if self.downsample is None else self.downsample(x)
        return F.relu(out + skip)


class CifarResNet(nn.Module):
    def __init__(self, depth, widths, num_classes):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU()
        cin = widths[0]
        for stage, (cout, stride) in enumerate(zip(widths[1:], (1, 2, 2))):
            blocks = []
            for i in range(n):
                s = stride if i == 0 else 1
                down = None
                if s != 1 or cin != cout:
                    down = nn.Sequential(nn.Conv2d(cin, cout, 1, s, bias=False),
                                         nn.BatchNorm2d(cout))
                blocks.append(CifarBasicBlock(cin, cout, s, down))
                cin = cout
            setattr(self, 'layer%d' % (stage + 1), nn.Sequential(*blocks))
        self.fc = nn.Linear(widths[3], num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(global_pool(x))


# -------------------------------------------------------------- resnetv2.py
class BasicBlockV2(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class BottleneckV2(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, stride):
        super().__init__()
        cout = 4 * planes
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + self.shortcut(x))


class ResNetV2(nn.Module):
    def __init__(self, block, counts, num_classes):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        cin = 64
        for stage, (planes, count, stride) in enumerate(
                zip((64, 128, 256, 512), counts, (1, 2, 2, 2))):
            blocks = []
            for i in range(count):
                blocks.append(block(cin, planes, stride if i == 0 else 1))
                cin = planes * block.expansion
            setattr(self, 'layer%d' % (stage + 1), nn.Sequential(*blocks))
        self.linear = nn.Linear(512 * block.expansion, num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.linear(global_pool(x))


# ------------------------------------------------------------------- wrn.py
class WideBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.relu1 = nn.ReLU()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu2 = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.equal = cin == cout
        self.convShortcut = None if self.equal else nn.Conv2d(
            cin, cout, 1, stride, 0, bias=False)

    def forward(self, x):
        act = F.relu(self.bn1(x))
        out = self.conv2(F.relu(self.bn2(self.conv1(act))))
        return out + (x if self.equal else self.convShortcut(act))


class WideGroup(nn.Module):
    def __init__(self, n, cin, cout, stride):
        super().__init__()
        self.layer = nn.Sequential(*[
            WideBlock(cin if i == 0 else cout, cout, stride if i == 0 else 1)
            for i in range(n)])

    def forward(self, x):
        return self.layer(x)


class WideResNet(nn.Module):
    def __init__(self, depth, widen, num_classes):
        super().__init__()
        w = [16, 16 * widen, 32 * widen, 64 * widen]
        n = (depth - 4) // 6
        self.conv1 = nn.Conv2d(3, w[0], 3, 1, 1, bias=False)
        self.block1 = WideGroup(n, w[0], w[1], 1)
        self.block2 = WideGroup(n, w[1], w[2], 2)
        self.block3 = WideGroup(n, w[2], w[3], 2)
        self.bn1 = nn.BatchNorm2d(w[3])
        self.relu = nn.ReLU()
        self.fc = nn.Linear(w[3], num_classes)

    def forward(self, x):
        x = self.block3(self.block2(self.block1(self.conv1(x))))
        return self.fc(global_pool(F.relu(self.bn1(x))))


# ------------------------------------------------------------------- vgg.py
VGG_CFG = {
    'vgg8': [[64], [128], [256], [512], [512]],
    'vgg11': [[64], [128], [256, 256], [512, 512], [512, 512]],
    'vgg13': [[64, 64], [128, 128], [256, 256], [512, 512], [512, 512]],
    'vgg16': [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512],
              [512, 512, 512]],
    'vgg19': [[64, 64], [128, 128], [256, 256, 256, 256],
              [512, 512, 512, 512], [512, 512, 512, 512]],
}


class VGG(nn.Module):
    """The *_bn variants, which RepDistiller registers as vgg8 ... vgg19."""

    def __init__(self, cfg, num_classes):
        super().__init__()
        cin = 3
        for b, widths in enumerate(cfg):
            layers = []
            for v in widths:
                layers += [nn.Conv2d(cin, v, 3, padding=1), nn.BatchNorm2d(v),
                           nn.ReLU()]
                cin = v
            setattr(self, 'block%d' % b, nn.Sequential(*layers[:-1]))
        self.classifier = nn.Linear(512, num_classes)

    def forward(self, x):
        h = x.shape[2]
        x = F.max_pool2d(F.relu(self.block0(x)), 2)
        x = F.max_pool2d(F.relu(self.block1(x)), 2)
        x = F.max_pool2d(F.relu(self.block2(x)), 2)
        x = F.relu(self.block3(x))
        if h == 64:
            x = F.max_pool2d(x, 2)
        x = F.relu(self.block4(x))
        return self.classifier(global_pool(x))


# ----------------------------------------------------------- ShuffleNetv1.py
def channel_shuffle(x, groups):
    n, c, h, w = x.size()
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class ShuffleV1Unit(nn.Module):
    def __init__(self, cin, cout, stride, groups):
        super().__init__()
        self.stride = stride
        mid = cout // 4
        self.g = 1 if cin == 24 else groups
        self.conv1 = nn.Conv2d(cin, mid, 1, groups=self.g, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(mid, cout, 1, groups=groups, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)

    def forward(self, x):
        out = channel_shuffle(F.relu(self.bn1(self.conv1(x))), self.g)
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.stride == 2:
            return F.relu(torch.cat([out, F.avg_pool2d(x, 3, 2, 1)], 1))
        return F.relu(out + x)


class ShuffleNetV1(nn.Module):
    def __init__(self, num_classes, widths=(240, 480, 960), counts=(4, 8, 4),
                 groups=3):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 24, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(24)
        cin = 24
        for stage, (cout, count) in enumerate(zip(widths, counts)):
            units = []
            for i in range(count):
                units.append(ShuffleV1Unit(cin, cout - (cin if i == 0 else 0),
                                           2 if i == 0 else 1, groups))
                cin = cout
            setattr(self, 'layer%d' % (stage + 1), nn.Sequential(*units))
        self.linear = nn.Linear(widths[2], num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.linear(global_pool(x))


# ----------------------------------------------------------- ShuffleNetv2.py
class ShuffleV2Unit(nn.Module):
    def __init__(self, channels):
        super().__init__()
        c = channels // 2
        self.conv1 = nn.Conv2d(c, c, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1, groups=c, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.conv3 = nn.Conv2d(c, c, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(c)

    def forward(self, x):
        c = x.size(1) // 2
        x1, x2 = x[:, :c], x[:, c:]
        out = F.relu(self.bn1(self.conv1(x2)))
        out = F.relu(self.bn3(self.conv3(self.bn2(self.conv2(out)))))
        return channel_shuffle(torch.cat([x1, out], 1), 2)


class ShuffleV2Down(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        mid = cout // 2
        self.conv1 = nn.Conv2d(cin, cin, 3, 2, 1, groups=cin, bias=False)
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv2 = nn.Conv2d(cin, mid, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(cin, mid, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(mid)
        self.conv4 = nn.Conv2d(mid, mid, 3, 2, 1, groups=mid, bias=False)
        self.bn4 = nn.BatchNorm2d(mid)
        self.conv5 = nn.Conv2d(mid, mid, 1, bias=False)
        self.bn5 = nn.BatchNorm2d(mid)

    def forward(self, x):
        left = F.relu(self.bn2(self.conv2(self.bn1(self.conv1(x)))))
        right = F.relu(self.bn3(self.conv3(x)))
        right = F.relu(self.bn5(self.conv5(self.bn4(self.conv4(right)))))
        return channel_shuffle(torch.cat([left, right], 1), 2)


class ShuffleNetV2(nn.Module):
    def __init__(self, num_classes, widths=(116, 232, 464, 1024),
                 counts=(3, 7, 3)):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 24, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(24)
        cin = 24
        for stage in range(3):
            units = [ShuffleV2Down(cin, widths[stage])]
            units += [ShuffleV2Unit(widths[stage]) for _ in range(counts[stage])]
            cin = widths[stage]
            setattr(self, 'layer%d' % (stage + 1), nn.Sequential(*units))
        self.conv2 = nn.Conv2d(widths[2], widths[3], 1, bias=False)
        self.bn2 = nn.BatchNorm2d(widths[3])
        self.linear = nn.Linear(widths[3], num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        return self.linear(global_pool(x))


# ------------------------------------------------------------ mobilenetv2.py
class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.residual = stride == 1 and cin == cout
        self.conv = nn.Sequential(
            nn.Conv2d(cin, hidden, 1, 1, 0, bias=False), nn.BatchNorm2d(hidden),
            nn.ReLU(),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden), nn.ReLU(),
            nn.Conv2d(hidden, cout, 1, 1, 0, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileNetV2Half(nn.Module):
    """mobile_half: expansion T = 6, width multiplier 0.5."""

    def __init__(self, num_classes, expand=6, width=0.5):
        super().__init__()
        setting = [(1, 16, 1, 1), (expand, 24, 2, 1), (expand, 32, 3, 2),
                   (expand, 64, 4, 2), (expand, 96, 3, 1), (expand, 160, 3, 2),
                   (expand, 320, 1, 1)]
        cin = int(32 * width)
        self.conv1 = nn.Sequential(nn.Conv2d(3, cin, 3, 2, 1, bias=False),
                                   nn.BatchNorm2d(cin), nn.ReLU())
        self.blocks = nn.ModuleList()
        for t, c, n, s in setting:
            cout = int(c * width)
            layers = []
            for i in range(n):
                layers.append(InvertedResidual(cin, cout, s if i == 0 else 1, t))
                cin = cout
            self.blocks.append(nn.Sequential(*layers))
        last = int(1280 * width) if width > 1.0 else 1280
        self.conv2 = nn.Sequential(nn.Conv2d(cin, last, 1, 1, 0, bias=False),
                                   nn.BatchNorm2d(last), nn.ReLU())
        self.classifier = nn.Sequential(nn.Linear(last, num_classes))

    def forward(self, x):
        x = self.conv1(x)
        for block in self.blocks:
            x = block(x)
        return self.classifier(global_pool(self.conv2(x)))


def build(name, num_classes):
    """The reference network registered as `name` in this library."""
    cifar_resnets = {'resnet8': 8, 'resnet14': 14, 'resnet20': 20,
                     'resnet32': 32, 'resnet44': 44, 'resnet56': 56,
                     'resnet110': 110}
    if name in cifar_resnets:
        return CifarResNet(cifar_resnets[name], [16, 16, 32, 64], num_classes)
    if name == 'resnet8x4':
        return CifarResNet(8, [32, 64, 128, 256], num_classes)
    if name == 'resnet32x4':
        return CifarResNet(32, [32, 64, 128, 256], num_classes)
    if name.startswith('wrn_'):
        _, depth, widen = name.split('_')
        return WideResNet(int(depth), int(widen), num_classes)
    if name in VGG_CFG:
        return VGG(VGG_CFG[name], num_classes)
    if name == 'ShuffleV1':
        return ShuffleNetV1(num_classes)
    if name == 'ShuffleV2':
        return ShuffleNetV2(num_classes)
    if name == 'MobileNetV2':
        return MobileNetV2Half(num_classes)
    if name == 'ResNet18':
        return ResNetV2(BasicBlockV2, [2, 2, 2, 2], num_classes)
    if name == 'ResNet34':
        return ResNetV2(BasicBlockV2, [3, 4, 6, 3], num_classes)
    if name == 'ResNet50':
        return ResNetV2(BottleneckV2, [3, 4, 6, 3], num_classes)
    raise ValueError('unknown network ' + name)


ALL_NAMES = ['resnet8', 'resnet14', 'resnet20', 'resnet32', 'resnet44',
             'resnet56', 'resnet110', 'resnet8x4', 'resnet32x4', 'wrn_16_1',
             'wrn_16_2', 'wrn_40_1', 'wrn_40_2', 'vgg8', 'vgg11', 'vgg13',
             'vgg16', 'vgg19', 'ShuffleV1', 'ShuffleV2', 'MobileNetV2',
             'ResNet18', 'ResNet34', 'ResNet50']
