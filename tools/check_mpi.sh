#!/bin/sh
# The data-parallel trainer ends with the single-process weights up to rounding, for both
# losses; and the check would notice the classic bug, each rank dividing by its own positive
# count instead of the all-reduced one (--local-normalizer), which must fail it.
# usage: check_mpi.sh SINGLE-PROCESS-TRAINER "MPIRUN ... MPI-TRAINER"
set -eu
single=$1 mpi=$2
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# A short run: 2 epochs of 3 batches (6 SGD steps of 100,000 anchors x 20 classes) per loss.
args="--epochs 2 --train-batches 3 --test-batches 1"
# Rounding: the ranks' partial gradient sums are added in another order (double precision),
# and the forward pass rounds weights to float; 1e-6 of the largest weight leaves room for a
# few float32 roundings (6e-8 each) and none for a wrong normalizer (1e-2 and more).
tolerance=1e-6
fail() { echo "FAIL: $*" >&2; exit 1; }

# shellcheck disable=SC2086
$single $args --dump "$work/single" > "$work/single.out" || { cat "$work/single.out"; fail "single-process run"; }
# shellcheck disable=SC2086
$mpi $args --dump "$work/mpi" > "$work/mpi.out" 2>&1 || { cat "$work/mpi.out"; fail "MPI run"; }
grep -q "2 ranks" "$work/mpi.out" || { cat "$work/mpi.out"; fail "the MPI run did not use 2 ranks"; }
grep -q "ranks agree bitwise on the final weights: yes" "$work/mpi.out" || fail "ranks disagree"
for loss in focal ce; do
    python3 "$root/tools/compare_weights.py" "$work/single.$loss.txt" "$work/mpi.$loss.txt" $tolerance \
        || fail "$loss: 2 ranks and 1 process ended with different weights"
done

# shellcheck disable=SC2086
$mpi $args --local-normalizer --dump "$work/local" > "$work/local.out" 2>&1 || { cat "$work/local.out"; fail "MPI run"; }
echo "negative control, each rank dividing by its own positive count: the comparison must fail"
for loss in focal ce; do
    if python3 "$root/tools/compare_weights.py" "$work/single.$loss.txt" "$work/local.$loss.txt" $tolerance; then
        fail "$loss: a rank-local normalizer went unnoticed"
    fi
done
echo "mpi: 2 ranks end with the single-process weights (tolerance $tolerance); a rank-local normalizer is caught"
