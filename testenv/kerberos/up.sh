#!/usr/bin/env bash
# up.sh STATE_DIR: a throwaway MIT Kerberos realm and an Apache/mod_auth_gssapi
# Negotiate server on 127.0.0.1, for the negotiate package's integration tests.
#
#   KDC     127.0.0.1:18888 udp+tcp (KERBEROS_KDC_PORT), realm EXAMPLE.TEST
#   Apache  127.0.0.1:18080 (KERBEROS_HTTP_PORT), locations described in httpd.conf.in
#   (the next free port when the default is taken; STATE_DIR/env has the ones used)
#
# Principals:
#   alice                       user with a password (and a keytab with the same key)
#   HTTP/localhost              service, key in http.keytab
#   HTTP/web.example.test       service, key in http.keytab
#   HTTP/stale.example.test     service whose key changed after stale.keytab was exported,
#                               with the same kvno: the server cannot decrypt (KRB_AP_ERR_MODIFIED,
#                               what an SPN registered on another account looks like)
#   HTTP/oldkvno.example.test   service whose key changed after export, new kvno
#                               (KRB_AP_ERR_BADKEYVER / "kvno not found in keytab")
#   HTTP/rc4only.example.test   service with only an RC4 key; clients allow AES only
#                               (KDC_ERR_ETYPE_NOSUPP)
#   HTTP/missing.example.test   deliberately NOT created (KDC_ERR_S_PRINCIPAL_UNKNOWN)
#
# Writes STATE_DIR/env (IISKERB_* keys, see the end of this file). Re-runnable: a previous
# instance in the same STATE_DIR is stopped and the state is rebuilt. Stop with down.sh.
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 STATE_DIR" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
S=$(cd "$1" && pwd)

REALM=EXAMPLE.TEST
KDC_PORT=${KERBEROS_KDC_PORT:-18888}
HTTP_PORT=${KERBEROS_HTTP_PORT:-18080}
HOST=127.0.0.1
USER_PRINC=alice
NTLM_DOMAIN=EXAMPLE
KRB=$S/krb
APACHE=$S/apache
MODS=/usr/lib/apache2/modules

for tool in kdb5_util kadmin.local krb5kdc kinit /usr/sbin/apache2; do
    command -v "$tool" >/dev/null || { echo "up.sh: $tool not found; install testenv/kerberos/packages" >&2; exit 1; }
done
[ -e "$MODS/mod_auth_gssapi.so" ] || { echo "up.sh: mod_auth_gssapi not installed" >&2; exit 1; }

# Stop what a previous run in this STATE_DIR started, then rebuild from scratch.
bash "$here/down.sh" "$S" >/dev/null 2>&1 || true
rm -rf "$KRB" "$APACHE" "$S/env"
# on any failure, stop whatever already started
trap 'rc=$?; [ $rc -eq 0 ] || bash "$here/down.sh" "$S"' EXIT

port_busy() { # proto port
    local flag=-t; [ "$1" = udp ] && flag=-u
    ss -Hln "$flag" "sport = :$2" 2>/dev/null | grep -q .
}
# Default ports, or the next free ones when another instance (another STATE_DIR,
# another helper's test run) holds them: the env file carries the ports chosen.
pick_port() { # base protos...
    local base=$1 p proto busy; shift
    for p in $(seq "$base" $((base + 40))); do
        busy=0
        for proto in "$@"; do port_busy "$proto" "$p" && busy=1; done
        [ $busy = 0 ] && { echo "$p"; return 0; }
    done
    echo "up.sh: no free port near $base" >&2
    return 1
}
KDC_PORT=$(pick_port "$KDC_PORT" tcp udp)
HTTP_PORT=$(pick_port "$HTTP_PORT" tcp)

# Fresh random passwords per run: nothing secret is committed, nothing is reused.
randpw() { head -c 18 /dev/urandom | base64 | tr -d '/+=' ; }
USER_PASS="Aa1-$(randpw)"
MASTER_PASS=$(randpw)

# Apache's children run as www-data: every ancestor of STATE_DIR must be traversable
if [ "$(id -u)" = 0 ]; then
    d=$S
    while [ "$d" != / ]; do
        if [ "$(stat -c %A "$d" | cut -c10)" != x ] && [ "$(stat -c %A "$d" | cut -c10)" != t ]; then
            case "$d" in
            "$S") ;; # chmod-ed below
            *) echo "up.sh: $d is not world-traversable; Apache (www-data) could not read the keytabs. chmod o+x $d" >&2; exit 1 ;;
            esac
        fi
        d=$(dirname "$d")
    done
