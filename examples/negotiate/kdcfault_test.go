package main

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

// TestIntegrationTicketKDCUnreachable: with the KDC of krb5.conf not
// answering (a closed port on 127.0.0.1 instead of the testenv/kerberos
// KDC), ticket could not run: exit 2 and one line naming the realm and the
// address tried.
func TestIntegrationTicketKDCUnreachable(t *testing.T) {
	v := testenv.Require(t, "IISKERB_KRB5_CONF", "IISKERB_REALM", "IISKERB_USER", "IISKERB_PASSWORD", "IISKERB_HTTP_SPN")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	b, err := os.ReadFile(v[0])
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(t.TempDir(), "krb5.conf")
	b = regexp.MustCompile(`(?m)^(\s*kdc\s*=\s*)\S+`).ReplaceAll(b, []byte("${1}"+addr))
	if err := os.WriteFile(conf, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, "", map[string]string{"IISKERB_PASSWORD": v[3]}, "ticket", "-krb5conf", conf, "-user", v[2], v[4])
	if r.code != 2 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 ||
		!strings.Contains(r.stderr, "no KDC of realm "+v[1]+" answered (tried "+addr+")") || strings.Contains(r.stderr, v[3]) {
		t.Errorf("exit %d %q %q", r.code, r.stdout, r.stderr)
	}
}
