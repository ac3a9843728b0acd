package negotiate_test

// Two KDC faults against real servers: a KDC that does not answer (a
// krb5.conf pointing at a closed port on 127.0.0.1, beside the running KDC
// of testenv/kerberos) and a KDC whose clock is an hour ahead (a second MIT
// KDC started here under faketime, with its own database, port and realm).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/iiskerb/iiskerb/internal/testenv"
	"github.com/iiskerb/iiskerb/negotiate"
)

// closedPort returns a TCP and UDP port on 127.0.0.1 that nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(port))
		_ = l.Close()
		if err != nil {
			continue // the UDP port is taken: try another
		}
		_ = u.Close()
		return port
	}
	t.Fatal("no free port on 127.0.0.1")
	return 0
}

// confWithKDC copies the krb5.conf of testenv/kerberos with its kdc line
// pointing at addr, and optionally UDP before TCP (gokrb5's other path).
func confWithKDC(t *testing.T, conf, addr string, udp bool) string {
	t.Helper()
	b, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^(\s*kdc\s*=\s*)\S+`)
	if !re.Match(b) {
		t.Fatalf("%s has no kdc line", conf)
	}
	b = re.ReplaceAll(b, []byte("${1}"+addr))
	if udp {
		b = regexp.MustCompile(`(?m)^\s*udp_preference_limit\s*=.*$`).ReplaceAll(b, nil)
	}
	p := filepath.Join(t.TempDir(), "krb5.conf")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestIntegrationKDCUnreachable: RequestTicket and Probe name the realm and
// the address tried when no KDC answers, as a *KDCUnreachableError.
func TestIntegrationKDCUnreachable(t *testing.T) {
	e := requireKrb(t)
	v := testenv.Require(t, "IISKERB_HTTP_SPN", "IISKERB_HTTP_URL_NTLM", "IISKERB_NTLM_USER", "IISKERB_NTLM_PASSWORD", "IISKERB_NTLM_DOMAIN")
	spn := v[0]
	ctx := context.Background()
	// the running KDC answers with this configuration
	if _, err := negotiate.RequestTicket(ctx, e.client(t), spn); err != nil {
		t.Fatalf("the shared KDC: %v", err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(closedPort(t))
	for _, udp := range []bool{false, true} {
		conf := confWithKDC(t, e.conf, addr, udp)
		cl, err := negotiate.NewClient(negotiate.ClientConfig{Krb5Conf: conf, User: e.user, Password: e.password})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = negotiate.RequestTicket(ctx, cl, spn)
		var ku *negotiate.KDCUnreachableError
		if !errors.As(err, &ku) {
			t.Fatalf("udp %v: %v is not a *KDCUnreachableError", udp, err)
		}
		if ku.Realm != e.realm || len(ku.Addresses) != 1 || ku.Addresses[0] != addr || !strings.Contains(ku.Meaning, "firewall") {
			t.Errorf("udp %v: %+v", udp, ku)
		}
		if msg := err.Error(); !strings.Contains(msg, "no KDC of realm "+e.realm+" answered (tried "+addr+")") || strings.Contains(msg, e.password) {
			t.Errorf("udp %v: message %q", udp, msg)
		}
		if _, isKDC := negotiate.AsKDCError(err); isKDC {
			t.Errorf("udp %v: an unreachable KDC is not a Kerberos error code: %v", udp, err)
		}
		if d := time.Since(start); d > 15*time.Second {
			t.Errorf("udp %v: a refused connection took %v", udp, d)
		}
		b, jerr := json.Marshal(ku)
		if jerr != nil || !strings.Contains(string(b), `"addresses":["`+addr+`"]`) || !strings.Contains(string(b), `"error":"`) {
			t.Errorf("udp %v: JSON %s %v", udp, b, jerr)
		}
	}

	// Probe: Kerberos fails for want of a KDC, the transcript says so,
	// and NTLM authenticates.
	conf := confWithKDC(t, e.conf, addr, false)
	cl, err := negotiate.NewClient(negotiate.ClientConfig{Krb5Conf: conf, User: e.user, Password: e.password})
	if err != nil {
		t.Fatal(err)
	}
	opts := probeOpts(e, cl)
	opts.NTLM = &negotiate.NTLMCredentials{User: v[2], Password: v[3], Domain: v[4]}
	tr, err := negotiate.Probe(ctx, v[1], opts)
	if err != nil {
		t.Fatal(err)
	}
	ku := tr.KDCUnreachable
	if ku == nil || ku.Realm != e.realm || len(ku.Addresses) != 1 || ku.Addresses[0] != addr || tr.KerberosError != nil ||
		!tr.KerberosAttempted || !strings.Contains(tr.KerberosFailure, "no KDC of realm "+e.realm+" answered (tried "+addr+")") {
		t.Errorf("probe: %+v (failure %q)", ku, tr.KerberosFailure)
	}
	if !tr.Authenticated || tr.Mechanism != "NTLM" || !tr.FellBackToNTLM {
		t.Errorf("probe: mechanism %q authenticated %v fell back %v", tr.Mechanism, tr.Authenticated, tr.FellBackToNTLM)
	}
	b, err := json.Marshal(tr)
	if err != nil || !strings.Contains(string(b), `"kdc_unreachable":{"realm":"`+e.realm+`"`) || strings.Contains(string(b), e.password) {
		t.Errorf("probe JSON: %v %s", err, b)
	}
}

