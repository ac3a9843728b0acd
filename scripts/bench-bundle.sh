#!/usr/bin/env bash
# Whole-run benchmark (issue "performance on the evidence users actually
# have"): examples/diagnose -bundle over a bundle with a 1 GiB failure-heavy
# IIS log and a 500,000-account ldifde-style export, against the two parts
# measured alone in the same run. Targets: the whole run within 1.5x the sum
# of the parts, peak RSS under 400 MiB.
#
#   bash scripts/bench-bundle.sh [RUNS]      (default 3; big files go to /tmp)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
work=${IISKERB_BENCH_DIR:-/tmp/iiskerb-bench-bundle}
mkdir -p "$work"
log=/tmp/iiskerb-w3c-bench-failure-heavy-1073741824.log
if [ ! -s "$log" ]; then
  echo "bench-bundle: generating the failure-heavy log (scripts/bench-w3clog.sh)" >&2
  bash scripts/bench-w3clog.sh 1 >/dev/null
fi
ldif="$work/spns.ldf"
if [ ! -s "$ldif" ]; then
  echo "bench-bundle: generating a 500,000-account LDIF" >&2
  go run ./spn/internal/ldapgen/cmd/spngen -accounts 500000 -ldif "$ldif" -truth "$work/truth.tsv"
fi
bin="$work/diagnose"
go build -o "$bin" ./examples/diagnose

mk() { # mk DIR WITH_LOG WITH_LDIF
  rm -rf "$1"; mkdir -p "$1"
  echo '{"computer":"BENCH01","fqdn":"bench01.bench.test","ldif_complete":true}' >"$1/host.json"
  if [ "$2" = 1 ]; then mkdir -p "$1/logs/iis/W3SVC1"; ln "$log" "$1/logs/iis/W3SVC1/u_ex260101.log" 2>/dev/null || cp "$log" "$1/logs/iis/W3SVC1/u_ex260101.log"; fi
  if [ "$3" = 1 ]; then mkdir -p "$1/ldif"; ln "$ldif" "$1/ldif/spns.ldf" 2>/dev/null || cp "$ldif" "$1/ldif/spns.ldf"; fi
}
mk "$work/b-log" 1 0
mk "$work/b-ldif" 0 1
mk "$work/b-both" 1 1

# measure DIR -> "wall_seconds max_rss_kib"
measure() {
  /usr/bin/time -f '%e %M' -o "$work/time.txt" "$bin" -bundle "$1" -format json -o /dev/null 2>/dev/null || true
  tail -n 1 "$work/time.txt"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

: >"$work/log.txt"; : >"$work/ldif.txt"; : >"$work/both.txt"
for _ in $(seq "$runs"); do
  measure "$work/b-log" >>"$work/log.txt"
  measure "$work/b-ldif" >>"$work/ldif.txt"
  measure "$work/b-both" >>"$work/both.txt"
done
wl=$(cut -d' ' -f1 "$work/log.txt" | median); rl=$(cut -d' ' -f2 "$work/log.txt" | median)
wd=$(cut -d' ' -f1 "$work/ldif.txt" | median); rd=$(cut -d' ' -f2 "$work/ldif.txt" | median)
wb=$(cut -d' ' -f1 "$work/both.txt" | median); rb=$(cut -d' ' -f2 "$work/both.txt" | median)
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; median of $runs runs"
echo "log alone:   ${wl} s, peak ${rl} KiB"
echo "ldif alone:  ${wd} s, peak ${rd} KiB"
echo "whole run:   ${wb} s, peak ${rb} KiB"
awk -v b="$wb" -v l="$wl" -v d="$wd" -v r="$rb" 'BEGIN {
  printf "whole / (log + ldif) = %.2fx (target <= 1.5x); peak %.0f MiB (target < 400 MiB)\n", b/(l+d), r/1024 }'
