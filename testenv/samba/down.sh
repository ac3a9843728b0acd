#!/usr/bin/env bash
# down.sh STATE_DIR: stop the Samba AD DC that up.sh started (by its pid file). Never fails.
S=${1:?usage: down.sh STATE_DIR}
p="$S/samba/run/samba.pid"
[ -s "$p" ] || exit 0
pid=$(cat "$p" 2>/dev/null) || exit 0
kill "$pid" 2>/dev/null || exit 0
for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -9 -- "-$pid" 2>/dev/null || kill -9 "$pid" 2>/dev/null || true
exit 0
