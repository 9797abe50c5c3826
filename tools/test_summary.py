#!/usr/bin/env python3
"""Print a CI-parsable 'N passed, N failed' line from Bazel's gtest XML.

Usage (after `bazel test //...`):
  bazel query 'tests(//...) except attr(tags, "manual", //...)' \
    | python3 tools/test_summary.py
With no labels on stdin it falls back to every bazel-testlogs/**/test.xml,
which may include stale XML from targets not run in this invocation.

Bazel's own summary ("Executed 2 out of 2 tests: 2 tests pass.") counts test
*targets*; this counts gtest test *cases*. A target whose XML is missing or
unparsable (crash, timeout) counts as one failure.
"""
import glob
import os
import sys
import xml.etree.ElementTree as ET

labels = [] if sys.stdin.isatty() else [l.strip() for l in sys.stdin if l.strip()]
if labels:
    paths = []
    for label in labels:
        pkg, _, name = label.lstrip("/").partition(":")
        paths.append(os.path.join("bazel-testlogs", pkg, name, "test.xml"))
else:
    paths = glob.glob("bazel-testlogs/**/test.xml", recursive=True)

passed = failed = skipped = 0
for path in paths:
    try:
        tree = ET.parse(path)
    except (OSError, ET.ParseError):
        print(f"no/invalid test.xml: {path}", file=sys.stderr)
        failed += 1
        continue
    for case in tree.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.get("status") == "notrun" or case.get("result") == "skipped" \
                or case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
