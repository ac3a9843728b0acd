package diagnose

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/negotiate"
)

// samba is the AP-REQ a Samba AD DC issued for a throwaway service account,
// with that account's password (negotiate/testdata/decrypt, see its tests).
func sambaTicket(t *testing.T) (header string, account, password string) {
	t.Helper()
	dir := filepath.Join("..", "negotiate", "testdata", "decrypt")
	h, err := os.ReadFile(filepath.Join(dir, "samba-apreq.hex"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := hex.DecodeString(strings.TrimSpace(string(h)))
	if err != nil {
		t.Fatal(err)
	}
	a, err := os.ReadFile(filepath.Join(dir, "samba-account.txt"))
	if err != nil {
		t.Fatal(err)
	}
	account, password, _ = strings.Cut(strings.TrimSpace(string(a)), "\n")
	return "Negotiate " + base64.StdEncoding.EncodeToString(tok), account, password
}

func krb003Evidence(t *testing.T, header string, keys []negotiate.Key) *Evidence {
	t.Helper()
	trace := "> GET /app/ HTTP/1.1\n> Host: web.ad.example.test\n> Authorization: " + header + "\n>\n< HTTP/1.1 200 OK\n<\n"
	tr, err := ParseHTTPTrace("http/capture.txt", strings.NewReader(trace))
	if err != nil {
		t.Fatal(err)
	}
	ev := &Evidence{HTTPTraces: []*HTTPTrace{tr}, Keys: keys}
	toks, _ := tr.Tokens(context.Background())
	ev.Tokens = toks
	return ev
}

func TestKRB003OpensAndNamesTheClient(t *testing.T) {
	header, account, password := sambaTicket(t)
	keys, err := negotiate.KeysFromPassword(password, negotiate.KeyOptions{Principal: account, SaltKind: negotiate.SaltADUser})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Diagnose(context.Background(), krb003Evidence(t, header, keys), &Options{Checks: []string{"KRB003"}})
	if err != nil {
		t.Fatal(err)
	}
	fs := rep.FindingsOf("KRB003")
	if res, _ := rep.Result("KRB003"); res.Status != StatusPassed || len(fs) != 1 || fs[0].Severity != Info ||
		!strings.Contains(fs[0].Message, "opens with the key of") || !strings.Contains(fs[0].Message, "reader") {
		t.Fatalf("result %+v findings %+v", res, fs)
	}
	var b strings.Builder
	_ = rep.WriteJSON(&b)
	if strings.Contains(b.String(), password) {
		t.Error("the password appears in the report")
	}
}

func TestKRB003WrongKeyIsAnError(t *testing.T) {
	header, account, _ := sambaTicket(t)
	keys, err := negotiate.KeysFromPassword("not-the-password", negotiate.KeyOptions{Principal: account, SaltKind: negotiate.SaltADUser})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Diagnose(context.Background(), krb003Evidence(t, header, keys), &Options{Checks: []string{"KRB003"}})
	if err != nil {
		t.Fatal(err)
	}
	fs := rep.FindingsOf("KRB003")
	if len(fs) != 1 || fs[0].Severity != Error || !strings.Contains(fs[0].Message, "does not open") {
		t.Fatalf("findings %+v", fs)
	}
}

// Keys but no Kerberos ticket in the traffic: not verified, never passed.
func TestKRB003NoTicketIsNotVerified(t *testing.T) {
	_, account, password := sambaTicket(t)
	keys, _ := negotiate.KeysFromPassword(password, negotiate.KeyOptions{Principal: account, SaltKind: negotiate.SaltADUser})
	ev := krb003Evidence(t, "NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAGAbEdAAAADw==", keys)
	rep, err := Diagnose(context.Background(), ev, &Options{Checks: []string{"KRB003"}})
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := rep.Result("KRB003"); res.Status != StatusNotVerified || res.Settle == "" {
		t.Fatalf("result %+v", res)
	}
}
