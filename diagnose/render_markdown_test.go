package diagnose

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

func renderMarkdown(t testing.TB, r *Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := r.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// mdBlock is one fenced code block of a Markdown document.
type mdBlock struct {
	Info  string // the word after the fence
	Lines []string
	Start int // byte offset of the opening fence
}

var mdFenceRE = regexp.MustCompile("^( *)(```+)(.*)$")

// mdBlocks returns the fenced code blocks of md, without their indent.
func mdBlocks(t testing.TB, md string) []mdBlock {
	t.Helper()
	var out []mdBlock
	var cur *mdBlock
	indent, fence := "", ""
	off := 0
	for _, line := range strings.Split(md, "\n") {
		switch {
		case cur == nil:
			if m := mdFenceRE.FindStringSubmatch(line); m != nil {
				cur = &mdBlock{Info: m[3], Start: off}
				indent, fence = m[1], m[2]
			}
		case line == indent+fence:
			out = append(out, *cur)
			cur = nil
		default:
			if !strings.HasPrefix(line, indent) {
				t.Errorf("code block line not indented like its fence: %q", line)
			}
			cur.Lines = append(cur.Lines, strings.TrimPrefix(line, indent))
		}
		off += len(line) + 1
	}
	if cur != nil {
		t.Errorf("unclosed code block %+v", *cur)
	}
	return out
}

// assertMarkdownShells checks that every code block is labelled cmd or
// powershell and holds only commands for that shell.
func assertMarkdownShells(t *testing.T, md string) []mdBlock {
	t.Helper()
	blocks := mdBlocks(t, md)
	for _, b := range blocks {
		if b.Info != ShellCmd && b.Info != ShellPowerShell {
			t.Errorf("code block labelled %q: %v", b.Info, b.Lines)
			continue
		}
		for _, l := range b.Lines {
			if got := commandShell(l); got != b.Info {
				t.Errorf("%s command in a %s block: %s", got, b.Info, l)
			}
		}
	}
	return blocks
}

// The diagnosis in Markdown: the answer, the verdict, root causes with the
// recommended choice marked, the plan with labelled command blocks and what
// it leaves, before the details.
func TestWriteMarkdownDiagnosis(t *testing.T) {
	r := htmlReport()
	md := renderMarkdown(t, r)
	if !strings.HasPrefix(md, "# iiskerb report\n") || !strings.Contains(md, "\n## Verdict\n") {
		t.Fatalf("markdown does not start with the title or lacks the verdict:\n%s", md)
	}

	// Order.
	last := 0
	for _, want := range []string{
		"**" + r.Summary.Headline + "**",
		"- **RC1** (error) authPersistNonNTLM is False on Default Web Site/Altiris/TaskManagement/CTAgent - resolved by the plan\n",
		"- **RC2** (error) HTTP SPNs are registered",
		"- Unusable evidence (agent-logs): `logs/agent/empty.log`: no readable agent log line\n",
		"\n## Verdict\n",
		"\n## Root causes\n",
		"\n### RC1 (error): authPersistNonNTLM is False",
		"- Findings: `IIS003-1`\n",
		"\n### RC2 (error): HTTP SPNs",
		"- On: `HTTP/ns01.example.com`, `Default Web Site/Altiris/TaskManagement/CTAgent`\n",
		"- `NEG002-1` (NEG002): Kerberos was attempted and rejected; the client fell back to NTLM\n",
		"\n## Plan\n",
		"\n### S1 · active-directory · cmd: move HTTP/ns01.example.com from EXAMPLE\\svc-web to EXAMPLE\\NS01$\n\nResolves RC2.\n",
		"\n### S2 · iis-server · powershell: set windowsAuthentication",
		"\n### S3 · client · cmd: discard the cached Kerberos tickets",
		"Resolves no root cause by itself",
		"\n## After the plan\n\nSimulated: 0 errors, 1 warning left.\n",
		"- NEG002 http://ns01.example.com:8080/Altiris/TaskManagement/CTAgent/: Kerberos was attempted and rejected\n",
		"Not simulated:\n\n- client tickets: clients get new tickets after klist purge or expiry\n",
		"\n## Evidence\n",
		"\n## Findings\n",
		"- **error** `IIS003-1` `Default Web Site/Altiris/TaskManagement/CTAgent`: authPersistNonNTLM is false",
		"\n## Checks\n\n1 passed, 3 failed, 1 not verified, 1 skipped, 1 error.\n",
		"| SPN006 | not_verified | RC4-only owners on accounts the evidence does not fully show | an ldifde export (ldifde -f spns.ldf -r \"(servicePrincipalName=\\*)\") or an LDAP query |\n",
		"\n## Evidence warnings\n",
		"\n## Notes\n",
	} {
		i := strings.Index(md[last:], want)
		if i < 0 {
			t.Fatalf("markdown lacks %q after offset %d:\n%s", want, last, md)
		}
		last += i + len(want)
	}

	// Choices: the recommended one marked (whatever its position), with
	// why and tradeoff; exactly one per root cause.
	for _, want := range []string{
		"1. Alternative: Workaround only: list NTLM before Negotiate on CTAgent\n" +
			"   - Why: a workaround, not a fix: it hides the cause\n" +
			"   - Tradeoff: not a fix: agents never use Kerberos\n" +
			"2. **Recommended:** Set authPersistNonNTLM to True on CTAgent (plan S2)\n" +
			"   - Why: fixes the cause; the other choice is a workaround\n" +
			"   - Tradeoff: Kerberos authentication is kept for the whole connection\n",
		"1. **Recommended:** Move the SPN to the computer account (plan S1, S3)\n" +
			"   - Why: the simulation shows it resolves the finding without new errors\n" +
			"2. Alternative: Run the pool as EXAMPLE\\svc-web with useAppPoolCredentials\n" +
			"   - Tradeoff: the password of svc-web must be managed and rotated\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks the choices\n%s\nin\n%s", want, md)
		}
	}
	rcs := md[strings.Index(md, "## Root causes"):strings.Index(md, "## Plan")]
	for _, sec := range strings.Split(rcs, "\n### ")[1:] {
		if n := strings.Count(sec, "**Recommended:**"); n != 1 {
			t.Errorf("%d recommended choices in %s", n, sec)
		}
	}

	// Command blocks: one per plan step in its shell; the remedy of
	// IIS003-1 split into a cmd and a PowerShell block.
	blocks := assertMarkdownShells(t, md)
	plan := strings.Index(md, "\n## Plan\n")
	details := strings.Index(md, "\n## Evidence\n")
	var planBlocks []mdBlock
	for _, b := range blocks {
		if b.Start > plan && b.Start < details {
			planBlocks = append(planBlocks, b)
		}
	}
	if len(planBlocks) != len(r.Plan) {
		t.Fatalf("%d plan code blocks, want %d", len(planBlocks), len(r.Plan))
	}
	for i, b := range planBlocks {
		if st := r.Plan[i]; b.Info != st.Shell || strings.Join(b.Lines, "\n") != strings.Join(st.Commands, "\n") {
			t.Errorf("step %s block %s %v", st.ID, b.Info, b.Lines)
		}
	}
	if !strings.Contains(md, "  - fix: Set authPersistNonNTLM to True on CTAgent\n\n    ```cmd\n    %windir%") ||
		!strings.Contains(md, "    iisreset /noforce\n    ```\n\n    ```powershell\n    Set-WebConfigurationProperty") {
		t.Errorf("remedy commands not split by shell:\n%s", md)
	}
}