// skewKDC is a second MIT KDC started by the test with its clock an hour
// ahead (faketime), its own database and realm, on a free port.
type skewKDC struct {
	realm, conf, user, password, spn, addr string
}

const skewRealm = "SKEW.TEST"

func startSkewKDC(t *testing.T, offset string) skewKDC {
	t.Helper()
	for _, tool := range []string{"kdb5_util", "kadmin.local", "krb5kdc", "faketime"} {
		testenv.LookPath(t, tool)
	}
	lib := libfaketime()
	if lib == "" {
		testenv.Skip(t, "libfaketime.so.1 not found (Debian package faketime)")
	}
	var lastErr error
	for range 3 { // a port taken between the probe and the bind: once more
		k, err := trySkewKDC(t, lib, offset)
		if err == nil {
			return k
		}
		lastErr = err
	}
	t.Fatal(lastErr)
	return skewKDC{}
}

// libfaketime is the library the faketime command preloads.
func libfaketime() string {
	for _, pattern := range []string{"/usr/lib/*/faketime/libfaketime.so.1", "/usr/lib/faketime/libfaketime.so.1", "/usr/lib64/faketime/libfaketime.so.1"} {
		if m, _ := filepath.Glob(pattern); len(m) > 0 {
			return m[0]
		}
	}
	return ""
}

