"""check.py — runs gpustyle on every case of the bad-input corpus and checks the promises of issue #9.

usage: python3 scripts/badinputs/check.py GPUSTYLE FOLDER [--only SUBSTRING] [--verbose]

Bad: exit code 1…127 (no signal), exactly one line on stderr naming the file or option and the problem,
no output file, no temporary or intermediate files, inputs unchanged, nothing executed. Valid: exit 0 and
an output PNG of the right orientation that is not flat (a black or gray image fails). Partial (a batch with
a broken image): the expected exit code, a last line naming the broken image, the other outputs as for valid
and none for the broken one. Prints a table; exits 1 on any violation.
"""
import glob
import hashlib
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases as corpus  # noqa: E402
import images as im  # noqa: E402

COMMON = ["--backend", "cpu", "--progress", "none", "--image-size", "32", "--num-iterations", "2", "--seed", "1"]
TIMEOUT = 180


def common_for(args):
    """COMMON without the options a case sets itself (gpustyle refuses an option given twice)."""
    pairs = zip(COMMON[0::2], COMMON[1::2])
    return [part for option, value in pairs if option not in args for part in (option, value)]


def digest(path):
    if os.path.isdir(path):
        return "folder"
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def leftovers(output):
    """Temporary files and intermediates a run must not leave beside `output`."""
    folder, name = os.path.split(output)
    stem = os.path.splitext(name)[0]
    return glob.glob(os.path.join(folder, "." + name + ".tmp-*")) + glob.glob(os.path.join(folder, stem + "_*.*"))


def named(line, name):
    return name in line or (os.sep in name and os.path.basename(name) in line)


def check_bad(case, rc, lines):
    problems = []
    if not 1 <= rc <= 127:
        problems.append("exit code %d" % rc if rc >= 0 else "killed by signal %d" % -rc)
    if len(lines) != 1:
        problems.append("%d lines on stderr" % len(lines))
    line = lines[0] if lines else ""
    missing = [n for n in case["names"] if not named(line, n)]
    if missing:
        problems.append("does not name " + ", ".join(os.path.basename(m) for m in missing))
    if case["words"] and not any(word.lower() in line.lower() for word in case["words"]):
        problems.append("does not say " + " / ".join(repr(word) for word in case["words"]))
    if case["output"] not in case.get("keep", []) and os.path.exists(case["output"]):
        problems.append("wrote " + case["output"])
    return problems


def check_partial(case, rc, lines):
    """A batch with a broken image: the given exit code, its error naming the image, the others rendered."""
    problems = [] if rc == case["rc"] else ["exit code %d, expected %d" % (rc, case["rc"])]
    last = lines[-1] if lines else ""
    problems += ["last line does not name " + os.path.basename(n) for n in case["names"] if not named(last, n)]
    problems += ["last line does not say %r" % w for w in case["words"] if w not in last]
    return problems + check_valid(dict(case, expect="valid"), 0, lines)


def check_valid(case, rc, lines):
    if rc != 0:
        return ["exit code %d: %s" % (rc, lines[-1] if lines else "")]
    missing = [p for p in [case["output"]] + case.get("also", []) if not os.path.exists(p)]
    if missing:
        return ["no output " + ", ".join(os.path.basename(p) for p in missing)]
    unsaid = [words for words in case.get("says", []) if not any(words in line for line in lines)]
    if unsaid:
        return ["stderr does not say " + "; ".join(repr(words) for words in unsaid)]
    if not case["output"].endswith(".png"):
        return []
    width, height, rows = im.read_png_rgb(open(case["output"], "rb").read())
    problems = []
    shape = case.get("shape")
    if shape == "portrait" and not height > width or shape == "landscape" and not width > height:
        problems.append("output is %d×%d, expected %s" % (width, height, shape))
    values = [v for row in rows for v in row]
    if max(values) - min(values) < 16:
        problems.append("output is flat (values %d…%d)" % (min(values), max(values)))
    return problems


def run_case(gpustyle, case):
    if case["expect"] == "skip":
        return "skip", None, case.get("note", ""), 0.0
    before = {path: digest(path) for path in case.get("keep", [])}
    started = time.time()
    try:
        result = subprocess.run([gpustyle] + common_for(case["args"]) + case["args"], capture_output=True, timeout=TIMEOUT)
        rc, stderr = result.returncode, result.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return "FAIL", None, "hung: no exit within %d s" % TIMEOUT, time.time() - started
    seconds = time.time() - started
    lines = [line for line in stderr.split("\n") if line.strip()]
    problems = {"bad": check_bad, "valid": check_valid, "partial": check_partial}[case["expect"]](case, rc, lines)
    problems += ["left " + os.path.basename(p) for p in leftovers(case["output"]) if p not in case.get("keep", [])]
    problems += ["changed " + os.path.basename(p) for p, d in before.items() if not os.path.exists(p) or digest(p) != d]
    problems += ["created " + p + " (something ran)" for p in case.get("absent", []) if os.path.exists(p)]
    shown = lines[0] if case["expect"] == "bad" and lines else ("; ".join(lines) or "ok")
    return ("FAIL" if problems else "ok"), rc, ("; ".join(problems) + " | " if problems else "") + shown, seconds


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    if only in args:
        args.remove(only)
    gpustyle, folder = os.path.abspath(args[0]), os.path.abspath(args[1])
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    cases = [c for c in corpus.build(folder, repo) if only is None or only in c["name"]]
    failures, counts = 0, {}
    print("%-42s %-6s %4s %6s  %s" % ("case", "expect", "rc", "result", "stderr / problems"))
    for case in cases:
        status, rc, text, seconds = run_case(gpustyle, case)
        failures += status == "FAIL"
        counts[(case["group"], status)] = counts.get((case["group"], status), 0) + 1
        if "--verbose" not in sys.argv and len(text) > 150:
            text = text[:147] + "…"
        print("%-42s %-6s %4s %6s  %s" % (case["name"][:42], case["expect"], "" if rc is None else rc, status, text))
        sys.stdout.flush()
    print()
    for group in ("image", "weights", "options"):
        print("%-8s %s" % (group, ", ".join("%s %d" % (s, counts[(group, s)]) for s in ("ok", "FAIL", "skip")
                                             if (group, s) in counts)))
    print("%d of %d cases violate the rules" % (failures, len(cases)) if failures else "all %d cases pass" % len(cases))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