fi
mkdir -p "$KRB/db" "$APACHE"/{run,logs,rcache}
# www-data (Apache's children) must reach the keytabs and the htdocs
chmod 755 "$S" "$KRB" "$APACHE"

cat >"$KRB/krb5.conf" <<CONF
[libdefaults]
    default_realm = $REALM
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    udp_preference_limit = 1
    ticket_lifetime = 10h
    forwardable = true
    default_tkt_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96
    default_tgs_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96
    permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96

[realms]
    $REALM = {
        kdc = $HOST:$KDC_PORT
    }

[domain_realm]
    localhost = $REALM
    .example.test = $REALM
    example.test = $REALM

[logging]
    default = FILE:$KRB/krb5lib.log
CONF

cat >"$KRB/kdc.conf" <<CONF
[kdcdefaults]
    kdc_listen = $HOST:$KDC_PORT
    kdc_tcp_listen = $HOST:$KDC_PORT

[realms]
    $REALM = {
        database_name = $KRB/db/principal
        key_stash_file = $KRB/db/stash
        acl_file = $KRB/kadm5.acl
        max_life = 10h
        max_renewable_life = 7d
        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
    }

[logging]
    kdc = FILE:$KRB/krb5kdc.log
    default = FILE:$KRB/krb5lib.log
CONF
: >"$KRB/kadm5.acl"

export KRB5_CONFIG=$KRB/krb5.conf
export KRB5_KDC_PROFILE=$KRB/kdc.conf
export KRB5CCNAME=FILE:$KRB/setup.ccache
unset KRB5_KTNAME KRB5_CLIENT_KTNAME

kadm() { kadmin.local -r "$REALM" -q "$1" >>"$KRB/kadmin.log" 2>&1 || { echo "up.sh: kadmin.local failed: ${1%% -pw *}" >&2; tail -5 "$KRB/kadmin.log" >&2; exit 1; }; }

kdb5_util -r "$REALM" create -s -P "$MASTER_PASS" >"$KRB/kdb5_util.log" 2>&1
kadm "addprinc +requires_preauth -pw $USER_PASS $USER_PRINC"
kadm "ktadd -norandkey -k $KRB/$USER_PRINC.keytab $USER_PRINC"
for spn in HTTP/localhost HTTP/web.example.test HTTP/stale.example.test HTTP/oldkvno.example.test; do
    kadm "addprinc -randkey $spn"
