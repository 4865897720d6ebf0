"""Compares two weight dumps of examples/trainer.c (one number per line, %.17g).

    python3 tools/compare_weights.py A B TOLERANCE

Passes when max |a - b| <= TOLERANCE * max |a|: the same weights up to rounding, the scale
being the largest weight. Prints how many weights are bitwise equal and the largest difference.
"""

import sys


def main(path_a, path_b, tolerance):
    a = [float(line) for line in open(path_a)]
    b = [float(line) for line in open(path_b)]
    if len(a) != len(b) or not a:
        print("FAIL: %s has %d weights, %s has %d" % (path_a, len(a), path_b, len(b)))
        return 1
    scale = max(abs(x) for x in a)
    worst = max(abs(x - y) if x == x and y == y else float("inf") for x, y in zip(a, b))
    equal = sum(x == y for x, y in zip(a, b))
    ok = worst <= tolerance * scale
    print("%s: %d weights, %d bitwise equal, max |difference| %.3g = %.3g of the largest weight (%.3g); "
          "tolerance %g: %s" % (path_b, len(a), equal, worst, worst / scale, scale, tolerance, "ok" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
