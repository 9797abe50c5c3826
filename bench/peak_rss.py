"""Runs a command and writes the peak resident memory of that process (not
of its own children) as {"peak_rss_mib": x} to RSS_JSON.

  peak_rss.py RSS_JSON COMMAND [ARG...]
"""
import json
import os
import sys

out, command = sys.argv[1], sys.argv[2:]
pid = os.fork()
if pid == 0:
    os.execvp(command[0], command)
_, status, usage = os.wait4(pid, 0)
with open(out, "w") as f:
    json.dump({"peak_rss_mib": round(usage.ru_maxrss / 1024, 1)}, f)
sys.exit(os.waitstatus_to_exitcode(status))
