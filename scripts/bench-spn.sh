#!/usr/bin/env bash
# bench-spn.sh [WORK_DIR]: the LDAP duplicate-scan benchmark of issue 3.
#
# Generates ACCOUNTS (default 500,000) AD-like accounts with about 5 SPNs each
# (~2.5M) and a known set of duplicated SPNs (spn/internal/ldapgen), loads them
# into a private slapd (127.0.0.1:$BENCH_PORT, AD-like schema and limits of
# testenv/slapd, bound as a non-root user so paging is really needed), then in
# the same run, alternating, RUNS times each:
#   ldapsearch -E pr=1000/noprompt '(servicePrincipalName=*)' <same attributes> > /dev/null
#   spnbench: spn.Duplicates over spn.LDAPDirectory (paged SearchAsync scan)
# measuring wall time and peak RSS (/usr/bin/time -v), and spnbench's own
# ns/entry, bytes allocated/entry and the duplicate set against the truth file.
# Targets: duplicate scan <= 1.3x ldapsearch wall and <= 2x its client CPU,
# peak RSS <= 200 MiB, exact duplicates; the diagnose audit (-mode audit)
# <= 250 MiB peak RSS. REUSE=1 reuses a directory already loaded in WORK_DIR
# (the load takes minutes); KEEP=1 leaves its slapd running afterwards.
# Needs: slapd ldap-utils time (Debian packages), Go. Not part of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
W=$(realpath -m "${1:-${TMPDIR:-/tmp}/iiskerb-bench-spn}")
ACCOUNTS=${ACCOUNTS:-500000}
DUPS=${DUPS:-2000}
PORT=${BENCH_PORT:-23489}
RUNS=${RUNS:-3}
SUFFIX="DC=bench,DC=test"
BIND_DN="CN=reader,$SUFFIX"
ATTRS="sAMAccountName servicePrincipalName userAccountControl msDS-SupportedEncryptionTypes objectClass"

stop() {
  if [ -s "$W/run/slapd.pid" ]; then
    pid=$(cat "$W/run/slapd.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 250); do kill -0 "$pid" 2>/dev/null || break; sleep 0.02; done
  fi
}
[ "${KEEP:-0}" = 1 ] || trap stop EXIT
stop
reuse=0
if [ "${REUSE:-0}" = 1 ] && [ -s "$W/db/data.mdb" ] && [ -s "$W/truth.tsv" ] && [ -s "$W/bind.pw" ] && [ -s "$W/slapd.conf" ]; then
  reuse=1
else
  rm -rf "$W"
fi
mkdir -p "$W/db" "$W/run" "$W/bin"

echo "== build" >&2
go build -o "$W/bin/spngen" ./spn/internal/ldapgen/cmd/spngen
go build -o "$W/bin/spnbench" ./spn/internal/ldapgen/cmd/spnbench
if [ "$reuse" = 1 ]; then
  echo "== reusing the directory loaded in $W" >&2
  BENCH_BIND_PW=$(cat "$W/bind.pw")
  export BENCH_BIND_PW
else

echo "== generate $ACCOUNTS accounts" >&2
t0=$(date +%s.%N)
"$W/bin/spngen" -accounts "$ACCOUNTS" -duplicates "$DUPS" -ldif "$W/data.ldif" -truth "$W/truth.tsv" | tee "$W/gen.txt"
BENCH_BIND_PW=$(openssl rand -hex 12)
export BENCH_BIND_PW
(umask 077; printf '%s\n' "$BENCH_BIND_PW" >"$W/bind.pw") # for reruns by hand: BENCH_BIND_PW=$(cat bind.pw)
printf 'dn: %s\nobjectClass: top\nobjectClass: user\ncn: reader\nsAMAccountName: reader\nuserPassword: %s\n\n' \
  "$BIND_DN" "$(slappasswd -s "$BENCH_BIND_PW")" >>"$W/data.ldif"
echo "generate: $(echo "$(date +%s.%N) - $t0" | bc) s, $(du -h "$W/data.ldif" | cut -f1)" >&2

modpath=$(dirname "$(find /usr/lib -name back_mdb.so -print -quit)")
cat >"$W/slapd.conf" <<EOC
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include $PWD/testenv/slapd/adlike.schema
pidfile $W/run/slapd.pid
argsfile $W/run/slapd.args
loglevel 0
modulepath $modpath
moduleload back_mdb
sizelimit size.soft=1000 size.hard=1000 size.prtotal=unlimited
threads 4

database mdb
suffix "$SUFFIX"
directory $W/db
maxsize 17179869184
dbnosync
index objectClass eq
index servicePrincipalName eq
index sAMAccountName eq
access to attrs=userPassword by anonymous auth by * none
access to * by users read by * none
EOC
echo "== slapadd" >&2
/usr/bin/time -f "slapadd: %e s, maxrss %M KB" slapadd -q -f "$W/slapd.conf" -l "$W/data.ldif"
rm -f "$W/data.ldif"
fi
/usr/sbin/slapd -f "$W/slapd.conf" -h "ldap://127.0.0.1:$PORT/" -n slapd-iiskerb-bench
for _ in $(seq 1 250); do
  ldapsearch -x -H "ldap://127.0.0.1:$PORT" -s base -b "" namingContexts >/dev/null 2>&1 && break
  sleep 0.02
done

# warm the server's page cache once (both tools then see the same state)
ldapsearch -x -LLL -H "ldap://127.0.0.1:$PORT" -D "$BIND_DN" -w "$BENCH_BIND_PW" -b "$SUFFIX" \
  -E pr=1000/noprompt '(servicePrincipalName=*)' $ATTRS >/dev/null

field() { sed -n "s/^.*$1: //p" "$2"; } # field NAME FILE (from /usr/bin/time -v)
secs() { # h:mm:ss or m:ss.ss -> seconds
  awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }' <<<"$1"
}
results="$W/results.tsv"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
printf 'run\ttool\twall_s\tmaxrss_kib\tclient_cpu_s\tslapd_cpu_s\textra\n' >"$results"
slapd_ticks() { awk '{print $14 + $15}' "/proc/$(cat "$W/run/slapd.pid")/stat"; }
measure() { # RUN LABEL COMMAND... : wall time, peak RSS and CPU of COMMAND (and slapd's CPU meanwhile)
  local run=$1 label=$2 t0 t1
  shift 2
  t0=$(slapd_ticks)
  /usr/bin/time -v -o "$W/t.txt" "$@" >"$W/out.txt"
  t1=$(slapd_ticks)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$label" "$(secs "$(field 'Elapsed (wall clock) time (h:mm:ss or m:ss)' "$W/t.txt")")" \
    "$(field 'Maximum resident set size (kbytes)' "$W/t.txt")" \
    "$(echo "$(field 'User time (seconds)' "$W/t.txt") + $(field 'System time (seconds)' "$W/t.txt")" | bc)" \
    "$(echo "scale=2; ($t1 - $t0) / $(getconf CLK_TCK)" | bc)" "$(head -c 600 "$W/out.txt" | tr '\n' ' ')" >>"$results"
}
LS=(ldapsearch -x -LLL -H "ldap://127.0.0.1:$PORT" -D "$BIND_DN" -w "$BENCH_BIND_PW" -b "$SUFFIX"
  -E pr=1000/noprompt '(servicePrincipalName=*)')
