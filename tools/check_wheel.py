"""Checks a focalloss wheel: its platform tag with `auditwheel show`, and what it holds.

    python tools/check_wheel.py dist/focalloss-X.Y.Z-cpXY-cpXY-manylinux_2_N_ARCH.whl \
        --library build/libfocalloss.so --header include/focalloss.h

Run by `make wheel`. Fails unless:
- auditwheel says the wheel is consistent with the platform tag of its file name, and that its
  shared libraries constrain it to exactly that tag (the tag claims no older glibc than the
  library needs, and no newer one either);
- the WHEEL file's tag and METADATA's version are the file name's (the version the header's);
- the package holds the library under its SONAME, byte for byte the shipping build (--library),
  exporting exactly the header's functions (tools/check_symbols.sh), the extension built for this
  interpreter with NEEDED libfocalloss.so.MAJOR and RUNPATH $ORIGIN, every module, py.typed and
  the stubs, and nothing else.
"""

import argparse
import hashlib
import os
import re
import subprocess
import sys
import sysconfig
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))


def fail(message):
    sys.exit("check_wheel: FAIL: " + message)


def header_version(header):
    with open(header) as f:
        text = f.read()
    return [int(re.search(r"^#define FOCAL_VERSION_%s (\d+)$" % part, text, re.M).group(1))
            for part in ("MAJOR", "MINOR", "PATCH")]


def check_auditwheel(wheel, platform):
    result = subprocess.run([sys.executable, "-m", "auditwheel", "show", wheel], capture_output=True, text=True)
    text = " ".join(result.stdout.split())  # auditwheel wraps its lines
    if result.returncode != 0:
        fail("auditwheel show exited with %d:\n%s%s" % (result.returncode, result.stdout, result.stderr))
    consistent = 'is consistent with the following platform tag: "%s"' % platform
    constrains = 'This constrains the platform tag to "%s"' % platform
    if consistent not in text or constrains not in text:
        fail("auditwheel does not confirm %s:\n%s" % (platform, result.stdout))
    return text


def readelf(path):
    return subprocess.run(["readelf", "-d", path], capture_output=True, text=True, check=True).stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel")
    parser.add_argument("--library", required=True, help="the shipping build the wheel must carry")
    parser.add_argument("--header", required=True)
    args = parser.parse_args()

    name = os.path.basename(args.wheel)
    match = re.fullmatch(r"focalloss-([0-9.]+)-(cp\d+)-(cp\d+)-(manylinux_\d+_\d+_\w+)\.whl", name)
    if not match:
        fail("unexpected wheel name %s" % name)
    version, python_tag, abi_tag, platform = match.groups()
    major, minor, patch = header_version(args.header)
    if version != "%d.%d.%d" % (major, minor, patch):
        fail("wheel version %s, header %d.%d.%d" % (version, major, minor, patch))
    expected_tag = "cp%d%d" % sys.version_info[:2]
    if python_tag != expected_tag or abi_tag != expected_tag:
        fail("tags %s-%s, this interpreter is %s" % (python_tag, abi_tag, expected_tag))

    check_auditwheel(args.wheel, platform)

    soname = "libfocalloss.so.%d" % major
    extension = "_ext" + sysconfig.get_config_var("EXT_SUFFIX")
    dist_info = "focalloss-%s.dist-info/" % version
    with zipfile.ZipFile(args.wheel) as archive:
        names = set(archive.namelist())
        wheel_file = archive.read(dist_info + "WHEEL").decode()
        metadata = archive.read(dist_info + "METADATA").decode()
        with tempfile.TemporaryDirectory() as tmp:
            archive.extract("focalloss/" + soname, tmp)
            archive.extract("focalloss/" + extension, tmp)
            library = os.path.join(tmp, "focalloss", soname)
            with open(library, "rb") as shipped, open(args.library, "rb") as built:
                if hashlib.sha256(shipped.read()).digest() != hashlib.sha256(built.read()).digest():
                    fail("focalloss/%s differs from %s" % (soname, args.library))
            subprocess.run(["sh", os.path.join(HERE, "check_symbols.sh"), library, args.header], check=True)
            dynamic = readelf(os.path.join(tmp, "focalloss", extension))
            needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^]]+)\]", dynamic)
            runpath = re.findall(r"\(RUNPATH\)\s+Library runpath: \[([^]]+)\]", dynamic)
            if needed != [soname] or runpath != ["$ORIGIN"]:
                fail("%s: NEEDED %s, RUNPATH %s; expected [%s], [$ORIGIN]" % (extension, needed, runpath, soname))

    if "Tag: %s-%s-%s\n" % (python_tag, abi_tag, platform) not in wheel_file or "Root-Is-Purelib: false" not in wheel_file:
        fail("WHEEL does not match the file name:\n" + wheel_file)
    if "\nVersion: %s\n" % version not in metadata:
        fail("METADATA's version is not %s" % version)

    modules = {f for f in os.listdir(os.path.join(HERE, "..", "bindings", "python", "focalloss")) if f.endswith(".py")}
    stubs = {"py.typed", "__init__.pyi", "xgboost.pyi", "lightgbm.pyi"}
    package = {n[len("focalloss/"):] for n in names if n.startswith("focalloss/")}
    expected = modules | stubs | {soname, extension}
    if package != expected:
        fail("the package's files differ: extra %s, missing %s" % (sorted(package - expected), sorted(expected - package)))
    print("check_wheel: %s: auditwheel confirms %s; %s = %s (%d bytes), %s, %d modules, py.typed and %d stubs"
          % (name, platform, soname, args.library, os.path.getsize(args.library), extension, len(modules),
             len(stubs) - 1))


if __name__ == "__main__":
    main()
