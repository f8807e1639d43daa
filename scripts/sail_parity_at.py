#!/usr/bin/env python3
"""Sail Operator doc-test parity at any commit of its repository, as tests/sail_parity.rs checks it
on the copy the project holds.

usage: sail_parity_at.py GIT_DIR COMMIT [--docrun BIN] [--keep DIR] [--show N]
GIT_DIR is a clone of github.com/istio-ecosystem/sail-operator (its .git folder, or a bare one).
Materialises docs/ and tests/documentation_tests at COMMIT with git archive, runs the
harness's own create_test_files (cut from run-asciidocs-test.sh at that commit) with
DOCS_DIR/TEST_DIR, and compares each test's command lines, in order, with the selected
commands of `docrun plan FILE --tag NAME --allow-missing --format json`.
"""
import argparse, json, os, re, subprocess, sys, tempfile, difflib


ap = argparse.ArgumentParser()
ap.add_argument("git_dir")
ap.add_argument("commit")
ap.add_argument("--docrun", default="target/release/docrun")
ap.add_argument("--keep", default=None, help="materialise here (kept) instead of a temp dir")
ap.add_argument("--show", type=int, default=3, help="context lines shown at the first difference")
a = ap.parse_args()
a.docrun = os.path.abspath(a.docrun)

root = a.keep or tempfile.mkdtemp(prefix="sail-")
os.makedirs(root, exist_ok=True)
tar = subprocess.run(["git", "--git-dir", a.git_dir, "archive", a.commit, "docs", "tests/documentation_tests"],
                     check=True, capture_output=True).stdout
subprocess.run(["tar", "-x", "--no-same-permissions", "-C", root], input=tar, check=True)
# as a checkout would be: git archive writes 0664 files
subprocess.run(["chmod", "-R", "go-w", root], check=True)
docs = os.path.join(root, "docs")
script = open(os.path.join(root, "tests/documentation_tests/scripts/run-asciidocs-test.sh")).read()
start = script.index("function create_test_files() {")
end = script.index("\n}\n", start) + 3
func = script[start:end]
tdir = os.path.join(root, "_tests"); os.makedirs(tdir, exist_ok=True)
prog = "set -eu -o pipefail\n%s\ncreate_test_files >/dev/null\n" % func
r = subprocess.run(["bash", "-c", prog], env=dict(os.environ, DOCS_DIR=docs, TEST_DIR=tdir))
if r.returncode:
    sys.exit("create_test_files failed")
scripts = {f[:-3]: open(os.path.join(tdir, f)).read() for f in sorted(os.listdir(tdir)) if f.endswith(".sh")}

# test -> page, as the harness decides (sorted file:name pairs, last wins)
pairs = set()
for d, _, fs in os.walk(docs):
    for f in fs:
        if f.endswith(".adoc") and f != "guidelines.adoc":
            p = os.path.join(d, f)
            for line in open(p, errors="replace"):
                if line.startswith("ifdef::") and "[]" in line[7:]:
                    pairs.add("%s:%s" % (p, line[7:7 + line[7:].index("[]")]))
pages = {}
for pr in sorted(pairs):
    f, n = pr.rsplit(":", 1); pages[n] = f

def command_lines(lines):
    return [l.rstrip() for l in lines if l.strip() and not l.lstrip().startswith("#")]

# the harness's own header: the lines its `{ echo ...; } > "$test_file"` group writes
# (older harnesses, before c96aa9a24, have no `test_start` line, so count them)
m = re.search(r"\{\n((?:\s*echo .*\n)+)\s*\} > \"\$test_file\"", func)
HEADER = len(m.group(1).strip().split("\n")) if m else None

def harness_lines(s):
    i = s.find("\ntest_start ")
    if i >= 0:
        body = (s[i + 1:].split("\n", 1) + [""])[1]
    else:
        body = "\n".join(s.split("\n")[HEADER:])
    return command_lines(l for l in body.split("\n") if not l.startswith("test_step "))

def docrun_lines(page, name):
    r = subprocess.run([a.docrun, "plan", "--allow-missing", "--format", "json", "--tag", name, page],
                       capture_output=True, text=True, stdin=subprocess.DEVNULL, cwd=root)
    if r.returncode:
        return None, r.stderr.strip()
    out = []
    for st in json.loads(r.stdout)["steps"]:
        if st.get("selected") is not True:
            continue
        for c in st.get("commands", []):
            out.extend(command_lines(c.split("\n")))
    return out, None

ok = 0
print("commit %s: %d tests (root %s)" % (a.commit, len(scripts), root))
for name, s in scripts.items():
    page = pages.get(name)
    exp = harness_lines(s)
    got, err = docrun_lines(page, name)
    rel = os.path.relpath(page, root)
    if got is None:
        print("  %-45s ERROR %s: %s" % (name, rel, err.splitlines()[:1])); continue
    same = sum(1 for x, y in zip(exp, got) if x == y)
    total = max(len(exp), len(got))
    match = exp == got
    ok += match
    print("  %-45s %s %d/%d lines (harness %d, docrun %d)  %s" % (name, "MATCH" if match else "DIFF ", same, total, len(exp), len(got), rel))
    if not match:
        at = next((i for i, (x, y) in enumerate(zip(exp, got)) if x != y), min(len(exp), len(got)))
        print("    first difference at line %d" % (at + 1))
        for i in range(max(0, at - 1), at + a.show):
            print("     %3d harness: %r" % (i + 1, exp[i] if i < len(exp) else None))
            print("     %3d docrun : %r" % (i + 1, got[i] if i < len(got) else None))
        sm = difflib.SequenceMatcher(a=exp, b=got, autojunk=False)
        ops = [o for o in sm.get_opcodes() if o[0] != "equal"]
        print("    diff hunks: %d" % len(ops))
        for tag, i1, i2, j1, j2 in ops[:8]:
            print("     %s harness[%d:%d]=%r docrun[%d:%d]=%r" % (tag, i1 + 1, i2, exp[i1:i2][:3], j1 + 1, j2, got[j1:j2][:3]))
print("summary %s: %d/%d tests match line for line" % (a.commit, ok, len(scripts)))
if not a.keep:
    import shutil
    shutil.rmtree(root, ignore_errors=True)
