"""Prints the parameter count of every reference network (reference_models.py).

  /usr/bin/python3 tests/backbones/testdata/gen_param_counts.py

The counts (trainable parameters, i.e. sum of numel over model.parameters(),
no buffers) for 10, 100 and 200 classes are what the backbone tests assert.
"""
import reference_models as rm

for name in rm.ALL_NAMES:
    counts = [sum(p.numel() for p in rm.build(name, k).parameters())
              for k in (10, 100, 200)]
    print('%-12s %12d %12d %12d' % ((name,) + tuple(counts)))
