#!/usr/bin/env bash
# Records what the suite decides for a fixed set of runs, so two versions of the code can be compared:
#   bash scripts/verdict-snapshot.sh OUT_DIR     (run it on each version, then: diff -r A B)
# Verdict lines and counterexample files are kept; wall-clock figures are masked.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd)
cli="node $here/bin/tcp-conform.js"
mask() { sed -E "s#$here#ROOT#g" | sed -E 's/[0-9]+ ms( |$)/N ms\1/g; s/[0-9.]+ s (wall|of)/N s \1/g; s/\(seed [0-9]+/(seed S/'; }
snap() { # name, then CLI arguments
  local name=$1; shift
  mkdir -p "$out/$name"
  (cd "$out/$name" && $cli "$@" --out cx >stdout.raw 2>stderr.raw; echo "exit $?" >exit)
  mask <"$out/$name/stdout.raw" >"$out/$name/stdout" && rm "$out/$name/stdout.raw" "$out/$name/stderr.raw"
}
snap reference run --stack reference --seed 7 --runs 30
snap perturbed run --stack reference-perturbed --seed 7 --runs 30
snap mutant run --stack mutant:no-closing-state --seed 3 --runs 30
snap mutant2 run --stack mutant:no-challenge-ack --seed 3 --runs 30
snap lwip run --stack lwip --seed 3 --runs 10
mkdir -p "$out/replay"
(cd "$out/replay" && $cli replay "$here/vectors/fig13-simultaneous-close.json" "$here/vectors/findings/lwip-f04-syn-no-backoff.json" \
  --stack lwip 2>&1 | mask >stdout; echo "exit $?" >exit)
# Counterexamples carry wall-clock figures only in origin.runs/trace stamps on real clocks; virtual stacks are exact.
echo "snapshot in $out"
