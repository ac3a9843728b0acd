package diagnose

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"go/token"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/negotiate"
)

func testCheck(id string, sev Severity, run func(ctx context.Context, p *Pass) error, requires ...EvidenceKind) *Check {
	return &Check{ID: id, Name: "Test" + id, Doc: "Test check " + id + "\n\nUsed by the engine tests.",
		Severity: sev, Requires: requires, Run: run}
}

func TestCatalogueWellFormed(t *testing.T) {
	idRe := regexp.MustCompile(`^[A-Z]{3}\d{3}$`)
	seen := map[string]bool{}
	names := map[string]bool{}
	for _, c := range Checks() {
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", c.ID, err)
		}
		if !idRe.MatchString(c.ID) {
			t.Errorf("%s: bad ID", c.ID)
		}
		if seen[c.ID] {
			t.Errorf("duplicate ID %s", c.ID)
		}
		seen[c.ID] = true
		if names[c.Name] {
			t.Errorf("duplicate Name %s", c.Name)
		}
		names[c.Name] = true
		if !token.IsIdentifier(c.Name) {
			t.Errorf("%s: Name %q is not an identifier", c.ID, c.Name)
		}
		lines := strings.Split(c.Doc, "\n")
		if len(lines) < 3 || lines[0] == "" || strings.TrimSpace(lines[1]) != "" {
			t.Errorf("%s: Doc must be title, blank line, explanation", c.ID)
		}
		if c.Title() == "" || c.Explanation() == "" {
			t.Errorf("%s: empty title or explanation", c.ID)
		}
	}
	// Checks returns fresh values: modifying one must not leak.
	if cs := Checks(); len(cs) > 0 {
		cs[0].ID = "ZZZ999"
		if Checks()[0].ID == "ZZZ999" {
			t.Error("Checks shares values between calls")
		}
	}
}

// The minimum catalogue of DESIGN.md section 5. IDs are stable API: this
// list only ever grows.
var designIDs = []string{
	"IIS001", "IIS002", "IIS003", "IIS004", "IIS005", "IIS006", "IIS007", "IIS008", "IIS009", "IIS010",
	"SPN001", "SPN002", "SPN003", "SPN004", "SPN005", "SPN006",
	"KRB001", "KRB002", "NEG001", "NEG002", "NEG003", "NEG004",
	"LOG001", "LOG002", "LOG003",
}