done
kadm "addprinc -randkey -e rc4-hmac:normal HTTP/rc4only.example.test"
kadm "ktadd -k $KRB/http.keytab HTTP/localhost HTTP/web.example.test"
# stale.keytab holds keys that the KDC no longer uses:
kadm "ktadd -k $KRB/stale.keytab HTTP/stale.example.test HTTP/oldkvno.example.test"
kadm "cpw -randkey HTTP/oldkvno.example.test"            # new key, kvno+1
stale_kvno=$(klist -k "$KRB/stale.keytab" | awk '/stale.example.test/ {print $1; exit}')
kadm "cpw -randkey HTTP/stale.example.test"              # new key ...
kadm "modprinc -kvno $stale_kvno HTTP/stale.example.test" # ... under the old kvno
chmod 644 "$KRB"/*.keytab

# NTLM users for gss-ntlmssp (DOMAIN:user:password)
printf '%s:%s:%s\n' "$NTLM_DOMAIN" "$USER_PRINC" "$USER_PASS" >"$KRB/ntlm_users"
chmod 644 "$KRB/ntlm_users"

# krb5kdc binds its sockets, then daemonises: when it returns it is ready.
krb5kdc -P "$KRB/krb5kdc.pid"

# A ticket cache with alice's TGT, for ccache-based clients and curl.
printf '%s\n' "$USER_PASS" | kinit "$USER_PRINC@$REALM" >/dev/null
cp "$KRB/setup.ccache" "$KRB/$USER_PRINC.ccache"
rm -f "$KRB/setup.ccache"

# Apache
mkdir -p "$APACHE/htdocs"/{public,unbound,bound,stale,ntlm,stale-ntlm}
for d in public unbound bound stale ntlm stale-ntlm; do echo "hello from /$d/" >"$APACHE/htdocs/$d/hello.txt"; done
RUN_USER=www-data RUN_GROUP=www-data
if [ "$(id -u)" != 0 ]; then RUN_USER=$(id -un) RUN_GROUP=$(id -gn); fi
if [ "$(id -u)" = 0 ]; then chown -R "$RUN_USER:$RUN_GROUP" "$APACHE/rcache" "$APACHE/logs"; fi
sed -e "s#@APACHE_DIR@#$APACHE#g" -e "s#@KRB_DIR@#$KRB#g" -e "s#@HTTP_ADDR@#$HOST:$HTTP_PORT#g" \
    -e "s#@MODS@#$MODS#g" -e "s#@RUN_USER@#$RUN_USER#g" -e "s#@RUN_GROUP@#$RUN_GROUP#g" \
    "$here/httpd.conf.in" >"$APACHE/httpd.conf"

(
    export KRB5_CONFIG=$KRB/krb5.conf KRB5RCACHEDIR=$APACHE/rcache
    unset KRB5CCNAME KRB5_KTNAME KRB5_KDC_PROFILE
    /usr/sbin/apache2 -f "$APACHE/httpd.conf" -t >"$APACHE/logs/configtest.log" 2>&1 || { cat "$APACHE/logs/configtest.log" >&2; exit 1; }
    # the parent binds the socket before it detaches
    /usr/sbin/apache2 -f "$APACHE/httpd.conf" -k start || { echo "up.sh: apache2 -k start failed" >&2; tail -5 "$APACHE/logs/error.log" >&2; exit 1; }
)
for _ in $(seq 100); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://$HOST:$HTTP_PORT/public/hello.txt" || true)
    [ "$code" = 200 ] && break
    sleep 0.1
done
[ "$code" = 200 ] || { echo "up.sh: Apache did not answer (last status $code)" >&2; tail -20 "$APACHE/logs/error.log" >&2; exit 1; }

cat >"$S/env" <<ENV
IISKERB_KRB5_CONF=$KRB/krb5.conf
IISKERB_REALM=$REALM
IISKERB_KDC=$HOST:$KDC_PORT
IISKERB_USER=$USER_PRINC
IISKERB_PASSWORD=$USER_PASS
IISKERB_USER_KEYTAB=$KRB/$USER_PRINC.keytab
IISKERB_USER_CCACHE=$KRB/$USER_PRINC.ccache
IISKERB_HTTP_ADDR=$HOST:$HTTP_PORT
IISKERB_HTTP_BASE=http://web.example.test:$HTTP_PORT
IISKERB_HTTP_SPN=HTTP/web.example.test
IISKERB_HTTP_KEYTAB=$KRB/http.keytab
IISKERB_HTTP_URL_PUBLIC=http://web.example.test:$HTTP_PORT/public/hello.txt
IISKERB_HTTP_URL_UNBOUND=http://web.example.test:$HTTP_PORT/unbound/hello.txt
IISKERB_HTTP_URL_BOUND=http://web.example.test:$HTTP_PORT/bound/hello.txt
IISKERB_HTTP_URL_STALE=http://stale.example.test:$HTTP_PORT/stale/hello.txt
IISKERB_HTTP_URL_NTLM=http://web.example.test:$HTTP_PORT/ntlm/hello.txt
IISKERB_HTTP_URL_STALE_NTLM=http://stale.example.test:$HTTP_PORT/stale-ntlm/hello.txt
IISKERB_STALE_SPN=HTTP/stale.example.test
IISKERB_OLDKVNO_SPN=HTTP/oldkvno.example.test
IISKERB_RC4ONLY_SPN=HTTP/rc4only.example.test
IISKERB_MISSING_SPN=HTTP/missing.example.test
IISKERB_NTLM_USER=$USER_PRINC
IISKERB_NTLM_PASSWORD=$USER_PASS
IISKERB_NTLM_DOMAIN=$NTLM_DOMAIN
IISKERB_KRB_LOG=$KRB/krb5kdc.log
IISKERB_APACHE_ERROR_LOG=$APACHE/logs/error.log
IISKERB_APACHE_ACCESS_LOG=$APACHE/logs/access.log
ENV
chmod 600 "$S/env"
echo "kerberos: KDC $HOST:$KDC_PORT (pid $(cat "$KRB/krb5kdc.pid")), Apache $HOST:$HTTP_PORT (pid $(cat "$APACHE/run/httpd.pid")); env in $S/env" >&2
