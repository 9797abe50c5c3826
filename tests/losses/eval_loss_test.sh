#!/bin/bash
# Runs eval_loss_test.py with Debian's python3-torch (see that file).
exec /usr/bin/python3 tests/losses/eval_loss_test.py tools/eval_loss "$@"
