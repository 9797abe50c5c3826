"""Writes reference_state_shapes.txt: every state-dict entry (parameters and
buffers) of every reference network (reference_models.py, 100 classes) as
"<network> <name> <dim0>x<dim1>..." ("-" for a scalar), in state_dict order.

  cd tests/backbones/testdata && /usr/bin/python3 gen_state_shapes.py
"""
import reference_models as rm

with open('reference_state_shapes.txt', 'w') as out:
    for name in rm.ALL_NAMES:
        for key, value in rm.build(name, 100).state_dict().items():
            shape = 'x'.join(str(d) for d in value.shape) or '-'
            out.write('%s %s %s\n' % (name, key, shape))