// A report without a diagnosis still starts with the answer; prose that
// looks like markup is escaped and commands keep their text.
func TestWriteMarkdownEscapes(t *testing.T) {
	r := &Report{
		Profile: "itms",
		Findings: []Finding{{CheckID: "LOG002", Severity: Error, Subject: "`odd` subject",
			Message:     "Check that HTTP/<host> is registered on *one* account_ and [value='x'](y)",
			Remediation: []Remedy{{Summary: "Run it", Commands: []string{"echo ```", "Get-Item x | Remove-Item"}}}}},
		Results: []CheckResult{{CheckID: "LOG002", Status: StatusFailed, Reason: "a|b"}},
	}
	md := renderMarkdown(t, r)
	for _, want := range []string{
		"# iiskerb report\n\n**Problems: ",
		"## Verdict\n\nNo scenario",
		"`` `odd` subject ``: Check that HTTP/\\<host> is registered on \\*one\\* account\\_ and \\[value='x'](y)\n",
		"    ````cmd\n    echo ```\n    ````\n",
		"    ```powershell\n    Get-Item x | Remove-Item\n    ```\n",
		"| LOG002 | failed | a\\|b |  |\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	for _, absent := range []string{"## Root causes", "## Plan", "## After the plan"} {
		if strings.Contains(md, absent) {
			t.Errorf("markdown without a diagnosis has %q", absent)
		}
	}
	assertMarkdownShells(t, md)
}

// A report through the whole engine: every code block is labelled with
// one shell and holds only its commands.
func TestWriteMarkdownFromBundle(t *testing.T) {
	for _, dir := range []string{"IIS-itms-misconfigured", "KRB002-rc4-ticket", "kb-2-kerberos-fails-ntlm-succeeds"} {
		t.Run(dir, func(t *testing.T) {
			ev, err := LoadBundle(context.Background(), "testdata/scenarios/"+dir)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Diagnose(context.Background(), ev, &Options{Profile: ITMSProfile()})
			if err != nil {
				t.Fatal(err)
			}
			md := renderMarkdown(t, r)
			commands := false
			for _, st := range r.Plan {
				commands = commands || len(st.Commands) > 0
			}
			for _, f := range r.Findings {
				for _, rem := range f.Remediation {
					commands = commands || len(rem.Commands) > 0
				}
			}
			if blocks := assertMarkdownShells(t, md); commands != (len(blocks) > 0) {
				t.Errorf("%d code blocks for a report with commands: %v", len(blocks), commands)
			}
			if len(r.RootCauses) > 0 && strings.Index(md, "## Root causes") > strings.Index(md, "## Findings") {
				t.Error("root causes after the details")
			}
			if len(r.Plan) > 0 && !(strings.Index(md, "## Root causes") < strings.Index(md, "## Plan") &&
				strings.Index(md, "## Plan") < strings.Index(md, "## After the plan") &&
				strings.Index(md, "## After the plan") < strings.Index(md, "## Findings")) {
				t.Error("plan out of order")
			}
		})
	}
}
