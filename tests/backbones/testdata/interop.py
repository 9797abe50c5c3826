"""PyTorch side of the state-dict interop test (tests/backbones/interop_test.cc).

  interop.py export DIR NET...  For each NET, builds the reference network
      (reference_models.py, 100 classes), gives its BatchNorms real running
      statistics (two train-mode passes), and writes
        DIR/NET.state.pt  torch.save(dict(model.state_dict()))  (plain dict)
        DIR/NET.io.pt     {"input": x, "logits": eval-mode logits of x}
      and for the first NET also NET.ordered.pt (an OrderedDict state dict),
      NET.nested.pt ({"epoch": 3, "model": state}) and NET.dataparallel.pt
      (names prefixed "module.").
  interop.py check DIR NET...   For each NET, reads DIR/NET.cc_state.pt (written
      by SavePyTorchLoadable) with torch.jit.load(...).state_dict(), loads it
      into the reference network with load_state_dict(strict=True), runs it in
      eval mode on the "input" of DIR/NET.cc_io.pt (written by WriteTensorDict)
      and prints "NET <max abs difference to its "logits">".

Run with /usr/bin/python3 (Debian's python3-torch).
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_models as rm  # noqa: E402

NUM_CLASSES = 100


def native_size(name):
    return 64 if name.startswith('ResNet') else 32


def export(out_dir, names):
    for i, name in enumerate(names):
        torch.manual_seed(1234 + i)
        model = rm.build(name, NUM_CLASSES)
        size = native_size(name)
        bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
        with torch.no_grad():
            for bn in bns:  # non-trivial affine parameters
                bn.weight.uniform_(0.5, 1.5)
                bn.bias.normal_(0.0, 0.1)
                bn.momentum = None  # running stats = average of the passes
            model.train()
            for _ in range(2):
                model(torch.randn(4, 3, size, size))
            for bn in bns:
                bn.momentum = 0.1
            model.eval()
            x = torch.randn(2, 3, size, size)
            logits = model(x)
        torch.save(dict(model.state_dict()),
                   os.path.join(out_dir, name + '.state.pt'))
        torch.save({'input': x, 'logits': logits},
                   os.path.join(out_dir, name + '.io.pt'))
        if i == 0:  # the other ways users save state dicts, for the first
            state = dict(model.state_dict())
            torch.save(model.state_dict(),  # an OrderedDict: unreadable
                       os.path.join(out_dir, name + '.ordered.pt'))
            torch.save({'epoch': 3, 'model': state},  # a checkpoint dict
                       os.path.join(out_dir, name + '.nested.pt'))
            torch.save({'module.' + k: v for k, v in state.items()},
                       os.path.join(out_dir, name + '.dataparallel.pt'))


def check(in_dir, names):
    for name in names:
        state = torch.jit.load(os.path.join(in_dir, name + '.cc_state.pt'))
        model = rm.build(name, NUM_CLASSES)
        model.load_state_dict(state.state_dict(), strict=True)
        model.eval()
        io = torch.load(os.path.join(in_dir, name + '.cc_io.pt'))
        with torch.no_grad():
            logits = model(io['input'])
        diff = (logits - io['logits']).abs().max().item()
        print('%s %.9g %.9g' % (name, diff, io['logits'].abs().max().item()))


if __name__ == '__main__':
    torch.set_num_threads(1)  # small batches; extra threads only spin
    command, directory, networks = sys.argv[1], sys.argv[2], sys.argv[3:]
    {'export': export, 'check': check}[command](directory, networks)
