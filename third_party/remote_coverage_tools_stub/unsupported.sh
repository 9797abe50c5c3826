#!/bin/sh
echo "remote_coverage_tools is stubbed out for offline builds; 'bazel coverage' is unsupported" >&2
exit 1
