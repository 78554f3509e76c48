#!/usr/bin/python3
"""Runs the real `genesis` binary on every case of make_bad_inputs.py and checks each case:
no crash, the bad input named with a reason, the good records beside it kept.

Usage: /usr/bin/python3 bad_input_corpus_test.py GENESIS MAKE_BAD_INPUTS OUT_DIR

Prints one line per case (PASS / FAIL / XFAIL / XPASS) and, for a failure, what was expected
and what genesis wrote. Exits 1 if any case fails or an expected failure passes.
"""
import csv
import json
import os
import re
import subprocess
import sys
import time

# Cases known to fail, {case name: reason}; an entry here that passes fails the test (XPASS),
# so the list cannot go stale. Empty: every case the corpus found wrong was fixed (commits
# "corpus: one patient listed by two dataset specs ...", "csv_manifest: a row with the wrong
# number of fields ...", "mat reader: a truncated or corrupt MATLAB 7.3 file says so").
EXPECTED_FAILURES = {
}

# Signs of a crash in the output of a process that otherwise exited with an expected code.
CRASH_PATTERNS = [
    r"terminate called", r"Segmentation fault", r"core dumped", r"AddressSanitizer",
    r"LeakSanitizer", r"runtime error:", r"\*\*\* Check failure", r"Check failed: ",
    r"(?m)^F\d{4,8} ", r"std::bad_alloc", r"double free", r"stack smashing",
]
TIMEOUT_S = 120


def run(argv, log_path):
    start = time.monotonic()
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=TIMEOUT_S)
        code, out = p.returncode, p.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        code, out = "timeout", (e.stdout or b"").decode("utf-8", "replace")
    with open(log_path, "w") as fp:
        fp.write("$ %s\n%s" % (" ".join(argv), out))
    return code, out, time.monotonic() - start


def read_csv(path):
    if not os.path.exists(path):
        return None
    with open(path, newline="") as fp:
        return list(csv.DictReader(fp))


class Checker:
    def __init__(self):
        self.results = []  # (status, name, detail)

    def report(self, name, problems, context=""):
        xfail = EXPECTED_FAILURES.get(name)
        if problems and xfail:
            status, detail = "XFAIL", xfail
        elif problems:
            status, detail = "FAIL", ("\n    ".join(problems).replace(OUT_DIR, "$OUT") +
                                      (("\n" + context) if context else ""))
        elif xfail:
            status, detail = "XPASS", "listed as an expected failure (%s) but passed" % xfail
        else:
            status, detail = "PASS", ""
        self.results.append((status, name, detail))
        print("%-5s %s%s" % (status, name, ("\n    " + detail) if detail else ""), flush=True)


OUT_DIR = ""  # Shown as $OUT in reports.


