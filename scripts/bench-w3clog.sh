#!/usr/bin/env bash
# bench-w3clog.sh: time w3clog.AnalyzeFile against `LC_ALL=C grep -c ' 401 '`
# on the same deterministic W3C log in the same run (issue 5: ratio <= 1.25).
#
#   scripts/bench-w3clog.sh [SIZE_BYTES]     (default 1 GiB; file in /tmp)
#
# The log is generated once (deterministic, seed 1) and reused when present
# with the expected size marker. Both commands run twice after a warm-up
# read; the best wall time of each is reported, with peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1073741824}
tmp=${TMPDIR:-/tmp}
log="$tmp/iiskerb-w3c-bench-$size.log"
bin="$tmp/iiskerb-w3cbench"
go build -o "$bin" ./diagnose/w3clog/internal/w3cbench
if [[ ! -s "$log" || ! -f "$log.ok" ]]; then
	rm -f "$log.ok"
	"$bin" gen -o "$log" -size "$size" -seed 1
	touch "$log.ok"
fi
cat "$log" >/dev/null # page cache: both tools read from memory
echo "file: $log ($(stat -c %s "$log") bytes), cores: $(nproc)"

# Output goes to a file, not /dev/null: GNU grep stops at the first match
# when its output is /dev/null.
timeit() { # prints "seconds maxrss_kb" for the command
	local t0 t1 rss
	t0=$(date +%s%N)
	/usr/bin/time -o "$tmp/iiskerb-w3cbench.time" -f '%M' "$@" >"$tmp/iiskerb-w3cbench.out"
	t1=$(date +%s%N)
	rss=$(tail -n1 "$tmp/iiskerb-w3cbench.time")
	awk -v a="$t0" -v b="$t1" -v r="$rss" 'BEGIN { printf "%.3f %s\n", (b - a) / 1e9, r }'
}
best() { awk 'NR==1 || $1 < b { b = $1; r = $2 } END { print b, r }'; }

g=$( { timeit env LC_ALL=C grep -c ' 401 ' "$log"; timeit env LC_ALL=C grep -c ' 401 ' "$log"; } | best)
w=$( { timeit "$bin" analyze "$log"; timeit "$bin" analyze "$log"; } | best)
"$bin" analyze "$log"
echo "grep -c ' 401 ': $(LC_ALL=C grep -c ' 401 ' "$log") lines"
read -r gs grss <<<"$g"
read -r ws wrss <<<"$w"
echo "grep best: ${gs}s (RSS ${grss} KiB)"
echo "w3clog best: ${ws}s (RSS ${wrss} KiB)"
awk -v w="$ws" -v g="$gs" 'BEGIN { r = (g > 0) ? w / g : 0; printf "ratio w3clog/grep: %.2f (target <= 1.25)\n", r; exit (r <= 1.25) ? 0 : 1 }'
