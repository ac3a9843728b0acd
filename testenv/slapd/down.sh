#!/usr/bin/env bash
# down.sh STATE_DIR: stop the slapd instances that up.sh started (by pid file). Never fails.
S=${1:?usage: down.sh STATE_DIR}
for n in main fault; do
  p="$S/$n/run/slapd.pid"
  [ -s "$p" ] || continue
  pid=$(cat "$p" 2>/dev/null) || continue
  kill "$pid" 2>/dev/null || continue
  for _ in $(seq 1 250); do kill -0 "$pid" 2>/dev/null || break; sleep 0.02; done
  kill -9 "$pid" 2>/dev/null || true
done
exit 0
