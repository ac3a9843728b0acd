// Package testenv lets integration tests find the real servers that
// scripts/test.sh starts on 127.0.0.1 (MIT KDC, Apache with mod_auth_gssapi,
// OpenLDAP slapd, Samba AD DC).
//
// Each server's start script writes environment variables (for example
// IISKERB_KRB5_CONF). A test asks for the variables it needs with [Require].
// Run alone (plain `go test ./...`) a missing variable skips the test; under
// scripts/test.sh, which sets IISKERB_REQUIRE_INTEGRATION=1, a missing variable
// fails it, so a server that did not start can never pass as a skip.
package testenv

import (
	"os"
	"os/exec"
	"strings"
)

// RequireVar is the environment variable that turns a would-be skip into a
// failure. scripts/test.sh sets it.
const RequireVar = "IISKERB_REQUIRE_INTEGRATION"

// TB is the part of testing.TB that Require uses.
type TB interface {
	Helper()
	Skipf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// Require returns the values of the named environment variables, in order.
// If any is unset or empty, the test is skipped, or failed when
// IISKERB_REQUIRE_INTEGRATION is set.
func Require(t TB, names ...string) []string {
	t.Helper()
	vals := make([]string, len(names))
	var missing []string
	for i, n := range names {
		vals[i] = os.Getenv(n)
		if vals[i] == "" {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		msg := "integration environment not set up (" + strings.Join(missing, ", ") + "); run bash scripts/test.sh"
		if os.Getenv(RequireVar) != "" {
			t.Fatalf("%s: %s is set, so a skip is a failure", msg, RequireVar)
		}
		t.Skipf("%s", msg)
	}
	return vals
}

// Strict reports whether integration tests must run (IISKERB_REQUIRE_INTEGRATION set).
func Strict() bool { return os.Getenv(RequireVar) != "" }

// Skip skips the test with the message, or fails it when
// IISKERB_REQUIRE_INTEGRATION is set: the single way an integration test
// may skip.
func Skip(t TB, msg string) {
	t.Helper()
	if Strict() {
		t.Fatalf("%s: %s is set, so a skip is a failure", msg, RequireVar)
	}
	t.Skipf("%s", msg)
}

// LookPath returns the path of the program tool, skipping the test (or
// failing it under IISKERB_REQUIRE_INTEGRATION) when it is not installed.
func LookPath(t TB, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		Skip(t, tool+" not installed")
		return ""
	}
	return p
}
