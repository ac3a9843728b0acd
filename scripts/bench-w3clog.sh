#!/usr/bin/env bash
# bench-w3clog.sh: time w3clog.AnalyzeFile against `LC_ALL=C grep -c ' 401 '`
# on the same deterministic W3C log in the same run (issue 5: ratio <= 1.25).
#
#   scripts/bench-w3clog.sh [SIZE_BYTES]     (default 1 GiB; file in /tmp)
#
# The log is generated once (deterministic, seed 1) and reused when present
# with the expected size marker. Both commands run twice after a warm-up
# read, alternating; the best wall time of each is reported, with its CPU
# time (user+sys) and peak RSS.
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
timeit() { # prints "seconds maxrss_kb cpu_seconds" for the command
	local t0 t1 rss cpu
	t0=$(date +%s%N)
	/usr/bin/time -o "$tmp/iiskerb-w3cbench.time" -f '%M %U %S' "$@" >"$tmp/iiskerb-w3cbench.out"
	t1=$(date +%s%N)
	read -r rss u s < <(tail -n1 "$tmp/iiskerb-w3cbench.time")
	awk -v a="$t0" -v b="$t1" -v r="$rss" -v u="$u" -v s="$s" 'BEGIN { printf "%.3f %s %.2f\n", (b - a) / 1e9, r, u + s }'
}
best() { awk 'NR==1 || $1 < b { b = $1; r = $2; c = $3 } END { print b, r, c }'; }

runs=$(mktemp -d)
for i in 1 2; do
	timeit env LC_ALL=C grep -c ' 401 ' "$log" >>"$runs/grep"
	timeit "$bin" analyze "$log" >>"$runs/w3clog"
done
g=$(best <"$runs/grep")
w=$(best <"$runs/w3clog")
rm -rf "$runs"
"$bin" analyze "$log"
echo "grep -c ' 401 ': $(LC_ALL=C grep -c ' 401 ' "$log") lines"
read -r gs grss gcpu <<<"$g"
read -r ws wrss wcpu <<<"$w"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (other processes share the cores; compare in the same run)"
echo "grep best: ${gs}s wall, ${gcpu}s CPU (RSS ${grss} KiB)"
echo "w3clog best: ${ws}s wall, ${wcpu}s CPU (RSS ${wrss} KiB)"
awk -v w="$ws" -v g="$gs" 'BEGIN { r = (g > 0) ? w / g : 0; printf "ratio w3clog/grep: %.2f (target <= 1.25)\n", r; exit (r <= 1.25) ? 0 : 1 }'