func trySkewKDC(t *testing.T, lib, offset string) (skewKDC, error) {
	dir := t.TempDir()
	port := closedPort(t)
	k := skewKDC{realm: skewRealm, conf: filepath.Join(dir, "krb5.conf"), user: "alice",
		password: "Aa1-" + randName(t) + randName(t), spn: "HTTP/web.skew.test", addr: "127.0.0.1:" + strconv.Itoa(port)}
	files := map[string]string{
		"krb5.conf": fmt.Sprintf(`[libdefaults]
    default_realm = %[1]s
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    udp_preference_limit = 1
    default_tkt_enctypes = aes256-cts-hmac-sha1-96
    default_tgs_enctypes = aes256-cts-hmac-sha1-96
    permitted_enctypes = aes256-cts-hmac-sha1-96

[realms]
    %[1]s = {
        kdc = %[2]s
    }

[domain_realm]
    .skew.test = %[1]s
`, skewRealm, k.addr),
		"kdc.conf": fmt.Sprintf(`[kdcdefaults]
    kdc_listen = %[2]s
    kdc_tcp_listen = %[2]s

[realms]
    %[1]s = {
        database_name = %[3]s/principal
        key_stash_file = %[3]s/stash
        acl_file = %[3]s/kadm5.acl
        supported_enctypes = aes256-cts-hmac-sha1-96:normal
    }

[logging]
    kdc = FILE:%[3]s/krb5kdc.log
    default = FILE:%[3]s/krb5lib.log
`, skewRealm, k.addr, dir),
		"kadm5.acl": "",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := append(os.Environ(), "KRB5_CONFIG="+k.conf, "KRB5_KDC_PROFILE="+filepath.Join(dir, "kdc.conf"), "KRB5CCNAME=FILE:"+filepath.Join(dir, "cc"))
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, args[0], err, out)
		}
	}
	run("kdb5_util", "-r", skewRealm, "create", "-s", "-P", randName(t)+randName(t))
	run("kadmin.local", "-r", skewRealm, "-q", "addprinc +requires_preauth -pw "+k.password+" "+k.user)
	run("kadmin.local", "-r", skewRealm, "-q", "addprinc -randkey "+k.spn)

	// krb5kdc binds its sockets, then daemonises (so Run returns when it
	// is ready) and writes its pid to the pid file, by which it is stopped.
	// The clock offset is what the faketime command does: libfaketime
	// preloaded with FAKETIME set. (The command itself is not used: it
	// waits for the daemon it started.)
	pidFile := filepath.Join(dir, "krb5kdc.pid")
	outFile, err := os.Create(filepath.Join(dir, "krb5kdc.out"))
	if err != nil {
		t.Fatal(err)
	}
	defer outFile.Close()
	cmd := exec.Command("krb5kdc", "-r", skewRealm, "-P", pidFile)
	// a file, not a pipe: the daemon keeps the descriptors open, and a pipe
	// would hold cmd.Wait until the daemon exits
	cmd.Env = append(env, "LD_PRELOAD="+lib, "FAKETIME="+offset)
	cmd.Stdout, cmd.Stderr = outFile, outFile
	err = cmd.Run()
	pid := 0
	for range 50 {
		if b, rerr := os.ReadFile(pidFile); rerr == nil {
			if pid, _ = strconv.Atoi(strings.TrimSpace(string(b))); pid > 0 {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if pid > 0 {
		t.Cleanup(func() { stopPid(pid) })
	}
	if err != nil || pid == 0 {
		out, _ := os.ReadFile(outFile.Name())
		log, _ := os.ReadFile(filepath.Join(dir, "krb5kdc.log"))
		return k, fmt.Errorf("krb5kdc with FAKETIME=%s on %s: %v\n%s%s", offset, k.addr, err, out, log)
	}
	return k, nil
}

// stopPid stops the KDC the test started, by its pid.
func stopPid(pid int) {
	p, err := os.FindProcess(pid)
	if err != nil {
		return
	}
	_ = p.Signal(syscall.SIGTERM)
	for range 50 {
		if p.Signal(syscall.Signal(0)) != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = p.Kill()
}

// TestIntegrationKDCClockSkew: a KDC an hour ahead rejects the client's
// pre-authentication timestamp with KRB_AP_ERR_SKEW (37); RequestTicket
// and Probe report the code, its meaning and the fix (synchronise clocks).
func TestIntegrationKDCClockSkew(t *testing.T) {
	e := requireKrb(t)
	v := testenv.Require(t, "IISKERB_HTTP_URL_UNBOUND")
	ctx := context.Background()

	// the same KDC without the offset issues the ticket: the skew alone fails
	k0 := startSkewKDC(t, "+0")
	cl0, err := negotiate.NewClient(negotiate.ClientConfig{Krb5Conf: k0.conf, User: k0.user, Password: k0.password})
	if err != nil {
		t.Fatal(err)
	}
	if tk, err := negotiate.RequestTicket(ctx, cl0, k0.spn); err != nil || tk.Realm != skewRealm {
		t.Fatalf("KDC without skew: %v %+v", err, tk)
	}

	k := startSkewKDC(t, "+1h")
	cl, err := negotiate.NewClient(negotiate.ClientConfig{Krb5Conf: k.conf, User: k.user, Password: k.password})
	if err != nil {
		t.Fatal(err)
	}
	_, err = negotiate.RequestTicket(ctx, cl, k.spn)
	var ke *negotiate.KDCError
	if !errors.As(err, &ke) || ke.Code != int32(negotiate.CodeSkew) || ke.Name != "KRB_AP_ERR_SKEW" || ke.Service ||
		ke.SPN != "krbtgt/"+skewRealm {
		t.Fatalf("skewed KDC: %v (%+v)", err, ke)
	}
	if !errors.Is(err, negotiate.NewKDCError(37, nil)) {
		t.Error("errors.Is(err, KDCError 37) = false")
	}
	checkSkewMeaning(t, "RequestTicket", ke.Meaning)
	if msg := err.Error(); !strings.Contains(msg, "KRB_AP_ERR_SKEW (37)") || strings.Contains(msg, k.password) {
		t.Errorf("message %q", msg)
	}
	var ku *negotiate.KDCUnreachableError
	if errors.As(err, &ku) {
		t.Errorf("a KDC that answered is not unreachable: %v", ku)
	}

	// Probe: the login fails with the KDC's KRB_AP_ERR_SKEW before any SPN
	cl, err = negotiate.NewClient(negotiate.ClientConfig{Krb5Conf: k.conf, User: k.user, Password: k.password})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := negotiate.Probe(ctx, v[0], probeOpts(e, cl))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Authenticated || tr.KerberosError == nil || tr.KerberosError.Code != 37 || tr.KerberosError.Service ||
		!strings.Contains(tr.KerberosFailure, "could not log in as "+k.user+"@"+skewRealm) || !strings.Contains(tr.KerberosFailure, "KRB_AP_ERR_SKEW") {
		t.Fatalf("probe: %+v failure %q", tr.KerberosError, tr.KerberosFailure)
	}
	checkSkewMeaning(t, "Probe", tr.KerberosError.Meaning)
}

func checkSkewMeaning(t *testing.T, what, m string) {
	t.Helper()
	for _, w := range []string{"clock skew", "5 minutes", "synchronise the clocks", "w32tm /resync"} {
		if !strings.Contains(m, w) {
			t.Errorf("%s: meaning %q lacks %q", what, m, w)
		}
	}
}
