"""Trusted evaluator of the cache-eviction example (the task's own code).

    python3 evaluate.py <program.py> <workloads.json>

Runs the candidate's Policy on each workload's request trace and prints one
JSON object on stdout (the protocol of docs/sandbox.md): per workload the hit
rate, the hit rates of LRU and of the offline optimum (Belady) and a 0-100
score between them, plus feedback for the next prompt and a small artifact.

The candidate never runs in this process: harness.py loads it in a child
process that only answers "which key goes?", while this process keeps the
cache and counts the hits. A candidate that prints, patches or exits can only
spoil its own answers. Standard library only.
"""

import ctypes
import json
import os
import select
import subprocess
import sys
import time

HARNESS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "harness.py")
ANSWER_SECONDS = 5.0


class Invalid(Exception):
    """The candidate's answers on this workload cannot be scored."""


class LoadError(Exception):
    """The candidate's program does not load at all."""


def harden():
    """Become non-dumpable: the candidate runs as the same user, and could otherwise open
    /proc/<our pid>/fd/1 to print a forged result, or read our memory."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    except (OSError, AttributeError):
        pass


class Candidate:
    """The candidate's harness in a child process, spoken to in JSON lines."""

    def __init__(self, program):
        self.proc = subprocess.Popen(
            [sys.executable, "-I", HARNESS, program],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
        )
        self.buffer = b""

    def send(self, message):
        try:
            self.proc.stdin.write((json.dumps(message) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # it died; the next answer says so

    def receive(self):
        deadline = time.monotonic() + ANSWER_SECONDS
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Invalid(f"no answer within {ANSWER_SECONDS:g} s")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise Invalid(f"the program exited (code {self.proc.wait()})")
            self.buffer += chunk
            if len(self.buffer) > 1 << 20:
                raise Invalid("an answer longer than 1 MB")
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            answer = json.loads(line)
        except ValueError:
            raise Invalid("a malformed answer") from None
        if not isinstance(answer, dict):
            raise Invalid("a malformed answer")
        if "error" in answer:
            text = str(answer["error"])[:2000]
            if text.startswith("the program failed to load"):
                raise LoadError(text)
            raise Invalid(text)
        return answer

    def close(self):
        self.proc.kill()
        self.proc.wait()


def simulate(candidate, capacity, trace, victims):
    """Hits of the candidate's policy; the cache and the count are ours."""
    candidate.send({"capacity": capacity})
    cache = set()
    pending = []
    hits = 0
    for key in trace:
        if key in cache:
            hits += 1
            pending.append([key, True])
            continue
        if len(cache) >= capacity:
            candidate.send({"a": pending, "evict": sorted(cache)})
            pending = []
            victim = candidate.receive().get("victim")
            if type(victim) is not int or victim not in cache:
                raise Invalid(f"evicted {json.dumps(victim)[:40]}, which is not a cached key")
            cache.remove(victim)
            if len(victims) < 20:
                victims.append(victim)
        cache.add(key)
        pending.append([key, False])
    candidate.send({"a": pending, "end": True})
    return hits


def lru_hits(capacity, trace):
    order = {}
    hits = 0
    for t, key in enumerate(trace):
        if key in order:
            hits += 1
        elif len(order) >= capacity:
            del order[min(order, key=order.get)]
        order[key] = t
    return hits


def optimal_hits(capacity, trace):
    """Belady: evict the key needed again furthest in the future (or never)."""
    never = len(trace)
    next_use = [never] * len(trace)
    seen = {}
    for t in range(len(trace) - 1, -1, -1):
        next_use[t] = seen.get(trace[t], never)
        seen[trace[t]] = t
    cache = {}
    hits = 0
    for t, key in enumerate(trace):
        if key in cache:
            hits += 1
        elif len(cache) >= capacity:
            del cache[max(cache, key=cache.get)]
        cache[key] = next_use[t]
    return hits


def score(rate, lru, opt):
    if opt <= lru:
        return 100.0 if rate >= opt else 0.0
    return max(0.0, min(100.0, 100.0 * (rate - lru) / (opt - lru)))


def main():
    harden()
    program, workloads_file = sys.argv[1], sys.argv[2]
    with open(workloads_file, encoding="utf-8") as f:
        workloads = json.load(f)
    results = []
    lines = []
    artifacts = {}
    error = None
    for w in workloads:
        capacity, trace = w["input"]["capacity"], w["input"]["trace"]
        n = len(trace)
        lru, opt = lru_hits(capacity, trace) / n, optimal_hits(capacity, trace) / n
        metrics = {"lruHitRate": lru, "optHitRate": opt}
        victims = []
        candidate = Candidate(program)
        started = time.perf_counter()
        try:
            rate = simulate(candidate, capacity, trace, victims) / n
        except LoadError as exc:
            error = str(exc)
            break
        except Invalid as exc:
            results.append({"id": w["id"], "valid": False, "metrics": metrics, "error": str(exc)})
            lines.append(f"- {w['id']}: FAILED: {exc}")
            continue
        finally:
            duration = (time.perf_counter() - started) * 1000
            candidate.close()
        s = score(rate, lru, opt)
        metrics["hitRate"] = rate
        results.append({"id": w["id"], "valid": True, "score": s, "metrics": metrics, "durationMs": duration})
        lines.append(
            f"- {w['id']} (capacity {capacity}): hit rate {rate:.3f}; LRU {lru:.3f}, "
            f"offline optimum {opt:.3f}; score {s:.1f}"
        )
        artifacts[f"victims.{w['id']}"] = " ".join(map(str, victims))
    out = {"workloads": results, "feedback": "\n".join(lines), "artifacts": artifacts}
    if error is not None:
        out["error"] = error
    print(json.dumps(out))


main()
