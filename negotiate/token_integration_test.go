package negotiate

import (
	"bufio"
	"context"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

// TestDecodeRealCurlNegotiate lets a real client (curl --negotiate with MIT
// GSSAPI) authenticate to the real Negotiate server of testenv/kerberos
// (Apache mod_auth_gssapi) and decodes both tokens from curl's trace: the
// client's SPNEGO NegTokenInit with a Kerberos AP-REQ and the server's
// NegTokenResp with the AP-REP of mutual authentication.
func TestDecodeRealCurlNegotiate(t *testing.T) {
	v := testenv.Require(t, "IISKERB_KRB5_CONF", "IISKERB_USER", "IISKERB_USER_KEYTAB", "IISKERB_HTTP_SPN", "IISKERB_REALM",
		"IISKERB_HTTP_URL_BOUND", "IISKERB_HTTP_ADDR")
	conf, user, keytab, httpSPN, realm, target, addr := v[0], v[1], v[2], v[3], v[4], v[5], v[6]
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	env := append(os.Environ(), "KRB5_CONFIG="+conf, "KRB5CCNAME=FILE:"+filepath.Join(t.TempDir(), "ccache"))
	kinit := exec.CommandContext(ctx, "kinit", "-k", "-t", keytab, user)
	kinit.Env = env
	if out, err := kinit.CombinedOutput(); err != nil {
		t.Fatalf("kinit: %v\n%s", err, out)
	}
	curl := exec.CommandContext(ctx, "curl", "-sS", "-v", "-o", os.DevNull, "--negotiate", "-u", ":",
		"--resolve", u.Hostname()+":"+port+":127.0.0.1", target)
	curl.Env = env
	out, err := curl.CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	var sent, answer *Token
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		name, value, ok := strings.Cut(strings.TrimLeft(line, "<> "), ": ")
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(line, "> ") && strings.EqualFold(name, "Authorization"):
			c, err := ParseAuthorization(value)
			if err != nil {
				t.Fatalf("Authorization: %v", err)
			}
			if sent, err = DecodeToken(c.Token); err != nil {
				t.Fatalf("decode client token: %v", err)
			}
		case strings.HasPrefix(line, "< ") && strings.EqualFold(name, "WWW-Authenticate"):
			cs, err := ParseChallengeValue(value)
			if err != nil {
				t.Fatalf("WWW-Authenticate: %v", err)
			}
			for _, c := range cs {
				if len(c.Token) > 0 {
					if answer, err = DecodeToken(c.Token); err != nil {
						t.Fatalf("decode server token: %v", err)
					}
				}
			}
		}
	}
	if sent == nil || answer == nil {
		t.Fatalf("curl trace without both tokens:\n%s", out)
	}
	a := sent.Kerberos.APReq
	if sent.Kind != SPNEGOInit || sent.InnerKind != KerberosAPReq || !sent.SPNEGO.MechTypes[0].Equal(OIDKerberos) ||
		a.Realm != realm || !strings.EqualFold(a.SPN, httpSPN) || (a.TicketEncType != 18 && a.TicketEncType != 17) || a.TicketKVNO == 0 {
		t.Errorf("client token: %v/%v %+v", sent.Kind, sent.InnerKind, a)
	}
	if vis := sent.Visible(); vis.ClientIdentityVisible || vis.User != "" || strings.Contains(vis.Summary, user) {
		t.Errorf("client token visibility leaks the user: %+v", vis)
	}
	if answer.Kind != SPNEGOResp || answer.SPNEGO.NegState != AcceptCompleted || answer.InnerKind != KerberosAPRep {
		t.Errorf("server token: %v/%v %+v", answer.Kind, answer.InnerKind, answer.SPNEGO)
	}
}
