package negotiate_test

// Integration tests of DecryptTicket against the real MIT KDC and Apache of
// testenv/kerberos and the Samba AD DC of testenv/samba (scripts/test.sh
// starts them). Principals and accounts the tests need beyond the fixtures
// are created at run time, under random names, and removed afterwards.

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iiskerb/iiskerb/internal/testenv"
	"github.com/iiskerb/iiskerb/negotiate"
	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/pac"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"
)

func randName(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// apReqFor asks the KDC for a ticket for spn with cl and builds the SPNEGO
// NegTokenInit a gokrb5 client would send.
func apReqFor(t *testing.T, cl *client.Client, spn string) []byte {
	t.Helper()
	tkt, key, err := cl.GetServiceTicket(spn)
	if err != nil {
		t.Fatalf("service ticket for %s: %v", spn, err)
	}
	tok, err := spnego.NewNegTokenInitKRB5(cl, tkt, key)
	if err != nil {
		t.Fatal(err)
	}
	st := spnego.SPNEGOToken{Init: true, NegTokenInit: tok}
	b, err := st.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func loadKeys(t *testing.T, path string) []negotiate.Key {
	t.Helper()
	keys, err := negotiate.LoadKeytab(path)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// kadmin runs kadmin.local against the running test KDC (its kdc.conf sits
// beside krb5.conf).
func kadmin(t *testing.T, conf, realm, query string) {
	t.Helper()
	testenv.LookPath(t, "kadmin.local")
	dir := filepath.Dir(conf)
	cmd := exec.Command("kadmin.local", "-r", realm, "-q", query)
	cmd.Env = append(os.Environ(), "KRB5_CONFIG="+conf, "KRB5_KDC_PROFILE="+filepath.Join(dir, "kdc.conf"))
	out, err := cmd.CombinedOutput()
	if err != nil || strings.Contains(string(out), "kadmin.local: ") && !strings.Contains(string(out), "Authenticating as") {
		t.Fatalf("kadmin.local %q: %v\n%s", strings.Fields(query)[0], err, out)
	}
}

// TestIntegrationDecryptCurlAuthorization captures the Authorization header
// curl --negotiate (MIT GSSAPI) sends to Apache and opens its ticket with the
// service keytab: the client is the user the environment logged in.
func TestIntegrationDecryptCurlAuthorization(t *testing.T) {
	v := testenv.Require(t, "IISKERB_KRB5_CONF", "IISKERB_REALM", "IISKERB_USER", "IISKERB_USER_KEYTAB",
		"IISKERB_HTTP_KEYTAB", "IISKERB_HTTP_URL_UNBOUND", "IISKERB_HTTP_ADDR", "IISKERB_HTTP_SPN")
	conf, realm, user, userKT, httpKT, target, addr, spn := v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]
	testenv.LookPath(t, "curl")
	testenv.LookPath(t, "kinit")
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	port := addr[strings.LastIndexByte(addr, ':')+1:]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	env := append(os.Environ(), "KRB5_CONFIG="+conf, "KRB5CCNAME=FILE:"+filepath.Join(t.TempDir(), "ccache"))
	kinit := exec.CommandContext(ctx, "kinit", "-k", "-t", userKT, user)
	kinit.Env = env
	if out, err := kinit.CombinedOutput(); err != nil {
		t.Fatalf("kinit: %v\n%s", err, out)
	}
	curl := exec.CommandContext(ctx, "curl", "-sS", "-v", "-f", "-o", os.DevNull, "--negotiate", "-u", ":",
		"--resolve", u.Hostname()+":"+port+":127.0.0.1", target)
	curl.Env = env
	out, err := curl.CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	var header string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.HasPrefix(strings.ToLower(line), "> authorization: negotiate ") {
			header = strings.TrimPrefix(line, "> ")
		}
	}
	if header == "" {
		t.Fatalf("no Authorization header in curl's trace:\n%s", out)
	}
	d, err := negotiate.DecryptAuthorization(header, loadKeys(t, httpKT))
	if err != nil {
		t.Fatal(err)
	}
	if d.Client() != user+"@"+realm || d.Server != spn || d.Realm != realm || d.EncType != 18 {
		t.Errorf("decrypted %s for %s@%s %s", d.Client(), d.Server, d.Realm, d.EncType)
	}
	if d.Key.Principal != spn || d.Key.KVNO != d.KVNO {
		t.Errorf("opened with %v, ticket kvno %d", d.Key, d.KVNO)
	}
	if !slices.Contains(d.Flags, "pre_authent") || d.EndTime.Before(time.Now()) || d.AuthTime.After(time.Now().Add(time.Minute)) {
		t.Errorf("flags %v, auth %v, end %v", d.Flags, d.AuthTime, d.EndTime)
	}
	a := d.Authenticator
	if a == nil {
		t.Fatalf("no authenticator: %s", d.AuthenticatorError)
	}
	if !a.MatchesTicket || a.GSS == nil || a.ChecksumType != "gss-api (32771)" || a.GSS.ChannelBindings {
		t.Errorf("authenticator %+v gss %+v", a, a.GSS)
	}
	if !slices.Contains(a.GSS.FlagNames, "mutual") {
		t.Errorf("curl asks for mutual authentication; flags %v", a.GSS.FlagNames)
	}
	// MIT 1.20 KDCs add a minimal PAC: client info and signatures, no logon info.
	if d.PAC == nil || d.PAC.LogonInfo != nil || d.PAC.ClientInfo == nil || d.PAC.ClientInfo.Name != user+"@"+realm && d.PAC.ClientInfo.Name != user {
		t.Errorf("MIT PAC %+v (%s)", d.PAC, d.PACError)
	} else if d.PAC.ServerSignature == nil || d.PAC.ServerSignature.Status != "valid" {
		t.Errorf("MIT PAC server signature %+v", d.PAC.ServerSignature)
	}
}

// TestIntegrationDecryptKeyChange follows a service principal through a key
// change on the real KDC: the exported keytab opens the first ticket, fails
// on the ticket issued after `cpw -randkey` with the kvno explained, and the
// new keytab fails on the old ticket the other way round.
func TestIntegrationDecryptKeyChange(t *testing.T) {
	e := requireKrb(t)
	httpKT := testenv.Require(t, "IISKERB_HTTP_KEYTAB")[0]
	spn := "HTTP/dec-" + randName(t) + ".example.test"
	dir := t.TempDir()
	oldKT, newKT := filepath.Join(dir, "old.keytab"), filepath.Join(dir, "new.keytab")
	kadmin(t, e.conf, e.realm, "addprinc -randkey "+spn)
	t.Cleanup(func() { kadmin(t, e.conf, e.realm, "delprinc -force "+spn) })
	kadmin(t, e.conf, e.realm, "ktadd -k "+oldKT+" "+spn)

	first := apReqFor(t, e.client(t), spn)
	d, err := negotiate.DecryptTicket(first, loadKeys(t, oldKT))
	if err != nil {
		t.Fatal(err)
	}
	if d.Client() != e.user+"@"+e.realm || d.Server != spn {
		t.Fatalf("client %s server %s", d.Client(), d.Server)
	}
	oldKVNO := d.KVNO

	// A key for another principal: the SPN-on-the-wrong-account case.
	_, err = negotiate.DecryptTicket(first, loadKeys(t, httpKT))
	var de *negotiate.DecryptError
	if !errors.As(err, &de) || !errors.Is(err, negotiate.ErrWrongPrincipal) || de.Code != negotiate.CodeModified ||
		!errors.Is(err, negotiate.NewKDCError(41, nil)) {
		t.Fatalf("http.keytab on %s: %v", spn, err)
	}
	if !strings.Contains(de.Meaning, "registered on another account") {
		t.Errorf("meaning %q", de.Meaning)
	}

	kadmin(t, e.conf, e.realm, "cpw -randkey "+spn)
	kadmin(t, e.conf, e.realm, "ktadd -norandkey -k "+newKT+" "+spn)
	second := apReqFor(t, e.client(t), spn)
	_, err = negotiate.DecryptTicket(second, loadKeys(t, oldKT))
	if !errors.As(err, &de) || !errors.Is(err, negotiate.ErrStaleKey) || de.Code != negotiate.CodeBadKeyVer {
		t.Fatalf("old keytab on the new ticket: %v", err)
	}
	if de.KVNO != oldKVNO+1 || !strings.Contains(de.Detail, fmt.Sprintf("kvno %d", oldKVNO+1)) ||
		!strings.Contains(de.Detail, fmt.Sprintf("kvno %d", oldKVNO)) || !strings.Contains(de.Meaning, "changed after these keys were taken") {
		t.Errorf("stale key explained as %q / %q", de.Detail, de.Meaning)
	}
	t.Logf("old keytab, new ticket: %v", err)
	if d, err := negotiate.DecryptTicket(second, loadKeys(t, newKT)); err != nil || d.KVNO != oldKVNO+1 {
		t.Fatalf("new keytab on the new ticket: %v", err)
	}
	_, err = negotiate.DecryptTicket(first, loadKeys(t, newKT))
	if !errors.As(err, &de) || !errors.Is(err, negotiate.ErrStaleKey) || !strings.Contains(de.Meaning, "klist purge") {
		t.Fatalf("new keytab on the old ticket: %v", err)
	}
}

// TestIntegrationDecryptPassword opens a ticket for a principal created with
// a password: with the principal and MIT's salt, and with no principal at
// all (the ticket's own name gives the salt); AD's user salt fails.
func TestIntegrationDecryptPassword(t *testing.T) {
	e := requireKrb(t)
	spn := "HTTP/pw-" + randName(t) + ".example.test"
	pw := "Pw1-" + randName(t) + randName(t)
	kadmin(t, e.conf, e.realm, "addprinc -pw "+pw+" "+spn)
	t.Cleanup(func() { kadmin(t, e.conf, e.realm, "delprinc -force "+spn) })
	tok := apReqFor(t, e.client(t), spn)

	keys, err := negotiate.KeysFromPassword(pw, negotiate.KeyOptions{Principal: spn + "@" + e.realm})
	if err != nil {
		t.Fatal(err)
	}
	d, err := negotiate.DecryptTicket(tok, keys)
	if err != nil {
		t.Fatal(err)
	}
	if d.Client() != e.user+"@"+e.realm || d.Key.Salt != e.realm+strings.ReplaceAll(spn, "/", "") || d.Key.SaltKind != negotiate.SaltMIT {
		t.Errorf("client %s, key %v", d.Client(), d.Key)
	}

	keys, err = negotiate.KeysFromPassword(pw, negotiate.KeyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d, err = negotiate.DecryptTicket(tok, keys)
	if err != nil {
		t.Fatal(err)
	}
	if d.Key.SaltKind != negotiate.SaltFromTicket || d.Key.Salt != e.realm+strings.ReplaceAll(spn, "/", "") || d.Key.Principal != spn {
		t.Errorf("key from the ticket's name: %v", d.Key)
	}

	keys, err = negotiate.KeysFromPassword(pw, negotiate.KeyOptions{Principal: spn, Realm: e.realm, SaltKind: negotiate.SaltADUser})
	if err != nil {
		t.Fatal(err)
	}
	_, err = negotiate.DecryptTicket(tok, keys)
	if !errors.Is(err, negotiate.ErrWrongKey) || !strings.Contains(err.Error(), "salt") {
		t.Fatalf("AD user salt on an MIT principal: %v", err)
	}
	if strings.Contains(err.Error(), pw) || strings.Contains(fmt.Sprintf("%+v %#v", keys, keys), pw) {
		t.Fatal("the password leaked into output")
	}
}

// samba holds what the Samba tests need.
type samba struct {
	conf, realm, domain, user, password, smbConf string
}

func requireSamba(t *testing.T) samba {
	t.Helper()
	v := testenv.Require(t, "IISKERB_SAMBA_KRB5_CONF", "IISKERB_SAMBA_REALM", "IISKERB_SAMBA_DOMAIN",
		"IISKERB_SAMBA_USER", "IISKERB_SAMBA_PASSWORD", "IISKERB_SAMBA_PIDFILE")
	s := samba{conf: v[0], realm: v[1], domain: v[2], user: v[3], password: v[4]}
	// testenv/samba/up.sh keeps smb.conf at STATE/samba/etc/smb.conf and the
	// pid file at STATE/samba/run/samba.pid.
	s.smbConf = filepath.Join(filepath.Dir(filepath.Dir(v[5])), "etc", "smb.conf")
	if _, err := os.Stat(s.smbConf); err != nil {
		t.Fatalf("Samba's smb.conf: %v", err)
	}
	testenv.LookPath(t, "samba-tool")
	return s
}

func (s samba) tool(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("samba-tool", append(args, "-s", s.smbConf)...).CombinedOutput()
	if err != nil {
		t.Fatalf("samba-tool %s: %v\n%s", args[0]+" "+args[1], err, out)
	}
	return string(out)
}

// setEncTypes sets msDS-SupportedEncryptionTypes through Samba's own Python
// bindings on the local database (the environment has no admin password).
func (s samba) setEncTypes(t *testing.T, sam string, v int) {
	t.Helper()
	script := `
import sys
from samba.param import LoadParm
from samba.auth import system_session
from samba.samdb import SamDB
import ldb
lp = LoadParm(); lp.load(sys.argv[1])
db = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)
res = db.search(base=db.domain_dn(), expression="(sAMAccountName=%s)" % ldb.binary_encode(sys.argv[2]), attrs=["dn"])
m = ldb.Message(); m.dn = res[0].dn
m["e"] = ldb.MessageElement(sys.argv[3], ldb.FLAG_MOD_REPLACE, "msDS-SupportedEncryptionTypes")
db.modify(m)
`
	out, err := exec.Command("/usr/bin/python3", "-c", script, s.smbConf, sam, fmt.Sprint(v)).CombinedOutput()
	if err != nil {
		t.Fatalf("set msDS-SupportedEncryptionTypes on %s: %v\n%s", sam, err, out)
	}
}

func (s samba) client(t *testing.T) *client.Client {
	t.Helper()
	cfg, err := config.Load(s.conf)
	if err != nil {
		t.Fatal(err)
	}
	cfg.LibDefaults.DefaultTktEnctypes = []string{"aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha1-96", "rc4-hmac"}
	cfg.LibDefaults.DefaultTktEnctypeIDs = []int32{18, 17, 23}
	cfg.LibDefaults.DefaultTGSEnctypes = cfg.LibDefaults.DefaultTktEnctypes
	cfg.LibDefaults.DefaultTGSEnctypeIDs = cfg.LibDefaults.DefaultTktEnctypeIDs
	cfg.LibDefaults.PermittedEnctypes = cfg.LibDefaults.DefaultTktEnctypes
	cfg.LibDefaults.PermittedEnctypeIDs = cfg.LibDefaults.DefaultTktEnctypeIDs
	cl := client.NewWithPassword(s.user, s.realm, s.password, cfg, client.DisablePAFXFAST(true))
	if err := cl.Login(); err != nil {
		t.Fatalf("login as %s: %v", s.user, err)
	}
	return cl
}

// TestIntegrationDecryptSambaPAC opens tickets from the Samba AD DC: for a
// service account (AD user salt) while it has only RC4, then AES, and for a
// computer account (AD computer salt). The PAC names the user with the SID
// and groups the directory has, and its server signature checks out.
func TestIntegrationDecryptSambaPAC(t *testing.T) {
	s := requireSamba(t)
	id := randName(t)
	svc, svcPW := "dec"+id, "Aa1!"+randName(t)+randName(t)
	svcSPN := "HTTP/dec" + id + "." + strings.ToLower(s.realm)
	s.tool(t, "user", "create", svc, svcPW)
	t.Cleanup(func() { s.tool(t, "user", "delete", svc) })
	s.tool(t, "spn", "add", svcSPN, svc)

	sidOut := s.tool(t, "user", "show", s.user, "--attributes=objectSid")
	var userSID string
	for _, l := range strings.Split(sidOut, "\n") {
		if v, ok := strings.CutPrefix(l, "objectSid: "); ok {
			userSID = strings.TrimSpace(v)
		}
	}
	if userSID == "" {
		t.Fatalf("no objectSid for %s:\n%s", s.user, sidOut)
	}

	// Without msDS-SupportedEncryptionTypes the ticket is RC4.
	rc4Tok := apReqFor(t, s.client(t), svcSPN)
	aesKeys, err := negotiate.KeysFromPassword(svcPW, negotiate.KeyOptions{Principal: svc, Realm: s.realm,
		SaltKind: negotiate.SaltADUser, EncTypes: []negotiate.EncType{18, 17}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = negotiate.DecryptTicket(rc4Tok, aesKeys)
	var de *negotiate.DecryptError
	if !errors.As(err, &de) || !errors.Is(err, negotiate.ErrEncTypeMismatch) || de.EncType != negotiate.RC4HMAC ||
		!strings.Contains(de.Detail, "arcfour-hmac (23)") || !strings.Contains(de.Meaning, "msDS-SupportedEncryptionTypes") {
		t.Fatalf("RC4 ticket, AES keys: %v", err)
	}
	rc4Keys, err := negotiate.KeysFromPassword(svcPW, negotiate.KeyOptions{Principal: svc, Realm: s.realm, SaltKind: negotiate.SaltADUser})
	if err != nil {
		t.Fatal(err)
	}
	d, err := negotiate.DecryptTicket(rc4Tok, rc4Keys)
	if err != nil {
		t.Fatal(err)
	}
	checkSambaPAC(t, s, d, userSID, "hmac-md5 (-138)")

	// With AES enabled on the account the ticket is AES256 and opens with
	// the AD user salt.
	s.setEncTypes(t, svc, 24)
	aesTok := apReqFor(t, s.client(t), svcSPN)
	d, err = negotiate.DecryptTicket(aesTok, aesKeys)
	if err != nil {
		t.Fatal(err)
	}
	if d.EncType != negotiate.AES256CTSHMACSHA196 || d.Key.Salt != strings.ToUpper(s.realm)+svc {
		t.Errorf("enctype %s key %v", d.EncType, d.Key)
	}
	checkSambaPAC(t, s, d, userSID, "hmac-sha1-96-aes256 (16)")
	comparePACWithGokrb5(t, aesTok, svcPW, strings.ToUpper(s.realm)+svc, d)
	if dir := os.Getenv("IISKERB_DECRYPT_CAPTURE"); dir != "" {
		capture(t, dir, aesTok, svcPW, svc, s.realm)
	}

	// A computer account's salt is the wrong one for a user account: the
	// keys are "another principal's", and the meaning says the salt may be
	// the cause. (MIT's default salt equals AD's user salt for a
	// one-component name.)
	compSalt, err := negotiate.KeysFromPassword(svcPW, negotiate.KeyOptions{Principal: svc, Realm: s.realm,
		SaltKind: negotiate.SaltADComputer, EncTypes: []negotiate.EncType{18}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := negotiate.DecryptTicket(aesTok, compSalt); !errors.Is(err, negotiate.ErrWrongPrincipal) || !strings.Contains(err.Error(), "salt") {
		t.Errorf("computer salt on a user account: %v", err)
	}

	// A computer account: REALM + host + name + . + domain.
	comp, compPW := "DEC"+strings.ToUpper(id[:6]), "Aa1!"+randName(t)+randName(t)
	compSPN := "HTTP/" + strings.ToLower(comp) + "." + strings.ToLower(s.realm)
	s.tool(t, "computer", "create", comp)
	t.Cleanup(func() { s.tool(t, "computer", "delete", comp) })
	s.tool(t, "user", "setpassword", comp+"$", "--newpassword="+compPW)
	s.tool(t, "spn", "add", compSPN, comp+"$")
	s.setEncTypes(t, comp+"$", 24)
	compTok := apReqFor(t, s.client(t), compSPN)
	compKeys, err := negotiate.KeysFromPassword(compPW, negotiate.KeyOptions{Principal: comp + "$", Realm: s.realm,
		SaltKind: negotiate.SaltADComputer})
	if err != nil {
		t.Fatal(err)
	}
	d, err = negotiate.DecryptTicket(compTok, compKeys)
	if err != nil {
		t.Fatal(err)
	}
	wantSalt := strings.ToUpper(s.realm) + "host" + strings.ToLower(comp) + "." + strings.ToLower(s.realm)
	if d.EncType != negotiate.AES256CTSHMACSHA196 || d.Key.Salt != wantSalt || d.Key.SaltKind != negotiate.SaltADComputer {
		t.Errorf("computer account: enctype %s key %v", d.EncType, d.Key)
	}
	checkSambaPAC(t, s, d, userSID, "hmac-sha1-96-aes256 (16)")
}

func checkSambaPAC(t *testing.T, s samba, d *negotiate.DecryptedTicket, userSID, sigType string) {
	t.Helper()
	if !strings.EqualFold(d.Client(), s.user+"@"+s.realm) {
		t.Errorf("client %s", d.Client())
	}
	if d.PAC == nil {
		t.Fatalf("no PAC in a Samba ticket: %s (authorization data %v)", d.PACError, d.AuthorizationData)
	}
	if d.PACError != "" {
		t.Errorf("PAC problems: %s", d.PACError)
	}
	li := d.PAC.LogonInfo
	if li == nil {
		t.Fatalf("PAC without logon info: %+v", d.PAC)
	}
	if !strings.EqualFold(li.EffectiveName, s.user) || !strings.EqualFold(li.LogonDomainName, s.domain) || li.UserSID != userSID {
		t.Errorf("logon info: name %q domain %q sid %q (want %s)", li.EffectiveName, li.LogonDomainName, li.UserSID, userSID)
	}
	domainUsers := slices.ContainsFunc(li.Groups, func(g negotiate.GroupMembership) bool {
		return g.RID == 513 && g.SID == li.LogonDomainSID+"-513"
	})
	if li.PrimaryGroupID != 513 || !domainUsers {
		t.Errorf("groups %+v primary %d: Domain Users (513) missing", li.Groups, li.PrimaryGroupID)
	}
	if d.PAC.ClientInfo == nil || !strings.EqualFold(d.PAC.ClientInfo.Name, s.user) {
		t.Errorf("client info %+v", d.PAC.ClientInfo)
	}
	if d.PAC.UPNDNSInfo == nil || !strings.EqualFold(d.PAC.UPNDNSInfo.DNSDomain, s.realm) {
		t.Errorf("upn/dns info %+v", d.PAC.UPNDNSInfo)
	}
	ss := d.PAC.ServerSignature
	if ss == nil || ss.Status != "valid" || ss.TypeName != sigType || d.PAC.KDCSignature == nil {
		t.Errorf("server signature %+v, kdc %+v", ss, d.PAC.KDCSignature)
	}
	if d.Authenticator == nil || d.Authenticator.GSS == nil || !d.Authenticator.MatchesTicket {
		t.Errorf("authenticator %+v (%s)", d.Authenticator, d.AuthenticatorError)
	}
}

// comparePACWithGokrb5 opens the same ticket with gokrb5 (key derived by
// gokrb5 from the password and salt) and compares what gokrb5's pac package
// reads with ours. gokrb5 failing on a real Samba PAC is logged, not fatal:
// that is the reason this package has its own decoder.
func comparePACWithGokrb5(t *testing.T, tok []byte, pw, salt string, d *negotiate.DecryptedTicket) {
	t.Helper()
	var st spnego.SPNEGOToken
	if err := st.Unmarshal(tok); err != nil {
		t.Fatalf("gokrb5 SPNEGO: %v", err)
	}
	var kt spnego.KRB5Token
	if err := kt.Unmarshal(st.NegTokenInit.MechTokenBytes); err != nil {
		t.Fatalf("gokrb5 KRB5Token: %v", err)
	}
	et, err := crypto.GetEtype(18)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := et.StringToKey(pw, salt, et.GetDefaultStringToKeyParams())
	if err != nil {
		t.Fatal(err)
	}
	key := types.EncryptionKey{KeyType: 18, KeyValue: kb}
	tkt := kt.APReq.Ticket
	if err := tkt.Decrypt(key); err != nil {
		t.Fatalf("gokrb5 cannot open the ticket our code opened: %v", err)
	}
	var pacBytes []byte
	for _, ad := range tkt.DecryptedEncPart.AuthorizationData {
		if ad.ADType != 1 {
			continue
		}
		var inner types.AuthorizationData
		if err := inner.Unmarshal(ad.ADData); err == nil {
			for _, e := range inner {
				if e.ADType == 128 {
					pacBytes = e.ADData
				}
			}
		}
	}
	if pacBytes == nil {
		t.Fatal("gokrb5 finds no PAC")
	}
	var p pac.PACType
	err = func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		if err := p.Unmarshal(pacBytes); err != nil {
			return err
		}
		return p.ProcessPACInfoBuffers(key, log.New(io.Discard, "", 0))
	}()
	if err != nil || p.KerbValidationInfo == nil {
		t.Logf("gokrb5's pac package fails on this Samba PAC (ours decodes it): %v", err)
		return
	}
	k, li := p.KerbValidationInfo, d.PAC.LogonInfo
	if k.EffectiveName.Value != li.EffectiveName || k.UserID != li.UserID || k.LogonDomainID.String() != li.LogonDomainSID ||
		k.LogonDomainName.Value != li.LogonDomainName || len(k.GroupIDs) != len(li.Groups) || len(k.ExtraSIDs) != len(li.ExtraSIDs) {
		t.Errorf("gokrb5 reads %s rid %d domain %s %s, %d groups, %d extra SIDs; we read %s rid %d domain %s %s, %d groups, %d extra SIDs",
			k.EffectiveName.Value, k.UserID, k.LogonDomainName.Value, k.LogonDomainID.String(), len(k.GroupIDs), len(k.ExtraSIDs),
			li.EffectiveName, li.UserID, li.LogonDomainName, li.LogonDomainSID, len(li.Groups), len(li.ExtraSIDs))
	}
	for i := range min(len(k.ExtraSIDs), len(li.ExtraSIDs)) {
		if k.ExtraSIDs[i].SID.String() != li.ExtraSIDs[i].SID {
			t.Errorf("extra SID %d: gokrb5 %s, ours %s", i, k.ExtraSIDs[i].SID.String(), li.ExtraSIDs[i].SID)
		}
	}
	t.Logf("gokrb5 agrees: %s %s, %d groups, extra SIDs %+v", li.EffectiveName, li.UserSID, len(li.Groups), li.ExtraSIDs)
}

// capture writes an AP-REQ and the service account's keytab for the fixed
// vectors in testdata/decrypt (run once with IISKERB_DECRYPT_CAPTURE=dir).
func capture(t *testing.T, dir string, tok []byte, pw, svc, realm string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "samba-apreq.hex"), []byte(hex.EncodeToString(tok)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "samba-account.txt"), []byte(svc+"@"+realm+"\n"+pw+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
