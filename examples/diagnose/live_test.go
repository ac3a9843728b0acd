package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/diagnose"
	"github.com/iiskerb/iiskerb/internal/testenv"
)

func jsonReport(t *testing.T, args ...string) (int, *diagnose.Report) {
	t.Helper()
	code, out, errOut := runArgs(t, append(args, "-format", "json")...)
	if code == exitFailed {
		t.Fatalf("exit 2: %s", errOut)
	}
	var rep diagnose.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return code, &rep
}

// A real Negotiate handshake against Apache mod_auth_gssapi with
// GssapiConnectionBound Off (the behaviour of IIS with
// authPersistNonNTLM=false) gives the NEG checks a probe to work on.
func TestLiveProbe(t *testing.T) {
	v := testenv.Require(t, "IISKERB_KRB5_CONF", "IISKERB_USER_CCACHE", "IISKERB_HTTP_URL_UNBOUND", "IISKERB_HTTP_ADDR")
	code, rep := jsonReport(t, "-probe", v[2], "-probe-connect-to", v[3], "-krb5conf", v[0], "-ccache", v[1],
		"-checks", "NEG*", "-profile", "generic")
	for _, id := range []string{"NEG001", "NEG003"} {
		r, ok := rep.Result(id)
		if !ok || r.Status == diagnose.StatusSkipped || r.Status == diagnose.StatusError {
			t.Errorf("%s: %+v (exit %d, warnings %v)", id, r, code, rep.Warnings)
		}
	}
	// What a firewall would see of the Kerberos exchange is a note; the
	// verdict row needs the administrator to say a firewall shows it.
	for _, v := range rep.Verdict {
		if v.Scenario == diagnose.ScenarioFirewallIdentity {
			t.Errorf("firewall row without the declared scenario: %+v", v)
		}
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "Kerberos is in use (probe of") {
		t.Errorf("a Kerberos-authenticated probe should be noted: %q", rep.Notes)
	}
}

// Active Directory over LDAP (OpenLDAP with an AD-like schema) replaces
// setspn output for the SPN checks; the password comes from the
// environment, never from a flag.
func TestLiveLDAP(t *testing.T) {
	v := testenv.Require(t, "IISKERB_SLAPD_URL", "IISKERB_SLAPD_CA", "IISKERB_SLAPD_BIND_DN", "IISKERB_SLAPD_BIND_PW")
	t.Setenv("TEST_LDAP_PW", v[3])
	_, rep := jsonReport(t, "-ldap", v[0], "-ldap-starttls", "-ldap-ca", v[1], "-ldap-bind", v[2],
		"-ldap-password-env", "TEST_LDAP_PW", "-checks", "SPN003,SPN004")
	for _, id := range []string{"SPN003", "SPN004"} {
		r, ok := rep.Result(id)
		if !ok || r.Status == diagnose.StatusSkipped || r.Status == diagnose.StatusError {
			t.Errorf("%s: %+v (warnings %v)", id, r, rep.Warnings)
		}
	}
	code, _, errOut := runArgs(t, "-ldap", v[0], "-ldap-bind", v[2], "-ldap-password-env", "TEST_LDAP_PW")
	if code != exitFailed {
		t.Errorf("a simple bind without TLS must be refused: exit %d %s", code, errOut)
	}
}
