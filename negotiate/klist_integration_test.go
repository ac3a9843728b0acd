package negotiate

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

// TestParseKlistRealMIT runs the real MIT kinit, kvno and klist against the
// throwaway realm of testenv/kerberos and parses what klist prints, in each
// of its output modes.
func TestParseKlistRealMIT(t *testing.T) {
	v := testenv.Require(t, "IISKERB_KRB5_CONF", "IISKERB_USER", "IISKERB_USER_KEYTAB", "IISKERB_HTTP_SPN", "IISKERB_REALM")
	conf, user, keytab, httpSPN, realm := v[0], v[1], v[2], v[3], v[4]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cc := "FILE:" + filepath.Join(t.TempDir(), "ccache")
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Env = append(os.Environ(), "KRB5_CONFIG="+conf, "KRB5CCNAME="+cc, "LC_ALL=C")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	run("kinit", "-k", "-t", keytab, user)
	run("kvno", httpSPN)
	for _, flags := range [][]string{nil, {"-e"}, {"-f"}, {"-e", "-f"}} {
		out := run("klist", flags...)
		k, err := ParseKlist(strings.NewReader(out))
		if err != nil {
			t.Fatalf("klist %v: %v\n%s", flags, err, out)
		}
		if k.Format != KlistMIT || !strings.HasPrefix(k.Client, user) || k.Cache != cc {
			t.Fatalf("klist %v: %+v", flags, k)
		}
		ts := k.Find(httpSPN + "@" + realm)
		if len(ts) != 1 {
			t.Fatalf("klist %v: no ticket for %s in %+v", flags, httpSPN, k.Tickets)
		}
		tk := ts[0]
		if tk.Realm != realm || tk.Start.IsZero() || !tk.End.After(tk.Start) {
			t.Errorf("klist %v: ticket %+v", flags, tk)
		}
		if strings.Contains(strings.Join(flags, ""), "e") && (tk.EncTypeID != 18 && tk.EncTypeID != 17) {
			t.Errorf("klist %v: enctype %q (%d), want AES", flags, tk.EncType, tk.EncTypeID)
		}
		if strings.Contains(strings.Join(flags, ""), "f") && len(tk.Flags) == 0 {
			t.Errorf("klist %v: no flags", flags)
		}
	}
}
