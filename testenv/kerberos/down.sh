#!/usr/bin/env bash
# down.sh STATE_DIR: stop the KDC and Apache that up.sh started in STATE_DIR (by pid file
# only). Never fails.
S=${1:-}
[ -n "$S" ] && [ -d "$S" ] || exit 0

stop() { # pidfile
    local f=$1 pid
    [ -s "$f" ] || return 0
    pid=$(cat "$f" 2>/dev/null)
    case "$pid" in ''|*[!0-9]*) rm -f "$f"; return 0 ;; esac
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
    fi
    rm -f "$f"
}

if [ -s "$S/apache/run/httpd.pid" ] && [ -f "$S/apache/httpd.conf" ]; then
    # graceful stop through apache2 itself; it also waits for the children
    /usr/sbin/apache2 -f "$S/apache/httpd.conf" -k stop >/dev/null 2>&1
    for _ in $(seq 50); do [ -e "$S/apache/run/httpd.pid" ] || break; sleep 0.1; done
fi
stop "$S/apache/run/httpd.pid"
stop "$S/krb/krb5kdc.pid"
exit 0