func TestCatalogueHasDesignIDs(t *testing.T) {
	have := map[string]bool{}
	for _, c := range Checks() {
		have[c.ID] = true
	}
	for _, id := range designIDs {
		if !have[id] {
			t.Errorf("check %s missing from Checks()", id)
		}
	}
	// The verdict mapping names checks that exist.
	for id := range verdictByCheck {
		if !have[id] {
			t.Errorf("verdict mapping names unknown check %s", id)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	ok := func(ctx context.Context, p *Pass) error { return nil }
	cases := map[string]*Check{
		"nil":      nil,
		"lower id": {ID: "iis001", Name: "X", Doc: "T\n\nE", Run: ok},
		"long id":  {ID: "IIS0001", Name: "X", Doc: "T\n\nE", Run: ok},
		"bad name": {ID: "TST001", Name: "not-ident", Doc: "T\n\nE", Run: ok},
		"no blank": {ID: "TST001", Name: "X", Doc: "T\nE", Run: ok},
		"no text":  {ID: "TST001", Name: "X", Doc: "T\n\n", Run: ok},
		"no run":   {ID: "TST001", Name: "X", Doc: "T\n\nE"},
		"bad kind": {ID: "TST001", Name: "X", Doc: "T\n\nE", Run: ok, Requires: []EvidenceKind{"bogus"}},
		"bad sev":  {ID: "TST001", Name: "X", Doc: "T\n\nE", Run: ok, Severity: 7},
	}
	for name, c := range cases {
		if err := c.Validate(); err == nil {
			t.Errorf("%s: Validate accepted an invalid check", name)
		}
	}
	if err := testCheck("TST001", Info, ok).Validate(); err != nil {
		t.Errorf("valid check rejected: %v", err)
	}
}

func TestDiagnoseStatuses(t *testing.T) {
	var order []string
	extra := []*Check{
		testCheck("TST001", Warning, func(ctx context.Context, p *Pass) error {
			order = append(order, "TST001")
			return nil
		}),
		testCheck("TST002", Warning, func(ctx context.Context, p *Pass) error {
			order = append(order, "TST002")
			p.Reportf("Default Web Site/app", "something is %s", "wrong")
			return nil
		}),
		testCheck("TST003", Error, func(ctx context.Context, p *Pass) error {
			order = append(order, "TST003")
			panic(errors.New("boom"))
		}),
		testCheck("TST004", Error, func(ctx context.Context, p *Pass) error {
			order = append(order, "TST004")
			p.Reportf("s", "kept before the error")
			return errors.New("directory unreachable")
		}),
		testCheck("TST005", Error, func(ctx context.Context, p *Pass) error {
			t.Error("TST005 ran without its evidence")
			return nil
		}, EvDirectory, EvTickets),
		testCheck("TST006", Warning, func(ctx context.Context, p *Pass) error {
			p.ReportAs(Info, Finding{Subject: "s", Message: "just a note"})
			return nil
		}),
		{ID: "TST007", Name: "Any", Doc: "Any\n\nNeeds one of two.", RequiresAny: []EvidenceKind{EvProbe, EvTokens},
			Run: func(ctx context.Context, p *Pass) error { return nil }},
	}
	rep, err := Diagnose(context.Background(), &Evidence{}, &Options{Extra: extra})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Status{"TST001": StatusPassed, "TST002": StatusFailed, "TST003": StatusError,
		"TST004": StatusError, "TST005": StatusSkipped, "TST006": StatusPassed, "TST007": StatusSkipped}
	for id, st := range want {
		res, ok := rep.Result(id)
		if !ok || res.Status != st {
			t.Errorf("%s: got %+v, want status %s", id, res, st)
		}
	}
	if got := strings.Join(order, ","); got != "TST001,TST002,TST003,TST004" {
		t.Errorf("run order %s", got)
	}
	if r, _ := rep.Result("TST003"); !strings.Contains(r.Reason, "panicked") || !strings.Contains(r.Reason, "engine_test.go") {
		t.Errorf("panic reason %q", r.Reason)
	}
	if r, _ := rep.Result("TST004"); r.Reason != "directory unreachable" {
		t.Errorf("error reason %q", r.Reason)
	}
	if r, _ := rep.Result("TST005"); r.Reason != "missing evidence: directory; tickets" {
		t.Errorf("skip reason %q", r.Reason)
	}
	if r, _ := rep.Result("TST007"); r.Reason != "missing evidence: one of probe, tokens" {
		t.Errorf("skip reason %q", r.Reason)
	}
	if r, _ := rep.Result("TST006"); r.Reason != "1 informational note" {
		t.Errorf("note reason %q", r.Reason)
	}
	f := rep.FindingsOf("TST002")
	if len(f) != 1 || f[0].Severity != Warning || f[0].Subject != "Default Web Site/app" || f[0].Message != "something is wrong" {
		t.Errorf("TST002 findings %+v", f)
	}
	if f := rep.FindingsOf("TST004"); len(f) != 1 || f[0].Severity != Error {
		t.Errorf("findings before an error must be kept: %+v", f)
	}
	if f := rep.FindingsOf("TST006"); len(f) != 1 || f[0].Severity != Info {
		t.Errorf("ReportAs(Info) %+v", f)
	}
	// errors first
	if rep.Findings[0].Severity != Error {
		t.Errorf("findings not sorted by severity: %+v", rep.Findings)
	}
	if !rep.HasErrors() {
		t.Error("HasErrors false")
	}
}

func TestDiagnoseOptions(t *testing.T) {
	ran := map[string]bool{}
	mk := func(id string) *Check {
		return testCheck(id, Warning, func(ctx context.Context, p *Pass) error {
			ran[id] = true
			p.Reportf("x", "finding of %s", id)
			return nil
		})
	}
	extra := []*Check{mk("TST001"), mk("TST002"), mk("TSX003")}
	rep, err := Diagnose(context.Background(), nil, &Options{
		Extra:    extra,
		Checks:   []string{"tst*"},
		Disable:  map[string]string{"TST002": "known issue, ticket 42"},
		Severity: map[string]Severity{"TST001": Error},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !ran["TST001"] || ran["TST002"] || ran["TSX003"] {
		t.Errorf("ran %v", ran)
	}
	if r, _ := rep.Result("TST002"); r.Status != StatusSkipped || r.Reason != "disabled: known issue, ticket 42" {
		t.Errorf("TST002 %+v", r)
	}
	if r, _ := rep.Result("TSX003"); r.Status != StatusSkipped || r.Reason != "not selected" {
		t.Errorf("TSX003 %+v", r)
	}
	if f := rep.FindingsOf("TST001"); len(f) != 1 || f[0].Severity != Error {
		t.Errorf("severity override: %+v", f)
	}
	for i := 0; i < 20; i++ { // map order must not matter
		rep, err := Diagnose(context.Background(), nil, &Options{Extra: extra,
			Severity: map[string]Severity{"TS*": Info, "TST001": Error, "T*": Warning}})
		if err != nil {
			t.Fatal(err)
		}
		if f := rep.FindingsOf("TST001"); f[0].Severity != Error {
			t.Fatalf("exact ID must win over globs: %v", f[0].Severity)
		}
	}

	bad := []*Options{
		{Extra: extra, Disable: map[string]string{"TST001": "  "}},
		{Extra: extra, Checks: []string{"NOPE*"}},
		{Extra: extra, Checks: []string{"[bad"}},
		{Extra: extra, Severity: map[string]Severity{"TST009": Error}},
		{Extra: extra, Severity: map[string]Severity{"TST001": 9}},
		{Extra: []*Check{mk("TST001"), mk("TST001")}},
		{Extra: []*Check{{ID: "bad"}}},
		{Profile: &Profile{}},
	}
	for i, o := range bad {
		_, err := Diagnose(context.Background(), nil, o)
		var oe *OptionsError
		if !errors.As(err, &oe) {
			t.Errorf("case %d: got %v, want *OptionsError", i, err)
		}
	}
}

func TestDiagnoseCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Diagnose(ctx, nil, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	ranSecond := false
	extra := []*Check{
		testCheck("TST001", Info, func(ctx context.Context, p *Pass) error {
			cancel()
			return ctx.Err()
		}),
		testCheck("TST002", Info, func(ctx context.Context, p *Pass) error {
			ranSecond = true
			return nil
		}),
	}
	if _, err := Diagnose(ctx, nil, &Options{Extra: extra}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancel during run: %v", err)
	}
	if ranSecond {
		t.Error("a check ran after cancellation")
	}
	// A check returning context.Canceled of its own while ctx is live is
	// a check error, not a cancellation of the run.
	extra = []*Check{testCheck("TST001", Info, func(ctx context.Context, p *Pass) error {
		return context.Canceled
	})}
	rep, err := Diagnose(context.Background(), nil, &Options{Extra: extra})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := rep.Result("TST001"); r.Status != StatusError {
		t.Errorf("got %+v", r)
	}
}

func TestPassShared(t *testing.T) {
	calls := 0
	compute := func() (any, error) { calls++; return 42, nil }
	mk := func(id string) *Check {
		return testCheck(id, Info, func(ctx context.Context, p *Pass) error {
			v, err := p.Shared("test:answer", compute)
			if err != nil || v.(int) != 42 {
				t.Errorf("shared %v %v", v, err)
			}
			_, err = p.Shared("test:panic", func() (any, error) { panic("boom") })
			if err == nil || !strings.Contains(err.Error(), "boom") {
				t.Errorf("shared panic: %v", err)
			}
			p.Warn(EvidenceWarning{Source: "x.log", Locator: "3", Message: "truncated line"})
			return nil
		})
	}
	rep, err := Diagnose(context.Background(), &Evidence{Warnings: []EvidenceWarning{{Source: "a.txt", Message: "unrecognised"}}},
		&Options{Extra: []*Check{mk("TST001"), mk("TST002")}})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("compute called %d times", calls)
	}
	if len(rep.Warnings) != 2 || rep.Warnings[0].Source != "a.txt" || rep.Warnings[1].String() != "x.log:3: truncated line" {
		t.Errorf("warnings %+v", rep.Warnings)
	}
}

func verdictOf(rep *Report) map[string][]string {
	m := map[string][]string{}
	for _, v := range rep.Verdict {
		m[v.Scenario] = v.Findings
	}
	return m
}

func TestVerdict(t *testing.T) {
	report := func(id string, sev Severity, subject string) *Check {
		return testCheck(id, sev, func(ctx context.Context, p *Pass) error {
			p.Reportf(subject, "finding")
			return nil
		})
	}
	// Use catalogue IDs through a fresh ID space: LOG001/NEG002 may not be
	// implemented yet, so build the report by hand where needed.
	ev := &Evidence{Scenario: Scenario{NTLMDisabled: true}}
	rep, err := Diagnose(context.Background(), ev, &Options{Profile: ITMSProfile(), Extra: []*Check{
		report("TST001", Error, "Default Web Site/Altiris/TaskManagement/CTAgent"),
		report("TST002", Warning, "Default Web Site/Altiris/NS/Agent"),
		report("TST003", Info, "/Altiris/ClientTaskServer/Register.aspx"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	v := verdictOf(rep)
	// A configuration finding on a Task Server path explains failed
	// registrations but is not their symptom: without log evidence of
	// failed registrations the row does not apply.
	if got, ok := v[ScenarioTaskServer]; ok {
		t.Errorf("task server row without a registration symptom: %v", got)
	}
	if got := v[ScenarioNTLMDisabled]; strings.Join(got, ",") != "TST001,TST002" {
		t.Errorf("NTLM disabled row %v", got)
	}
	if _, ok := v[ScenarioRepeatedAuthErrors]; ok {
		t.Error("repeated errors row without log findings")
	}

	// Check-ID driven rows, on a hand-made report.
	rep = &Report{Findings: []Finding{
		{CheckID: "LOG001", Severity: Error, Subject: "logs/agent/a.log"},
		{CheckID: "LOG002", Severity: Warning, Subject: "/Altiris/ClientTaskServer/Register.aspx"},
		{CheckID: "NEG002", Severity: Info, Subject: "https://ns01/Altiris/NS/Agent"},
	}}
	rows := computeVerdict(&Evidence{}, ITMSProfile(), rep)
	var scen []string
	for _, r := range rows {
		scen = append(scen, r.Scenario)
	}
	want := []string{ScenarioKerberosFallback, ScenarioTaskServer, ScenarioRepeatedAuthErrors}
	if strings.Join(scen, "|") != strings.Join(want, "|") {
		t.Errorf("rows %v, want %v", scen, want)
	}
	v = map[string][]string{}
	for _, r := range rows {
		v[r.Scenario] = r.Findings
	}
	if strings.Join(v[ScenarioTaskServer], ",") != "LOG001,LOG002" {
		t.Errorf("task server %v", v[ScenarioTaskServer])
	}
	if strings.Join(v[ScenarioRepeatedAuthErrors], ",") != "LOG001,LOG002" {
		t.Errorf("repeated %v", v[ScenarioRepeatedAuthErrors])
	}
	for _, r := range rows {
		if r.Expected != (r.Scenario == ScenarioKerberosFallback) {
			t.Errorf("%s expected=%v", r.Scenario, r.Expected)
		}
	}

	// A probe that authenticated with Kerberos is a note; the firewall row
	// needs the administrator's word.
	kerbProbe := []*negotiate.Transcript{{URL: "https://web01/", Mechanism: "Kerberos", Authenticated: true}}
	if rows = computeVerdict(&Evidence{Probes: kerbProbe}, GenericProfile(), &Report{}); len(rows) != 0 {
		t.Errorf("firewall row from a probe alone: %+v", rows)
	}
	rows = computeVerdict(&Evidence{Probes: kerbProbe, Scenario: Scenario{FirewallShowsServiceAccount: true}}, GenericProfile(), &Report{})
	if len(rows) != 1 || rows[0].Scenario != ScenarioFirewallIdentity || !strings.Contains(rows[0].Reason, "probe of https://web01/") {
		t.Errorf("firewall rows from probe %+v", rows)
	}
	rows = computeVerdict(&Evidence{Probes: []*negotiate.Transcript{{URL: "https://web01/", Mechanism: "NTLM", Authenticated: true}}}, GenericProfile(), &Report{})
	if len(rows) != 0 {
		t.Errorf("NTLM probe put rows in the verdict: %+v", rows)
	}

	// Firewall row from the administrator's statement.
	rows = computeVerdict(&Evidence{Scenario: Scenario{FirewallShowsServiceAccount: true}}, GenericProfile(), &Report{})
	if len(rows) != 1 || rows[0].Scenario != ScenarioFirewallIdentity || !rows[0].Expected || rows[0].Action != "Usually none" {
		t.Errorf("firewall rows %+v", rows)
	}
}

func TestProfiles(t *testing.T) {
	itms := ITMSProfile()
	if itms.Name != "itms" || len(itms.Paths) < 5 {
		t.Fatalf("itms profile %+v", itms)
	}
	for _, kb := range []string{"173598", "261039", "155783"} {
		if itms.KB[kb] == "" {
			t.Errorf("KB %s not described", kb)
		}
	}
	var roles []string
	for _, p := range itms.Paths {
		roles = append(roles, p.Role)
		for _, kb := range p.KB {
			if itms.KB[kb] == "" {
				t.Errorf("%s cites unknown KB %s", p.Path, kb)
			}
		}
	}
	sort.Strings(roles)
	if !strings.Contains(strings.Join(roles, ","), "task-server,task-server") {
		t.Errorf("roles %v", roles)
	}
	itms.Paths[0].Path = "changed"
	if ITMSProfile().Paths[0].Path == "changed" {
		t.Error("ITMSProfile shares state")
	}
	cases := []struct {
		subject, want string
	}{
		{"Default Web Site/Altiris/TaskManagement/CTAgent", "Default Web Site/Altiris/TaskManagement/CTAgent"},
		{"default web site/altiris/taskmanagement/ctagent/GetClientTaskServers.aspx", "Default Web Site/Altiris/TaskManagement/CTAgent"},
		{"/Altiris/ClientTaskServer/Register.aspx?x=1", "Default Web Site/Altiris/ClientTaskServer"},
		{"https://ns01.example.com/Altiris/NS/Agent/CreateResource.aspx", "Default Web Site/Altiris/NS/Agent"},
		{"Default Web Site/Altiris/NSX", ""},
		{"Other Site/Altiris/NS/Agent", ""},
		{"", ""},
	}
	itms = ITMSProfile()
	for _, c := range cases {
		pp, ok := itms.Match(c.subject)
		got := ""
		if ok {
			got = pp.Path
		}
		if got != c.want {
			t.Errorf("Match(%q) = %q, want %q", c.subject, got, c.want)
		}
	}
	wild := &Profile{Name: "w", Paths: []ProfilePath{{Path: "*/App/Api"}}}
	if _, ok := wild.Match("Any Site/app/api/x"); !ok {
		t.Error("wildcard site did not match")
	}
	if _, err := ParseProfile(strings.NewReader(`{"name":"x","pathz":[]}`)); err == nil {
		t.Error("unknown field accepted")
	}
	if _, err := ParseProfile(strings.NewReader(`{"name":"x","paths":[{"path":"a/b"},{"path":"A/B/"}]}`)); err == nil {
		t.Error("duplicate path accepted")
	}
	if _, err := ProfileByName("nope"); err == nil {
		t.Error("unknown profile name accepted")
	}
	if g := GenericProfile(); g.Name != "generic" || !g.IncludeWindowsAuthPaths || len(g.Paths) != 0 {
		t.Errorf("generic %+v", g)
	}
}

func sampleReport() *Report {
	return &Report{
		Profile: "itms",
		Verdict: []VerdictRow{{Scenario: ScenarioTaskServer, Action: "Investigate", Findings: []string{"TST001"}, Reason: "because"}},
		Findings: []Finding{{
			CheckID: "TST001", Severity: Error, Subject: "Default Web Site/Altiris/TaskManagement/CTAgent",
			Message:  "authPersistNonNTLM is false",
			Evidence: []EvidenceRef{{Source: "applicationHost.config", Locator: "412", Detail: `authPersistNonNTLM="false"`}},
			Remediation: []Remedy{{Summary: "Set authPersistNonNTLM to True", Commands: []string{
				`%windir%\system32\inetsrv\appcmd.exe set config "Default Web Site/Altiris/TaskManagement/CTAgent" /commit:apphost -section:system.webServer/security/authentication/windowsAuthentication /authPersistNonNTLM:"True"`}}},
		}, {CheckID: "TST002", Severity: Warning, Subject: "HTTP/ns01", Message: "a|b",
			Remediation: []Remedy{{Summary: "Put NTLM first", Tradeoff: "NTLM is weaker"}}}},
		Results:  []CheckResult{{CheckID: "TST001", Status: StatusFailed, Reason: "1 finding"}, {CheckID: "TST003", Status: StatusSkipped, Reason: "missing evidence: tickets"}, {CheckID: "TST004", Status: StatusPassed}, {CheckID: "TST005", Status: StatusSkipped, Reason: reasonNotSelected}},
		Warnings: []EvidenceWarning{{Source: "setspn/x.txt", Message: "not recognised"}},
		Notes:    []string{"profile path Default Web Site/Altiris/PS is not on this server"},
	}
}

func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteText(&b, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"✗ Agents cannot register with Task Server: investigate (not expected)",
		"FINDINGS",
		"[error] TST001 authPersistNonNTLM is false",
		"evidence: applicationHost.config:412: authPersistNonNTLM=\"false\"",
		"          %windir%\\system32\\inetsrv\\appcmd.exe set config",
		"tradeoff: NTLM is weaker",
		"skipped for lack of evidence: TST003",
		"setspn/x.txt: not recognised",
		"profile path Default Web Site/Altiris/PS",
		"(1 check not selected)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour without Color")
	}
	if strings.Contains(out, "TST004") {
		t.Error("passed check listed without Verbose")
	}
	b.Reset()
	_ = sampleReport().WriteText(&b, TextOptions{Color: true, Verbose: true})
	if !strings.Contains(b.String(), ansiRed) || !strings.Contains(b.String(), "TST004") {
		t.Error("Color/Verbose ignored")
	}
}

func TestWriteJSONKeys(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	keys := func(v any) string {
		var ks []string
		for k := range v.(map[string]any) {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return strings.Join(ks, ",")
	}
	if got := keys(m); got != "after_plan,findings,generated_at,notes,plan,profile,results,root_causes,schema_version,summary,tool,verdict,warnings" {
		t.Errorf("report keys %s", got)
	}
	f := m["findings"].([]any)[0]
	if got := keys(f); got != "check_id,evidence,id,message,remediation,severity,subject" {
		t.Errorf("finding keys %s", got)
	}
	fm := f.(map[string]any)
	if fm["severity"] != "error" {
		t.Errorf("severity %v", fm["severity"])
	}
	if got := keys(fm["evidence"].([]any)[0]); got != "detail,locator,source" {
		t.Errorf("evidence keys %s", got)
	}
	if got := keys(fm["remediation"].([]any)[0]); got != "commands,summary" {
		t.Errorf("remedy keys %s", got)
	}
	if got := keys(m["results"].([]any)[0]); got != "check_id,reason,status" {
		t.Errorf("result keys %s", got)
	}
	if got := keys(m["verdict"].([]any)[0]); got != "action,action_id,expected,findings,id,reason,scenario,title" { // no members in a hand-made row
		t.Errorf("verdict keys %s", got)
	}
	// Round trip.
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Findings[0].Severity != Error || back.Findings[1].Severity != Warning {
		t.Errorf("severity round trip %+v", back.Findings)
	}
	// Empty report: lists are [] not null.
	b.Reset()
	_ = (&Report{}).WriteJSON(&b)
	if strings.Contains(b.String(), "null") {
		t.Errorf("null in empty report: %s", b.String())
	}
}

func TestWriteMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"| Agents cannot register with Task Server | no | Investigate | TST001 | because |",
		"### Agents cannot register with Task Server",
		"- **error** `TST001` `Default Web Site/Altiris/TaskManagement/CTAgent`: authPersistNonNTLM is false",
		"  - evidence: `applicationHost.config:412`: authPersistNonNTLM=\"false\"",
		"    ```cmd\n    %windir%",
		"a|b",
		"| TST003 | skipped | missing evidence: tickets |",
		"## Evidence warnings",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
}

func TestEvidenceWhere(t *testing.T) {
	for _, c := range []struct {
		ref  EvidenceRef
		want string
	}{
		{EvidenceRef{Source: "applicationHost.config", Locator: "412"}, "applicationHost.config:412"},
		{EvidenceRef{Source: "applicationHost.config", Locator: "applicationHost.config:28"}, "applicationHost.config:28"},
		{EvidenceRef{Source: "applicationHost.config", Locator: "schema default"}, "applicationHost.config (schema default)"},
		{EvidenceRef{Source: "setspn/a.txt"}, "setspn/a.txt"},
		{EvidenceRef{Locator: "line 3"}, "line 3"},
	} {
		if got := c.ref.Where(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.ref, got, c.want)
		}
	}
}

func TestSeverityText(t *testing.T) {
	for _, s := range []Severity{Info, Warning, Error} {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Severity
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("%v round trip %v %v", s, back, err)
		}
	}
	if _, err := Severity(5).MarshalText(); err == nil {
		t.Error("invalid severity marshalled")
	}
	if _, err := ParseSeverity("fatal"); err == nil {
		t.Error("unknown severity parsed")
	}
}
