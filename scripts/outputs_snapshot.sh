#!/usr/bin/env bash
# Writes what docrun prints for every guide of the project's corpora into OUT, one file per
# command and guide (stdout, stderr and exit code), so that two builds can be compared with
# `diff -r`: a change that should not change behaviour leaves no difference.
# Usage: scripts/outputs_snapshot.sh DOCRUN OUT
set -uo pipefail
bin=$(realpath "$1"); out=$2
cd "$(dirname "$0")/.."
mkdir -p "$out"
record() { # name, command...
  local name=$1; shift
  "$@" >"$out/$name.out" 2>"$out/$name.err" </dev/null
  echo "exit $?" >>"$out/$name.out"
}
n=0
while IFS= read -r guide; do
  n=$((n+1)); key=$(echo "$guide" | tr '/' '_')
  record "plan-json.$key" "$bin" plan "$guide" --allow-missing --format json
  record "plan-text.$key" "$bin" plan "$guide" --allow-missing --effects
  record "plan-prereqs.$key" "$bin" plan "$guide" --allow-missing --with-prereqs
  record "list.$key" "$bin" list "$guide" --format json
  record "vars.$key" "$bin" vars "$guide"
done < <(find tests/corpus tests/fixtures runbooks -type f \( -name '*.md' -o -name '*.adoc' -o -name '*.mdx' \) | sort)
for tree in tests/corpus/istio/content runbooks tests/corpus/sail-operator; do
  key=$(echo "$tree" | tr '/' '_')
  record "lint.$key" "$bin" lint "$tree" --format json
  record "test-list.$key" "$bin" test "$tree" --all --list --format json
  record "test-prereqs.$key" "$bin" test "$tree" --with-prereqs --list
  record "graph.$key" "$bin" graph "$tree" --format json
done
record "test-run.runbooks_local" "$bin" test runbooks/local --all
echo "$n guides recorded in $out"
