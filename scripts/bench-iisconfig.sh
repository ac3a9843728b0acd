#!/usr/bin/env bash
# Benchmarks package iisconfig on generated configs (iisconfig/internal/gen: N sites,
# 3 applications each, pools of mixed identities, locations at site/app/folder depth)
# and prints the issue-2 targets:
#   resolve-all / bare etree ReadFromFile   at N=1,000 and N=10,000  (target <= 1.5 at 10,000)
#   time(2N) / time(N) for resolve-all      at N=1,000 and N=10,000  (target <= 2.2)
# Usage: scripts/bench-iisconfig.sh [iterations per size, default 7]
# Each iteration times etree and parse+resolve back to back (BenchmarkRatio), so the
# ratios are paired; medians of per-iteration ratios are reported, for wall time and for
# process CPU time (which includes GC threads and is robust to other load on the machine).
set -euo pipefail
cd "$(dirname "$0")/.."
iters="${1:-7}"
out="$(go test -run '^$' -bench '^BenchmarkRatio$' -benchtime "${iters}x" -timeout 60m ./iisconfig)"
echo "$out" | grep -E '^Benchmark'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown), cpus: $(nproc 2>/dev/null || echo ?)"
echo "$out" | awk '
/^BenchmarkRatio\/N=/ {
	split($1, a, "=")
	n = a[2]; sub(/-.*/, "", n)
	for (i = 2; i < NF; i++) {
		u = $(i+1)
		if (u == "etree-ns/op") et[n] = $i
		if (u == "resolve-ns/op") rs[n] = $i
		if (u == "median-ratio") mr[n] = $i
		if (u == "etree-cpu-ns/op") ec[n] = $i
		if (u == "resolve-cpu-ns/op") rc[n] = $i
		if (u == "median-cpu-ratio") mc[n] = $i
	}
}
END {
	printf "\n%-6s %12s %14s %8s   %12s %14s %8s\n", "N", "etree ms", "resolve ms", "ratio", "etree cpu ms", "resolve cpu ms", "ratio"
	split("1000 2000 10000 20000", ns, " ")
	for (k = 1; k <= 4; k++) { m = ns[k]; if (m in et) printf "%-6d %12.1f %14.1f %8.3f   %12.1f %14.1f %8.3f\n", m, et[m]/1e6, rs[m]/1e6, mr[m], ec[m]/1e6, rc[m]/1e6, mc[m] }
	printf "\nresolve-all / etree at N=10000: wall %.3f, cpu %.3f (target <= 1.5)\n", mr[10000], mc[10000]
	printf "resolve-all / etree at N=1000:  wall %.3f, cpu %.3f\n", mr[1000], mc[1000]
	if (rs[1000] > 0 && rc[1000] > 0) printf "scaling 2N/N at N=1000:  resolve wall %.3f cpu %.3f (etree wall %.3f cpu %.3f) (target <= 2.2)\n", rs[2000]/rs[1000], rc[2000]/rc[1000], et[2000]/et[1000], ec[2000]/ec[1000]
	if (rs[10000] > 0 && rc[10000] > 0) printf "scaling 2N/N at N=10000: resolve wall %.3f cpu %.3f (etree wall %.3f cpu %.3f) (target <= 2.2)\n", rs[20000]/rs[10000], rc[20000]/rc[10000], et[20000]/et[10000], ec[20000]/ec[10000]
}'
