#!/usr/bin/env bash
# up.sh STATE_DIR: start iiskerb's OpenLDAP test directory on 127.0.0.1.
#
# Two slapd instances built from the same data (testenv/slapd/fixture.ldif,
# the AD-like schema adlike.schema, and 1200 generated accounts under OU=Bulk):
#   main   ldap://127.0.0.1:23389 (StartTLS) and ldaps://127.0.0.1:23636
#   fault  ldap://127.0.0.1:23390, only for tests that stop and restart it
# TLS uses a throwaway CA made here with openssl. Limits behave like AD:
# a non-paged search stops at 1000 entries, paged searches return everything.
# Clients bind as CN=svc-reader,CN=Users,... (not the rootDN) with a random
# password written to STATE_DIR/env. Writes STATE_DIR/env (IISKERB_SLAPD_*).
# Ports can be moved with SLAPD_PORT, SLAPD_LDAPS_PORT, SLAPD_FAULT_PORT.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
S=$(realpath -m "${1:?usage: up.sh STATE_DIR}")
PORT=${SLAPD_PORT:-23389}
LDAPS_PORT=${SLAPD_LDAPS_PORT:-23636}
FAULT_PORT=${SLAPD_FAULT_PORT:-23390}
SUFFIX="DC=example,DC=test"
BIND_DN="CN=svc-reader,CN=Users,$SUFFIX"

bash "$here/down.sh" "$S" >/dev/null 2>&1 || true
mkdir -p "$S"
rm -rf "$S/main" "$S/fault" "$S/tls" "$S/data.ldif"
mkdir -p "$S/tls"

# Throwaway CA and a server certificate for 127.0.0.1/localhost.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj "/CN=iiskerb test CA" -keyout "$S/tls/ca.key" -out "$S/tls/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -subj "/CN=localhost" -keyout "$S/tls/server.key" -out "$S/tls/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$S/tls/ext.cnf"
openssl x509 -req -in "$S/tls/server.csr" -CA "$S/tls/ca.pem" -CAkey "$S/tls/ca.key" -CAcreateserial \
  -days 2 -extfile "$S/tls/ext.cnf" -out "$S/tls/server.pem" 2>/dev/null
chmod 600 "$S/tls/ca.key" "$S/tls/server.key"

# Directory data: fixture + bind user + generated bulk accounts.
BIND_PW=$(openssl rand -hex 12)
{
  cat "$here/fixture.ldif"
  printf 'dn: %s\nobjectClass: top\nobjectClass: user\ncn: svc-reader\nsAMAccountName: svc-reader\nuserAccountControl: 512\nuserPassword: %s\n\n' \
    "$BIND_DN" "$(slappasswd -s "$BIND_PW")"
  awk -v suffix="$SUFFIX" 'BEGIN {
    for (i = 1; i <= 1200; i++) {
      n = sprintf("bulk%04d", i)
      printf "dn: CN=%s,OU=Bulk,%s\nobjectClass: top\nobjectClass: user\ncn: %s\nsAMAccountName: %s\n", n, suffix, n, n
      printf "userAccountControl: 512\nservicePrincipalName: HTTP/%s.example.test\nservicePrincipalName: HOST/%s\n\n", n, n
    }
  }'
} >"$S/data.ldif"

modpath=$(dirname "$(find /usr/lib -name back_mdb.so -print -quit)")

mkinst() { # name port listeners
  local I="$S/$1"
  mkdir -p "$I/db" "$I/run"
  cat >"$I/rootdse.ldif" <<EOR
dn:
defaultNamingContext: $SUFFIX
configurationNamingContext: CN=Configuration,$SUFFIX
rootDomainNamingContext: $SUFFIX
EOR
  # slapd.conf rather than cn=config: directives apply in order, so the
  # rootDSE file can use attributes from our schema.
  cat >"$I/slapd.conf" <<EOC
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include $here/adlike.schema
pidfile $I/run/slapd.pid
argsfile $I/run/slapd.args
loglevel 0
modulepath $modpath
moduleload back_mdb
rootDSE $I/rootdse.ldif
TLSCACertificateFile $S/tls/ca.pem
TLSCertificateFile $S/tls/server.pem
TLSCertificateKeyFile $S/tls/server.key
# Like AD: non-paged searches stop at 1000 entries, paged searches see all.
sizelimit size.soft=1000 size.hard=1000 size.prtotal=unlimited

database mdb
suffix "$SUFFIX"
directory $I/db
maxsize 1073741824
dbnosync
index objectClass eq
index servicePrincipalName eq,sub
index sAMAccountName eq
index nCName eq
access to attrs=userPassword by anonymous auth by * none
access to * by users read by * none
EOC
  slapadd -q -f "$I/slapd.conf" -l "$S/data.ldif" >/dev/null
  cat >"$I/start.sh" <<EOS
#!/usr/bin/env bash
# Starts this slapd instance (daemon; pid in $I/run/slapd.pid) and waits until it answers.
set -euo pipefail
/usr/sbin/slapd -f "$I/slapd.conf" -h "$3" -n slapd-iiskerb-$1
for _ in \$(seq 1 250); do
  ldapsearch -x -H ldap://127.0.0.1:$2 -s base -b "" namingContexts >/dev/null 2>&1 && exit 0
  sleep 0.02
done
echo "slapd $1 did not answer on port $2" >&2
exit 1
EOS
  chmod +x "$I/start.sh"
  "$I/start.sh"
}

mkinst main "$PORT" "ldap://127.0.0.1:$PORT/ ldaps://127.0.0.1:$LDAPS_PORT/"
mkinst fault "$FAULT_PORT" "ldap://127.0.0.1:$FAULT_PORT/"

# Smoke check: the bind user can read, through StartTLS with the CA.
LDAPTLS_CACERT="$S/tls/ca.pem" ldapsearch -ZZ -x -H "ldap://127.0.0.1:$PORT" -D "$BIND_DN" -w "$BIND_PW" \
  -b "$SUFFIX" -s sub "(sAMAccountName=WEB01\$)" dn >/dev/null

cat >"$S/env" <<EOV
IISKERB_SLAPD_URL=ldap://127.0.0.1:$PORT
IISKERB_SLAPD_LDAPS_URL=ldaps://127.0.0.1:$LDAPS_PORT
IISKERB_SLAPD_CA=$S/tls/ca.pem
IISKERB_SLAPD_BASE=$SUFFIX
IISKERB_SLAPD_DOMAIN=EXAMPLE
IISKERB_SLAPD_BIND_DN=$BIND_DN
IISKERB_SLAPD_BIND_PW=$BIND_PW
IISKERB_SLAPD_PIDFILE=$S/main/run/slapd.pid
IISKERB_SLAPD_FAULT_URL=ldap://127.0.0.1:$FAULT_PORT
IISKERB_SLAPD_FAULT_PIDFILE=$S/fault/run/slapd.pid
IISKERB_SLAPD_FAULT_START=$S/fault/start.sh
EOV
echo "slapd up: ldap://127.0.0.1:$PORT ldaps://127.0.0.1:$LDAPS_PORT fault ldap://127.0.0.1:$FAULT_PORT" >&2