def indent(text, limit=60):
    lines = text.rstrip("\n").replace(OUT_DIR, "$OUT").split("\n")
    if len(lines) > limit:
        lines = (lines[:limit // 2] + ["    ... (%d lines)" % (len(lines) - limit)] +
                 lines[-limit // 2:])
    return "\n".join("      | " + line for line in lines)


def check_group(group, genesis, out_dir, checker):
    name = group["name"]
    log = os.path.join(out_dir, name + ".log")
    code, out, seconds = run([genesis] + group["argv"], log)
    group_problems = []
    if code != group["exit"]:
        what = "killed by signal %d" % -code if isinstance(code, int) and code < 0 else code
        group_problems.append("exit code %s, expected %d" % (what, group["exit"]))
    for pattern in CRASH_PATTERNS:
        if re.search(pattern, out):
            group_problems.append("crash sign /%s/ in the output" % pattern)
    if group.get("not_created") and os.path.exists(group["not_created"]):
        group_problems.append("%s was created: the run did work before refusing" %
                              group["not_created"])
    print("----- %s: genesis %s -> exit %s in %.1f s (log %s)" %
          (name, group["argv"][0], code, seconds, log.replace(OUT_DIR, "$OUT")), flush=True)
    context = indent(out)

    skipped = manifest = None
    claimed = set()
    if group.get("corpus_dir"):
        skipped = read_csv(os.path.join(group["corpus_dir"], "skipped.csv"))
        manifest = read_csv(os.path.join(group["corpus_dir"], "manifest.csv"))
        if skipped is None:
            group_problems.append("no skipped.csv in " + group["corpus_dir"])
        if manifest is None and group.get("good"):
            group_problems.append("no manifest.csv in " + group["corpus_dir"])

    for case in group["cases"]:
        problems = list(group_problems)
        if case["where"] == "skipped" and skipped is not None:
            rows = [i for i, r in enumerate(skipped) if r["file"].endswith(case["input"])]
            claimed.update(rows)
            reasons = [skipped[i]["reason"] for i in rows]
            want = case.get("count")
            if not rows:
                problems.append("skipped.csv has no row naming %s (expected a reason matching "
                                "/%s/)" % (case["input"], case["expect"]))
            elif want is not None and len(rows) != want:
                problems.append("skipped.csv has %d rows naming %s, expected %d: %s" %
                                (len(rows), case["input"], want, reasons))
            for reason in reasons:
                if not reason.strip() or not re.search(case["expect"], reason):
                    problems.append("reason for %s does not match /%s/: %r" %
                                    (case["input"], case["expect"], reason))
            ctx = indent("\n".join("%s: %s" % (r["file"], r["reason"]) for r in skipped))
        elif case["where"] == "output":
            lines = [line for line in out.split("\n") if case["input"] in line]
            if not lines:
                problems.append("no output line names %s" % case["input"])
            elif not any(re.search(case["expect"], line) for line in lines):
                problems.append("no line naming %s matches /%s/:\n%s" %
                                (case["input"], case["expect"], indent("\n".join(lines))))
            ctx = context
        else:
            ctx = context
        checker.report(case["name"], problems, ctx if problems else "")

    if skipped is not None:
        unclaimed = [r for i, r in enumerate(skipped) if i not in claimed]
        checker.report(
            name + ": every skipped input is an expected one",
            ["unexpected skip (a good input lost?): %s: %s" % (r["file"], r["reason"])
             for r in unclaimed])
    if group.get("good_output"):
        checker.report(name + ": good inputs beside the bad ones still processed (%d)" %
                       len(group["good_output"]),
                       ["output lacks %s" % text for text in group["good_output"]
                        if text not in out], context)
    if group.get("good"):
        problems = []
        stored = {}
        for r in manifest or []:
            stored[r["file"]] = stored.get(r["file"], 0) + int(r["selected_slices"])
        for good in group["good"]:
            hits = {f: n for f, n in stored.items() if f.endswith("/" + good["file"])}
            got = sum(hits.values())
            if got != good["slices"]:
                problems.append("%s: %d slices in manifest.csv, expected %d" %
                                (good["file"], got, good["slices"]))
        checker.report(name + ": good records kept (%d files)" % len(group["good"]), problems,
                       indent("\n".join("%s: %d" % kv for kv in sorted(stored.items())))
                       if problems else "")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    genesis, generator, out_dir = sys.argv[1:]
    global OUT_DIR
    OUT_DIR = os.path.abspath(out_dir)
    print("$OUT = " + OUT_DIR)
    start = time.monotonic()
    subprocess.run(["/usr/bin/python3", generator, out_dir], check=True)
    with open(os.path.join(out_dir, "cases.json")) as fp:
        groups = json.load(fp)["groups"]
    checker = Checker()
    for group in groups:
        check_group(group, genesis, out_dir, checker)
    counts = {}
    for status, _, _ in checker.results:
        counts[status] = counts.get(status, 0) + 1
    cases = sum(len(g["cases"]) for g in groups)
    print("%d cases in %d genesis invocations, %d checks: %s; %.0f s" %
          (cases, len(groups), len(checker.results),
           ", ".join("%d %s" % (n, s) for s, n in sorted(counts.items())),
           time.monotonic() - start))
    bad = [(s, n) for s, n, _ in checker.results if s in ("FAIL", "XPASS")]
    if bad:
        print("FAILED:\n" + "\n".join("  %s %s" % b for b in bad))
        sys.exit(1)
    stale = set(EXPECTED_FAILURES) - {n for _, n, _ in checker.results}
    if stale:
        print("EXPECTED_FAILURES names cases that do not exist: %s" % sorted(stale))
        sys.exit(1)


if __name__ == "__main__":
    main()
