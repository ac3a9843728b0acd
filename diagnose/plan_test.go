package diagnose

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/spn"
)

// TestPlanClaims runs every scenario bundle and checks the plan against its
// own simulation: no step claims a root cause the simulation leaves, no
// resolved root cause has a finding left, steps run directory changes
// before IIS changes before clients, each step has one shell, and the
// NTLM-first workaround is never recommended.
func TestPlanClaims(t *testing.T) {
	n := 0
	for _, dir := range scenarioDirs(t) {
		n++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var rep Report
			if err := json.Unmarshal(runScenario(t, dir), &rep); err != nil {
				t.Fatal(err)
			}
			checkPlanClaims(t, &rep)
		})
	}
	if n == 0 {
		t.Fatal("no scenarios")
	}
	// The bundled sample, too.
	t.Run("sample-bundle", func(t *testing.T) {
		rep := diagnoseBundle(t, "sample")
		checkPlanClaims(t, rep)
		if rep.Summary.Status != StatusProblems || len(rep.RootCauses) == 0 || len(rep.Plan) == 0 {
			t.Errorf("sample: status %s, %d root causes, %d steps", rep.Summary.Status, len(rep.RootCauses), len(rep.Plan))
		}
		if rep.AfterPlan.Errors != 0 {
			t.Errorf("sample: the plan leaves %d errors: %v", rep.AfterPlan.Errors, rep.AfterPlan.Remaining)
		}
	})
}

func checkPlanClaims(t *testing.T, rep *Report) {
	t.Helper()
	rcs := map[string]*RootCause{}
	findings := map[string]*Finding{}
	for i := range rep.Findings {
		f := &rep.Findings[i]
		if f.ID == "" || findings[f.ID] != nil {
			t.Errorf("finding without a unique id: %+v", f)
		}
		findings[f.ID] = f
	}
	for i := range rep.RootCauses {
		rc := &rep.RootCauses[i]
		rcs[rc.ID] = rc
		recommended := 0
		for _, c := range rc.Choices {
			if c.Recommended {
				recommended++
				if strings.HasPrefix(c.Summary, "Workaround") {
					t.Errorf("%s recommends a workaround: %s", rc.ID, c.Summary)
				}
			}
		}
		if recommended > 1 {
			t.Errorf("%s has %d recommended choices", rc.ID, recommended)
		}
		for _, id := range rc.Findings {
			if findings[id] == nil {
				t.Errorf("%s lists unknown finding %s", rc.ID, id)
			}
		}
		if !rc.Resolved {
			continue
		}
		// A resolved cause has none of its findings left.
		for _, id := range rc.Findings {
			f := findings[id]
			if f == nil {
				continue
			}
			for _, left := range rep.AfterPlan.Remaining {
				if strings.HasPrefix(left, f.CheckID+" "+f.Subject+":") {
					t.Errorf("%s is claimed resolved but %s is left after the plan: %s", rc.ID, id, left)
				}
			}
		}
	}
	last := -1
	for _, st := range rep.Plan {
		for _, id := range st.Resolves {
			rc := rcs[id]
			if rc == nil || !rc.Resolved {
				t.Errorf("step %s claims %s, which the simulation does not resolve", st.ID, id)
			}
		}
		if r := whereRank[st.Where]; r < last {
			t.Errorf("step %s (%s) after a later kind of step", st.ID, st.Where)
		} else {
			last = r
		}
		if st.Shell != ShellCmd && st.Shell != ShellPowerShell && st.Shell != "" {
			t.Errorf("step %s shell %q", st.ID, st.Shell)
		}
		if st.Shell != "" && len(st.Commands) == 0 {
			t.Errorf("step %s has a shell and no commands", st.ID)
		}
		for _, c := range st.Commands {
			ps := strings.HasPrefix(c, "Set-") || strings.HasPrefix(c, "Get-") || strings.Contains(c, "-PSPath")
			if ps != (st.Shell == ShellPowerShell) {
				t.Errorf("step %s (%s) has a command for another shell: %s", st.ID, st.Shell, c)
			}
		}
	}
	errors, warnings, _ := rep.Counts()
	investigate := false
	for _, v := range rep.Verdict {
		investigate = investigate || !v.Expected
	}
	if (rep.Summary.Status == StatusProblems) != (errors > 0 || investigate) {
		t.Errorf("status %s with %d errors and investigate=%v", rep.Summary.Status, errors, investigate)
	}
	if rep.Summary.Errors != errors || rep.Summary.Warnings != warnings {
		t.Errorf("summary counts %d/%d, findings %d/%d", rep.Summary.Errors, rep.Summary.Warnings, errors, warnings)
	}
}

