#!/usr/bin/env bash
# bench-w3clog.sh: time IIS log classification through examples/diagnose
# (`diagnose -iislog FILE -format json -o /dev/null`) against
# `LC_ALL=C grep -c ' 401 '` on the same file in the same run, on two
# deterministic 1 GiB W3C logs:
#
#   healthy        our generator's default mix (~12% 401s, nearly all
#                  handshakes, ~25,000 failing groups)
#   failure-heavy  a site with a Kerberos problem (~32% 401s: 401.2
#                  handshakes, 401.1 with 0x8009030C/0x8009030E/0x80090308
#                  in the tens of thousands, ~100,000 distinct failing
#                  (URI, client, user, status) groups, a #Fields block
#                  every 2M lines)
#
#   scripts/bench-w3clog.sh [SIZE_BYTES] [PAIRS]   (default 1 GiB, 5 pairs)
#
# Targets: wall time at most 1.0x grep's (median of the per-pair ratios),
# peak RSS at most 128 MiB. The logs are generated once under $TMPDIR
# (default /tmp) and reused. grep and diagnose run alternately, PAIRS times
# per file, after a warm-up read; the machine is shared (2 cores, other
# builds), so only ratios measured in the same run are compared, and the
# load average is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1073741824}
pairs=${2:-5}
tmp=${TMPDIR:-/tmp}
gen="$tmp/iiskerb-w3cbench"
diag="$tmp/iiskerb-diag"
go build -o "$gen" ./diagnose/w3clog/internal/w3cbench
go build -o "$diag" ./examples/diagnose

logfile() { # profile -> path, generated when missing
	local log="$tmp/iiskerb-w3c-bench-$1-$size.log"
	if [[ ! -s "$log" || ! -f "$log.ok" ]]; then
		rm -f "$log.ok"
		"$gen" gen -o "$log" -size "$size" -seed 1 -profile "$2" >"$log.gen"
		touch "$log.ok"
	fi
	echo "$log"
}

# Output goes to a file, not /dev/null: GNU grep stops at the first match
# when its output is /dev/null.
timeit() { # prints "seconds maxrss_kb cpu_seconds" for the command
	local t0 t1 rss u s
	t0=$(date +%s%N)
	/usr/bin/time -o "$tmp/iiskerb-w3cbench.time" -f '%M %U %S' "$@" >"$tmp/iiskerb-w3cbench.out" || true
	t1=$(date +%s%N)
	read -r rss u s < <(tail -n1 "$tmp/iiskerb-w3cbench.time")
	awk -v a="$t0" -v b="$t1" -v r="$rss" -v u="$u" -v s="$s" 'BEGIN { printf "%.3f %s %.2f\n", (b - a) / 1e9, r, u + s }'
}
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

status=0
for spec in healthy: failure-heavy:failure-heavy; do
	name=${spec%%:*}
	log=$(logfile "$name" "${spec#*:}")
	cat "$log" >/dev/null # page cache: both tools read from memory
	echo "== $name: $log ($(stat -c %s "$log") bytes)"
	sed 's/^/   /' "$log.gen"
	runs=$(mktemp -d)
	for _ in $(seq "$pairs"); do
		g=$(timeit env LC_ALL=C grep -c ' 401 ' "$log")
		d=$(timeit "$diag" -iislog "$log" -format json -o /dev/null)
		echo "$g" >>"$runs/grep"
		echo "$d" >>"$runs/diag"
		awk -v g="${g%% *}" -v d="${d%% *}" 'BEGIN { printf "%.3f\n", d / g }' >>"$runs/ratio"
		echo "   pair: grep ${g%% *}s, diagnose ${d%% *}s, ratio $(tail -n1 "$runs/ratio")"
	done
	gw=$(cut -d' ' -f1 "$runs/grep" | median)
	gc=$(cut -d' ' -f3 "$runs/grep" | median)
	dw=$(cut -d' ' -f1 "$runs/diag" | median)
	dc=$(cut -d' ' -f3 "$runs/diag" | median)
	drss=$(cut -d' ' -f2 "$runs/diag" | sort -n | tail -n1)
	ratio=$(median <"$runs/ratio")
	rm -rf "$runs"
	echo "   load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (shared; compare ratios of the same run)"
	echo "   grep -c ' 401 ': median ${gw}s wall, ${gc}s CPU ($(LC_ALL=C grep -c ' 401 ' "$log") lines)"
	echo "   diagnose:        median ${dw}s wall, ${dc}s CPU, peak RSS $((drss / 1024)) MiB (max of $pairs runs)"
	# CPU time depends little on the load: with both cores free the wall
	# ratio is about half the CPU ratio (two workers against one grep).
	echo "   CPU ratio diagnose/grep (medians): $(awk -v d="$dc" -v g="$gc" 'BEGIN { printf "%.2f", d / g }')"
	res=$(awk -v r="$ratio" -v m="$drss" 'BEGIN { ok = (r <= 1.0 && m <= 128 * 1024); printf "%s %s", (r <= 1.0 ? "ok" : "OVER"), (m <= 128 * 1024 ? "ok" : "OVER"); exit !ok }') || status=1
	echo "   $name: diagnose/grep wall ratio ${ratio} (median of $pairs pairs; target <= 1.0: ${res% *}), peak RSS $((drss / 1024)) MiB (target <= 128: ${res#* })"
done
exit $status
