#!/usr/bin/env python3
"""Checks a file against the Trace Event Format (Google, "Trace Event Format", JSON object
form) as chrome://tracing and Perfetto read it, and against what `mtsim run --trace` promises.

usage: check_trace.py TRACE.json [--agents a,b,...] [--categories a,b,...]
Exit 0 when every check holds; otherwise one line per failure on stderr and exit 1.
"""
import json
import sys
from collections import defaultdict

PHASES = {"B", "E", "X", "i", "I", "M", "C"}


def main():
    path = sys.argv[1]
    opts = dict(zip(sys.argv[2::2], sys.argv[3::2]))
    errors = []

    def bad(msg):
        errors.append(msg)

    with open(path, encoding="utf-8") as f:
        doc = json.load(f)  # valid JSON, or an exception
    events = doc.get("traceEvents")
    if not isinstance(events, list) or not events:
        print("no traceEvents list", file=sys.stderr)
        return 1
    names = {}  # (pid, tid) -> thread name
    procs = {}
    per_track = defaultdict(list)
    for n, e in enumerate(events):
        ph = e.get("ph")
        if ph not in PHASES:
            bad(f"event {n}: unknown ph {ph!r}")
            continue
        if not isinstance(e.get("pid"), int) or not isinstance(e.get("tid"), int):
            bad(f"event {n}: pid/tid are not integers")
            continue
        key = (e["pid"], e["tid"])
        if ph == "M":
            if e.get("name") == "thread_name":
                names[key] = e["args"]["name"]
            elif e.get("name") == "process_name":
                procs[e["pid"]] = e["args"]["name"]
            continue
        if not isinstance(e.get("name"), str) or not e["name"]:
            bad(f"event {n}: no name")
        if not isinstance(e.get("ts"), (int, float)) or e["ts"] < 0:
            bad(f"event {n}: ts {e.get('ts')!r} is not a non-negative number of µs")
            continue
        if ph == "X" and (not isinstance(e.get("dur"), (int, float)) or e["dur"] < 0):
            bad(f"event {n}: complete event without a non-negative dur")
            continue
        if ph in ("i", "I") and e.get("s", "t") not in ("g", "p", "t"):
            bad(f"event {n}: instant scope {e.get('s')!r}")
        per_track[key].append(e)

    for key, evs in per_track.items():
        label = names.get(key, f"pid {key[0]} tid {key[1]}")
        if key not in names:
            bad(f"track {label}: events without a thread_name")
        if key[0] not in procs:
            bad(f"track {label}: no process_name for pid {key[0]}")
        last = -1.0
        stack = []  # open slices: end times (X) or names (B)
        eps = 1e-9
        for e in evs:
            if e["ts"] + eps < last:
                bad(f"track {label}: ts {e['ts']} after {last} (not monotonic)")
                break
            last = e["ts"]
            # X slices close when a later event starts at or after their end.
            while stack and stack[-1][0] == "X" and stack[-1][1] <= e["ts"] + eps:
                stack.pop()
            if e["ph"] == "X":
                end = e["ts"] + e["dur"]
                if stack and stack[-1][0] == "X" and end > stack[-1][1] + eps:
                    bad(f"track {label}: slice {e['name']!r} [{e['ts']}, {end}] overlaps "
                        f"its enclosing slice ending at {stack[-1][1]} (slices must nest)")
                    break
                stack.append(("X", end))
            elif e["ph"] == "B":
                stack.append(("B", e["name"]))
            elif e["ph"] == "E":
                while stack and stack[-1][0] == "X":
                    stack.pop()
                if not stack:
                    bad(f"track {label}: E at {e['ts']} without a B")
                    break
                stack.pop()
        if any(s[0] == "B" for s in stack):
            bad(f"track {label}: a B without its E")

    tracks = set(names.values())
    for a in filter(None, opts.get("--agents", "").split(",")):
        if not any(t == a or t.endswith("." + a) for t in tracks):
            bad(f"agent {a} has no track (tracks: {sorted(tracks)})")
    cats = set(e.get("cat") for evs in per_track.values() for e in evs)
    if "--categories" in opts:
        allowed = set(opts["--categories"].split(","))
        if not cats <= allowed:
            bad(f"categories {sorted(cats - allowed)} outside the filter {sorted(allowed)}")
    for m in errors[:20]:
        print(m, file=sys.stderr)
    if not errors:
        n = sum(len(v) for v in per_track.values())
        print(f"ok: {n} events on {len(per_track)} tracks ({len(tracks)} declared), "
              f"categories {sorted(cats)}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