// TestUnusableEvidenceNeverPasses gives every kind of evidence a check can
// read, each supplied but unusable: no check may pass.
func TestUnusableEvidenceNeverPasses(t *testing.T) {
	garbage := func(name string) LogFile {
		return LogFile{Name: name, Open: func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader([]byte("\x00\x01not a log at all\n\xff\xfe\n"))), nil
		}}
	}
	ev := &Evidence{
		Host:      Host{Computer: "WEB01", FQDN: "web01.corp.example.com", Role: "notification-server"},
		Scenario:  Scenario{TLSInspection: true},
		IISLogs:   []LogFile{garbage("logs/iis/u_ex1.log")},
		AgentLogs: []LogFile{garbage("logs/agent/a.log")},
		SMPLogs:   []LogFile{garbage("logs/smp/a.log")},
		Unusable: []UnusableEvidence{
			{Kind: EvConfig, Source: "applicationHost.config", Reason: "not XML"},
			{Kind: EvDirectory, Source: "setspn/a.txt", Reason: "not setspn output"},
			{Kind: EvTickets, Source: "klist/a.txt", Reason: "not klist output"},
			{Kind: EvTokens, Source: "http/a.txt", Reason: "not an HTTP exchange"},
			{Kind: EvProbe, Source: "probe", Reason: "refused"},
			{Kind: EvDNS, Source: "dns", Reason: "no answer"},
		},
	}
	rep, err := Diagnose(context.Background(), ev, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if r.Status == StatusPassed {
			t.Errorf("%s passed on unusable evidence", r.CheckID)
		}
		if r.Status == StatusNotVerified && r.Settle == "" {
			t.Errorf("%s not verified without saying what would settle it", r.CheckID)
		}
	}
	if rep.Summary.Status != StatusInconclusive {
		t.Errorf("status %s, want inconclusive: %s", rep.Summary.Status, rep.Summary.Headline)
	}
	for _, src := range []string{"logs/iis/u_ex1.log", "logs/agent/a.log", "logs/smp/a.log", "applicationHost.config"} {
		if !slices.ContainsFunc(rep.Summary.Unusable, func(u UnusableEvidence) bool { return u.Source == src }) {
			t.Errorf("summary does not list %s as unusable: %+v", src, rep.Summary.Unusable)
		}
	}
}

// TestSharedErrorMakesDependentChecksError: a shared computation that fails
// turns every check that used it into "error", even one that ignores the
// returned error.
func TestSharedErrorMakesDependentChecksError(t *testing.T) {
	boom := func(id string) *Check {
		return testCheck(id, Warning, func(ctx context.Context, p *Pass) error {
			_, _ = p.Shared("test:boom", func() (any, error) { return nil, io.ErrUnexpectedEOF })
			return nil // the error is dropped on purpose
		})
	}
	rep, err := Diagnose(context.Background(), &Evidence{}, &Options{Checks: []string{"TST*"}, Extra: []*Check{boom("TST001"), boom("TST002")}})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"TST001", "TST002"} {
		if r, _ := rep.Result(id); r.Status != StatusError || !strings.Contains(r.Reason, "unexpected EOF") {
			t.Errorf("%s: %+v, want error", id, r)
		}
	}
}

// scanCounter counts full scans of a directory.
type scanCounter struct {
	spn.Directory
	scans int
}

func (d *scanCounter) Scan(ctx context.Context, fn func(a *spn.Account) error) (spn.Completeness, error) {
	d.scans++
	return d.Directory.Scan(ctx, fn)
}

// The simulation of a plan reuses the run's directory audit: one full scan
// per Diagnose call, however many trial runs choosing between remedies
// take (a forest-wide LDAP scan is expensive).
func TestSimulationScansTheDirectoryOnce(t *testing.T) {
	ev, err := LoadBundle(context.Background(), filepath.Join("testdata", "scenarios", "SPN002-wrong-account"))
	if err != nil {
		t.Fatal(err)
	}
	var accounts []spn.Account
	if _, err := ev.Directory.Scan(context.Background(), func(a *spn.Account) error {
		c := *a
		c.SPNs = append([]string(nil), a.SPNs...)
		accounts = append(accounts, c)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	dir := &scanCounter{Directory: spn.NewMemoryDirectory(accounts, true)}
	ev.Directory = dir
	rep, err := Diagnose(context.Background(), ev, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Plan) == 0 || !slices.ContainsFunc(rep.Plan, func(s PlanStep) bool { return s.Where == WhereActiveDirectory }) {
		t.Fatalf("want a plan with directory changes: %+v", rep.Plan)
	}
	if dir.scans != 1 {
		t.Errorf("%d directory scans, want 1", dir.scans)
	}
	checkPlanClaims(t, rep)
}
