#!/usr/bin/env bash
# Peak resident memory of docrun on large guides (see scripts/big_guides.py): for each guide
# and command, the maximum RSS in MB, its ratio to the guide's size, the ratio of what it takes
# above docrun on a one-step guide (the program itself, about 11 MB) to the size, and the wall
# time.
# Usage: scripts/big_memory.sh DOCRUN DIR
set -uo pipefail
bin=$(realpath "$1"); dir=$2
cd "$dir" || exit 2
printf '# One step\n\n```bash\necho hi\n```\n' > small.md
base=$(/usr/bin/time -f '%M' "$bin" plan small.md 2>&1 >/dev/null | tail -1)
rm -f small.md
echo "docrun plan of a one-step guide: $(awk -v b="$base" 'BEGIN { printf "%.1f", b/1024 }') MB"
measure() { # guide, label, args...
  local guide=$1 label=$2; shift 2
  local size rss secs
  size=$(stat -c %s "$guide")
  /usr/bin/time -o /tmp/big_memory.$$ -f '%M %e' "$bin" "$@" >/dev/null 2>&1
  read -r rss secs < <(tail -1 /tmp/big_memory.$$)
  rm -f /tmp/big_memory.$$
  awk -v g="$guide" -v c="$label" -v r="$rss" -v s="$size" -v t="$secs" -v b="$base" \
    'BEGIN { printf "%-16s %-22s %7.1f MB  %5.1fx  above one step %5.1fx  %5.2fs\n", g, c, r/1024, r*1024/s, (r-b)*1024/s, t }'
}
for guide in big-markdown.md big-istio.md real-istio.md; do
  measure "$guide" "plan" plan "$guide" --allow-missing
  measure "$guide" "plan --format json" plan "$guide" --allow-missing --format json
  measure "$guide" "list" list "$guide"
  measure "$guide" "lint" lint "$guide"
done
