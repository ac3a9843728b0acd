package negotiate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// unreachableKrb5Conf writes a krb5.conf whose KDC is a closed local port.
func unreachableKrb5Conf(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := filepath.Join(t.TempDir(), "krb5.conf")
	conf := fmt.Sprintf(`[libdefaults]
  default_realm = UNIT.TEST
  dns_lookup_kdc = false
  dns_lookup_realm = false
  udp_preference_limit = 1
[realms]
  UNIT.TEST = {
    kdc = %s
  }
[domain_realm]
  .unit.test = UNIT.TEST
`, addr)
	if err := os.WriteFile(p, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestClientConfigRedacts(t *testing.T) {
	c := ClientConfig{Krb5Conf: "/etc/krb5.conf", User: "alice", Realm: "EXAMPLE.TEST", Password: "s3cret-Pa55"}
	b, _ := json.Marshal(c)
	for _, s := range []string{fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprint(c), string(b), fmt.Sprintf("%v", &c)} {
		if strings.Contains(s, "s3cret") {
			t.Errorf("password leaked: %s", s)
		}
	}
	if !strings.Contains(c.String(), "alice@EXAMPLE.TEST with password") {
		t.Errorf("String %q", c.String())
	}
	n := NTLMCredentials{Domain: "EXAMPLE", User: "bob", Password: "s3cret-Pa55"}
	b, _ = json.Marshal(n)
	for _, s := range []string{fmt.Sprintf("%v", n), fmt.Sprintf("%+v", n), fmt.Sprintf("%#v", n), string(b), fmt.Sprintf("%+v", ProbeOptions{NTLM: &n})} {
		if strings.Contains(s, "s3cret") {
			t.Errorf("NTLM password leaked: %s", s)
		}
	}
}

func TestNewClientErrors(t *testing.T) {
	conf := unreachableKrb5Conf(t)
	for _, tc := range []struct {
		name string
		c    ClientConfig
		want string
	}{
		{"no credentials", ClientConfig{Krb5Conf: conf, User: "a"}, "exactly one"},
		{"two credentials", ClientConfig{Krb5Conf: conf, User: "a", Password: "pw-XYZ", Keytab: "/x"}, "exactly one"},
		{"no krb5.conf", ClientConfig{User: "a", Password: "pw-XYZ"}, "krb5.conf"},
		{"missing krb5.conf", ClientConfig{Krb5Conf: filepath.Join(t.TempDir(), "nope"), User: "a", Password: "pw-XYZ"}, "krb5.conf"},
		{"no user", ClientConfig{Krb5Conf: conf, Password: "pw-XYZ"}, "no user"},
		{"missing keytab", ClientConfig{Krb5Conf: conf, User: "a", Keytab: filepath.Join(t.TempDir(), "kt")}, "keytab"},
		{"missing ccache", ClientConfig{Krb5Conf: conf, CCache: "FILE:" + filepath.Join(t.TempDir(), "cc")}, "ccache"},
	} {
		_, err := NewClient(tc.c)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "pw-XYZ") {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	cl, err := NewClient(ClientConfig{Krb5Conf: conf, User: "alice@OTHER.TEST", Password: "pw"})
	if err != nil || cl.Credentials.Domain() != "OTHER.TEST" || cl.Credentials.UserName() != "alice" {
		t.Errorf("user@realm: %v", err)
	}
	cl, err = NewClient(ClientConfig{Krb5Conf: conf, User: "alice", Password: "pw"})
	if err != nil || cl.Credentials.Domain() != "UNIT.TEST" {
		t.Errorf("default realm: %v", err)
	}
}

func TestSplitTicketSPN(t *testing.T) {
	for _, tc := range []struct{ in, name, realm string }{
		{"HTTP/web.example.test", "HTTP/web.example.test", ""},
		{" HTTP/web.example.test@example.test ", "HTTP/web.example.test", "EXAMPLE.TEST"},
		{"HTTP/web:8080", "HTTP/web:8080", ""},
		{"", "", "!"}, {"/x", "", "!"}, {"HTTP/", "", "!"}, {"HTTP/a b", "", "!"}, {"@R", "", "!"},
	} {
		n, r, err := splitTicketSPN(tc.in)
		if tc.realm == "!" {
			if err == nil {
				t.Errorf("%q: no error", tc.in)
			}
			continue
		}
		if err != nil || n != tc.name || r != tc.realm {
			t.Errorf("%q: %q %q %v", tc.in, n, r, err)
		}
	}
	if hostOfSPN("web:8080") != "web" || hostOfSPN("web") != "web" || hostOfSPN("web:x") != "web:x" {
		t.Error("hostOfSPN")
	}
}

func TestTicketFlagNames(t *testing.T) {
	// forwardable(1), renewable(8), pre_authent(10), name_canonicalize(15), bit 20
	b := []byte{0x40, 0x80 | 0x20 | 0x01, 0x08, 0x00}
	got := ticketFlagNames(b, 32)
	want := []string{"forwardable", "renewable", "pre_authent", "name_canonicalize", "bit20"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v want %v", got, want)
	}
	if ticketFlagNames([]byte{0xff}, 100) == nil || len(ticketFlagNames(nil, 32)) != 0 {
		t.Error("bounds")
	}
}

func TestRequestTicketFailures(t *testing.T) {
	if _, err := RequestTicket(context.Background(), nil, "HTTP/x"); err == nil {
		t.Error("nil client accepted")
	}
	cl, err := NewClient(ClientConfig{Krb5Conf: unreachableKrb5Conf(t), User: "alice", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RequestTicket(context.Background(), cl, "not an spn"); err == nil {
		t.Error("bad SPN accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := RequestTicket(ctx, cl, "HTTP/web.unit.test"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	// unreachable KDC: a network error, not a KDCError
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = RequestTicket(ctx, cl, "HTTP/web.unit.test")
	var ke *KDCError
	if err == nil || errors.As(err, &ke) {
		t.Errorf("unreachable KDC: %v", err)
	}
}

// ExampleRequestTicket is `klist get HTTP/web.example.test` in Go. It needs a
// KDC, so it is compiled but not run.
func ExampleRequestTicket() {
	cl, err := NewClient(ClientConfig{Krb5Conf: "/etc/krb5.conf", User: "alice", Keytab: "/etc/alice.keytab"})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	t, err := RequestTicket(ctx, cl, "HTTP/web.example.test")
	var ke *KDCError
	switch {
	case errors.As(err, &ke) && ke.Code == int32(CodeSPrincipalUnknown):
		fmt.Println("no account holds the SPN: register it with setspn -S")
	case err != nil:
		fmt.Println(err)
	default:
		fmt.Println(t.Server, t.EncType, t.KVNO)
	}
}

func TestKlistAndTicketFlagsAgree(t *testing.T) {
	// 0x40e10000: forwardable renewable initial pre_authent name_canonicalize;
	// 0x00080000: bit 12, transited-policy-checked; 0x00008000: bit 16, unnamed.
	for _, v := range []uint32{0x40e10000, 0x00080000, 0x00008000} {
		b := []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
		k, r := strings.Join(klistTicketFlags(v), " "), strings.Join(ticketFlagNames(b, 32), " ")
		if k != r {
			t.Errorf("%#x: klist %q, ticket %q", v, k, r)
		}
	}
	if got := strings.Join(klistTicketFlags(0x00080000), " "); got != "transited" {
		t.Errorf("bit 12 = %q, want transited (MIT klist -f T)", got)
	}
	if got := strings.Join(klistTicketFlags(0x40e10000), " "); got != "forwardable renewable initial pre_authent name_canonicalize" {
		t.Errorf("0x40e10000 = %q", got)
	}
}