GO=("$W/bin/spnbench" -url "ldap://127.0.0.1:$PORT" -bind-dn "$BIND_DN" -truth "$W/truth.tsv" -accounts "$ACCOUNTS")
for i in $(seq 1 "$RUNS"); do
  # the duplicate scan reads sAMAccountName and servicePrincipalName; ldapsearch dumps the same
  measure "$i" ldapsearch-dup sh -c '"$@" >/dev/null' sh "${LS[@]}" sAMAccountName servicePrincipalName
  measure "$i" go-duplicates "${GO[@]}" -mode duplicates
  # the general Scan (every account attribute, decoded into spn.Account)
  measure "$i" ldapsearch-scan sh -c '"$@" >/dev/null' sh "${LS[@]}" $ATTRS
  measure "$i" go-scan "${GO[@]}" -mode scan
done
# the diagnose SPN audit (AuditDirectory with diagnose's options), once
measure 1 go-audit "${GO[@]}" -mode audit
echo "load average at the start: $load0; at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (other processes compete: compare CPU seconds too)"
column -t -s $'\t' "$results" | cut -c1-400
median() { awk -F'\t' -v t="$1" 'NR>1 && $2==t {print $3}' "$results" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mcpu() { awk -F'\t' -v t="$1" 'NR>1 && $2==t {print $5}' "$results" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
peak() { awk -F'\t' -v t="$1" 'NR>1 && $2==t && $4>m {m=$4} END {print m}' "$results"; }
report() { # GO_LABEL LDAPSEARCH_LABEL
  awk -v t="$1" -v a="$(median "$2")" -v b="$(median "$1")" -v ca="$(mcpu "$2")" -v cb="$(mcpu "$1")" \
    -v ma="$(peak "$2")" -v mb="$(peak "$1")" -v wt="$3" -v ct="$4" -v rt="$5" 'BEGIN {
    r = b / a; c = cb / ca
    printf "%s: median wall %.2f s vs ldapsearch %.2f s = %.2fx (target <= %s); client CPU %.2f s vs %.2f s = %.2fx (target <= %s); peak RSS %.0f MiB (ldapsearch %.0f; target <= %s): %s\n",
      t, b, a, r, wt, cb, ca, c, ct, mb / 1024, ma / 1024, rt, (r > wt || c > ct || mb / 1024 > rt) ? "TARGET MISSED" : "targets met"
  }'
}
report go-duplicates ldapsearch-dup 1.3 2.0 200
report go-scan ldapsearch-scan 2.0 3.0 400
awk -F'\t' '$2=="go-audit" {printf "go-audit: wall %.2f s, client CPU %.2f s, peak RSS %.0f MiB (target <= 250)\n", $3, $5, $4/1024}' "$results"
grep -q 'truth_match=true' "$results" && ! grep -q 'truth_match=false' "$results" && echo "duplicate set equals the truth file ($(wc -l <"$W/truth.tsv") SPNs)"
