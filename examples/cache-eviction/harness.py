"""Candidate side of the cache-eviction example (untrusted, like a driver).

Started by evaluate.py as `python3 -I harness.py <program.py>`. Loads the
candidate's module and answers the evaluator on stdin/stdout, one JSON object
per line:

  in:  {"capacity": 40}                              start a new cache
  in:  {"a": [[key, hit], ...], "evict": [keys]}     accesses since the last
                                                      question, then: which of
                                                      the cached keys goes?
  out: {"victim": key} | {"error": "..."}
  in:  {"a": [...], "end": true}                     last accesses; no answer

The candidate's own prints go to stderr: stdout belongs to the protocol.
Nothing here is trusted: the evaluator checks every answer and counts hits itself.
"""

import importlib.util
import json
import os
import sys
import traceback

proto = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)
sys.stdout = sys.stderr


def reply(obj):
    proto.write(json.dumps(obj) + "\n")
    proto.flush()


def describe(exc):
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith("program.py")]
    where = f" (program.py line {frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def main():
    path = sys.argv[1]
    try:
        spec = importlib.util.spec_from_file_location("program", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        policy_class = module.Policy
    except BaseException as exc:  # the program's fault, whatever it is
        reply({"error": f"the program failed to load: {describe(exc)}"})
        return
    policy = None
    for line in sys.stdin:
        msg = json.loads(line)
        try:
            if "capacity" in msg:
                policy = policy_class(msg["capacity"])
                continue
            for key, hit in msg.get("a", []):
                policy.access(key, hit)
            if "evict" in msg:
                reply({"victim": policy.evict(list(msg["evict"]))})
        except BaseException as exc:
            reply({"error": describe(exc)})
            return


main()
