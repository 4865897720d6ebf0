#!/usr/bin/env python3
"""Runs the code blocks of the README and the docs pages, as a reader would copy them.

Every fenced block tagged ``c`` is a whole program: it is compiled as C99 and as C++ with
``-Wall -Wextra -pedantic -Werror`` against include/focalloss.h and the built library, then run.
Every block tagged ``python`` is run with the package of the checkout on PYTHONPATH, from an
empty folder. A block tagged ``text output`` right after one of those is what it must print,
exactly. Blocks of other languages (sh, cmake, text) are not run. Each program must exit 0.

    python3 tools/check_doc_examples.py [--build build] [FILE.md ...]   (default: README.md docs/*.md)

The README must hold at least one C and one Python program, so that its examples cannot silently
stop being checked.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FENCE = re.compile(r"^```(.*)$")
WARNINGS = ["-Wall", "-Wextra", "-pedantic", "-Werror"]


def blocks(path):
    """(info string, first line number, text) of each fenced block of a Markdown file."""
    found, info, start, lines = [], None, 0, []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            fence = FENCE.match(line.rstrip("\n"))
            if info is None and fence:
                info, start, lines = fence.group(1).strip(), number, []
            elif info is not None and line.rstrip("\n") == "```":
                found.append((info, start, "".join(lines)))
                info = None
            elif info is not None:
                lines.append(line)
    if info is not None:
        raise SystemExit("%s:%d: unterminated code block" % (path, start))
    return found


def run_c(source, work, build):
    program = os.path.join(work, "example.c")
    with open(program, "w", encoding="utf-8") as f:
        f.write(source)
    cc, cxx = os.environ.get("CC", "cc"), os.environ.get("CXX", "c++")
    link = ["-L" + build, "-lfocalloss", "-Wl,-rpath," + build, "-lm"]
    include = "-I" + os.path.join(REPO, "include")
    subprocess.run([cxx, "-std=c++11", include] + WARNINGS + ["-x", "c++", program, "-x", "none",
                    "-o", os.path.join(work, "example_cxx")] + link, check=True, capture_output=True, text=True)
    subprocess.run([cc, "-std=c99", include] + WARNINGS + [program, "-o", os.path.join(work, "example")] + link,
                   check=True, capture_output=True, text=True)
    return subprocess.run([os.path.join(work, "example")], capture_output=True, text=True, timeout=120)


def run_python(source, work):
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "bindings", "python"))
    return subprocess.run([sys.executable, "-c", source], cwd=work, env=env, capture_output=True, text=True,
                          timeout=120)


def normalize(text):
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default=os.path.join(REPO, "build"), help="folder holding libfocalloss.so")
    parser.add_argument("files", nargs="*")
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    readme = os.path.join(REPO, "README.md")
    files = args.files or [readme] + sorted(glob.glob(os.path.join(REPO, "docs", "*.md")))
    passed, failures, readme_languages = 0, [], set()
    for path in files:
        found = blocks(path)
        for index, (info, line, text) in enumerate(found):
            if info not in ("c", "python"):
                continue
            if os.path.abspath(path) == readme:
                readme_languages.add(info)
            where = "%s:%d (%s)" % (os.path.relpath(path, REPO), line, info)
            expected = None
            if index + 1 < len(found) and found[index + 1][0] == "text output":
                expected = found[index + 1][2]
            with tempfile.TemporaryDirectory() as work:
                try:
                    result = run_c(text, work, build) if info == "c" else run_python(text, work)
                except subprocess.CalledProcessError as error:
                    failures.append("%s: does not compile:\n%s%s" % (where, error.stdout, error.stderr))
                    continue
            if result.returncode != 0:
                failures.append("%s: exit status %d\n%s%s" % (where, result.returncode, result.stdout, result.stderr))
            elif expected is not None and normalize(result.stdout) != normalize(expected):
                failures.append("%s: printed\n%s\nbut the page shows\n%s" % (where, result.stdout, expected))
            else:
                passed += 1
                print("ok   %s%s" % (where, ", output as shown" if expected is not None else ""))
    for language in ("c", "python"):
        if language not in readme_languages and readme in [os.path.abspath(f) for f in files]:
            failures.append("README.md has no %s example" % language)
    for failure in failures:
        print("FAIL " + failure)
    print("doc examples: %d passed, %d failed" % (passed, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
