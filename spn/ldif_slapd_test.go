package spn_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"os"
	"os/exec"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/iiskerb/iiskerb/internal/testenv"
	"github.com/iiskerb/iiskerb/spn"
)

// TestLDIFFromRealLdapsearch exports every SPN holder of the testenv/slapd
// directory with OpenLDAP's ldapsearch (real LDIF: folded lines, base64
// values, comments, search/result trailer), parses it, and checks that the
// offline directory finds exactly the duplicates the live LDAP directory
// finds. A size-limited export must be marked incomplete.
func TestLDIFFromRealLdapsearch(t *testing.T) {
	v := testenv.Require(t, "IISKERB_SLAPD_URL", "IISKERB_SLAPD_CA", "IISKERB_SLAPD_BASE",
		"IISKERB_SLAPD_BIND_DN", "IISKERB_SLAPD_BIND_PW", "IISKERB_SLAPD_DOMAIN")
	url, ca, base, bindDN, bindPW, domain := v[0], v[1], v[2], v[3], v[4], v[5]
	testenv.LookPath(t, "ldapsearch")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	export := func(extra ...string) []byte {
		// The password goes through a file (-y), never the command line.
		pwFile := t.TempDir() + "/pw"
		if err := os.WriteFile(pwFile, []byte(bindPW), 0o600); err != nil {
			t.Fatal(err)
		}
		args := append([]string{"-x", "-ZZ", "-H", url, "-D", bindDN, "-y", pwFile, "-b", base}, extra...)
		args = append(args, "(servicePrincipalName=*)", "servicePrincipalName", "sAMAccountName",
			"userAccountControl", "msDS-SupportedEncryptionTypes", "objectClass")
		cmd := exec.CommandContext(ctx, "ldapsearch", args...)
		cmd.Env = append(os.Environ(), "LDAPTLS_CACERT="+ca)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		if err != nil && len(extra) == 1 { // the paged export must succeed
			t.Fatalf("ldapsearch: %v: %s", err, errb.String())
		}
		return out.Bytes()
	}

	full, err := spn.ParseLDIF("ldapsearch.ldif", bytes.NewReader(export("-E", "pr=500/noprompt")))
	if err != nil {
		t.Fatal(err)
	}
	if full.Incomplete != "" || len(full.Accounts) < 1000 {
		t.Fatalf("export: %d accounts, incomplete %q, warnings %v", len(full.Accounts), full.Incomplete, full.Warnings)
	}
	offline := spn.NewOfflineDirectory(spn.OfflineInput{LDIF: []*spn.LDIFExport{full}, LDIFComplete: true, Domain: domain})
	offDups, comp, err := spn.Duplicates(ctx, offline)
	if err != nil || !comp.Complete {
		t.Fatalf("offline duplicates: %v %+v", err, comp)
	}

	pem, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	live, err := spn.DialLDAP(ctx, spn.LDAPConfig{URL: url, StartTLS: true, RootCAs: pool, BaseDN: base,
		BindDN: bindDN, Password: spn.Secret(bindPW), Domain: domain, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	liveDups, comp, err := spn.Duplicates(ctx, live)
	if err != nil || !comp.Complete {
		t.Fatalf("live duplicates: %v %+v", err, comp)
	}
	if len(offDups) == 0 || !reflect.DeepEqual(dupSet(offDups), dupSet(liveDups)) {
		t.Errorf("offline duplicates %v\nlive duplicates %v", dupSet(offDups), dupSet(liveDups))
	}

	// Without paging the server stops at its size limit: the export says
	// so, and the directory built from it cannot prove absence.
	cut, err := spn.ParseLDIF("cut.ldif", bytes.NewReader(export()))
	if err != nil {
		t.Fatal(err)
	}
	if cut.Incomplete == "" {
		t.Fatalf("size-limited export (%d accounts) not marked incomplete", len(cut.Accounts))
	}
	d := spn.NewOfflineDirectory(spn.OfflineInput{LDIF: []*spn.LDIFExport{cut}, LDIFComplete: true})
	if ans, _ := d.Owners(ctx, "HTTP/nowhere.example.test"); ans.Complete {
		t.Error("a size-limited export proves absence")
	}
}

// dupSet renders duplicates as "spn: owner, owner" lines with the SPN
// lower-cased and the owners sorted, for comparison across sources.
func dupSet(ds []spn.Duplicate) []string {
	var out []string
	for _, d := range ds {
		owners := append([]string(nil), d.Owners...)
		for i := range owners {
			owners[i] = strings.ToLower(owners[i])
		}
		sort.Strings(owners)
		out = append(out, strings.ToLower(d.SPN)+": "+strings.Join(owners, ", "))
	}
	sort.Strings(out)
	return out
}
