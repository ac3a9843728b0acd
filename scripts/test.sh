#!/usr/bin/env bash
# The whole test suite, as README.md gives it and .ci/run calls it.
#
# 1. Installs the Debian packages the integration tests need when they are missing
#    (lists in testenv/*/packages, debconf preseeds in testenv/*/debconf).
# 2. Starts the real servers on 127.0.0.1 (testenv/*/up.sh STATE_DIR); each writes
#    STATE_DIR/env with the variables its tests read (see internal/testenv).
# 3. Runs every test with -race and IISKERB_REQUIRE_INTEGRATION=1, so an
#    integration test that would skip fails instead.
# 4. Stops the servers (testenv/*/down.sh STATE_DIR), whatever happened.
#
# Extra arguments go to `go test` (for example: bash scripts/test.sh -run TestProbe).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for f in testenv/*/packages; do
  [ -f "$f" ] || continue
  while read -r p; do
    case "$p" in ''|'#'*) continue ;; esac
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
  done <"$f"
done
if [ ${#need[@]} -gt 0 ]; then
  echo "test.sh: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
  for f in testenv/*/debconf; do [ -f "$f" ] && $sudo_ debconf-set-selections <"$f"; done
  # Wait for another apt/dpkg run (unattended upgrades on a fresh machine)
  # instead of failing on its lock.
  lock=(-o DPkg::Lock::Timeout=600)
  $sudo_ apt-get "${lock[@]}" update -qq >/dev/null
  $sudo_ apt-get "${lock[@]}" install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

state=$(mktemp -d /tmp/iiskerb-test.XXXXXX)
chmod 755 "$state"
started=()
cleanup() {
  for n in "${started[@]}"; do
    bash "testenv/$n/down.sh" "$state/$n" >/dev/null 2>&1 || echo "test.sh: stopping $n failed" >&2
  done
  rm -rf "$state"
}
trap cleanup EXIT

for d in testenv/*/; do
  n=$(basename "$d")
  [ -f "$d/up.sh" ] || continue
  mkdir -p "$state/$n"
  started+=("$n")
  echo "test.sh: starting $n" >&2
  if ! bash "$d/up.sh" "$state/$n" >"$state/$n.log" 2>&1; then
    echo "test.sh: starting $n failed:" >&2
    tail -n 40 "$state/$n.log" >&2
    exit 1
  fi
  if [ -f "$state/$n/env" ]; then
    set -a
    # shellcheck disable=SC1090
    . "$state/$n/env"
    set +a
  fi
done

export IISKERB_REQUIRE_INTEGRATION=1
go test -race -count=1 -timeout 20m ./... "$@"
