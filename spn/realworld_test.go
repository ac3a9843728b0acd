package spn

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// One test per row of testdata/realworld/MANIFEST.tsv: each asserts the
// row's expected_conclusion from the parsed file (copies of
// /work/shared/corpus/realworld/setspn, see testdata/PROVENANCE).

// malformedOf returns the Malformed verdicts of every SPN the output lists.
func malformedOf(o *SetspnOutput) map[string]Verdict {
	out := map[string]Verdict{}
	for _, r := range o.Runs {
		for _, a := range r.Accounts {
			for _, s := range a.SPNs {
				if v, ok := MalformedVerdict(s, a.DN); ok {
					out[s] = v
				}
			}
		}
	}
	return out
}

// MANIFEST: HTTP/marklogic_hostname@ACTIVEDIRECTORY.MARKLOGIC.COM is
// malformed (realm suffix inside the SPN value: clients never request it);
// HTTP/marklogic_hostname uses an underscore host (not a valid DNS host
// name); trailing PS prompt line is noise.
func TestRealworldMarkLogicRealmUnderscorePrompt(t *testing.T) {
	o := parseSetspnFile(t, "realworld/marklogic-setspn-L-realm-in-spn.txt")
	if len(o.Runs) != 1 {
		t.Fatalf("runs = %+v", o.Runs)
	}
	r := o.Runs[0]
	if r.Kind != SetspnList || r.Target != "testuser" || !r.Complete() || len(r.Accounts) != 1 {
		t.Fatalf("run = %+v", r)
	}
	want := []string{"HTTP/marklogic_hostname@ACTIVEDIRECTORY.MARKLOGIC.COM", "HTTP/marklogic_hostname"}
	if got := r.Accounts[0].SPNs; !reflect.DeepEqual(got, want) {
		t.Errorf("SPNs = %q (the prompt line must not be read as one)", got)
	}
	// The prompt line is a warning on line 5.
	if len(o.Warnings) != 1 || o.Warnings[0].Line != 5 || !strings.Contains(o.Warnings[0].Message, "prompt") {
		t.Errorf("warnings = %v", o.Warnings)
	}

	var se *SyntaxError
	_, err := Parse(want[0])
	if !errors.As(err, &se) || se.Advisory() || !hasKind(se, ProblemRealm) {
		t.Errorf("realm value: %v", err)
	}
	_, err = Parse(want[1])
	if !errors.As(err, &se) || !se.Advisory() || !hasKind(se, ProblemUnderscore) {
		t.Errorf("underscore value: %v", err)
	}
	m := malformedOf(o)
	if v := m[want[0]]; !strings.Contains(v.Detail, "realm suffix") || !strings.Contains(v.Detail, "clients never request it") || len(v.Fix) == 0 {
		t.Errorf("realm verdict = %+v", v)
	}
	if v := m[want[1]]; !strings.Contains(v.Detail, "not valid in a DNS host name") || len(v.Fix) != 0 {
		t.Errorf("underscore verdict = %+v", v)
	}

	// Evaluate reports both on the decrypting account.
	d := NewOfflineDirectory(OfflineInput{Setspn: []*SetspnOutput{o}})
	vs, err := Evaluate(context.Background(), d, []Expectation{{SPN: New("HTTP", "marklogic_hostname"), Owner: AccountOwner("testuser")}})
	if err != nil {
		t.Fatal(err)
	}
	var mal []string
	for _, v := range vs {
		if v.Kind == Malformed {
			mal = append(mal, v.SPN)
		}
	}
	if vs[0].Kind != OK || !reflect.DeepEqual(mal, want) {
		t.Errorf("verdicts %v, malformed %q", kinds(vs), mal)
	}
}

// MANIFEST: setspn -L of a user account holding 20 MSSQLSvc SPNs; one value
// MSSQLSvc/-sqlread:31436 has an invalid host label (leading hyphen); no
// HTTP SPNs; no duplicates within one account. (The RC4 part is
// TestRealworldSetspnNoRC4Claim.)
func TestRealworldSQLDocsLeadingHyphen(t *testing.T) {
	o := parseSetspnFile(t, "realworld/sqldocs-ru-bdc-setspn-L-mssql-master.txt")
	if len(o.Runs) != 1 || len(o.Warnings) != 0 {
		t.Fatalf("runs %+v warnings %v", o.Runs, o.Warnings)
	}
	a := o.Runs[0].Accounts[0]
	if a.DN != "CN=mssql-master,OU=bdc,DC=mydomain,DC=com" || len(a.SPNs) != 20 {
		t.Fatalf("account = %+v", a)
	}
	for _, s := range a.SPNs {
		if !strings.HasPrefix(s, "MSSQLSvc/") {
			t.Errorf("non-MSSQLSvc SPN %q", s)
		}
	}
	m := malformedOf(o)
	if len(m) != 1 {
		t.Errorf("malformed = %v, want only MSSQLSvc/-sqlread:31436", m)
	}
	v, ok := m["MSSQLSvc/-sqlread:31436"]
	if !ok || !strings.Contains(v.Detail, "invalid host label") || !strings.Contains(v.Detail, `"-sqlread" starts with a hyphen`) {
		t.Errorf("verdict = %+v", v)
	}
	dups, _, _ := Duplicates(context.Background(), NewOfflineDirectory(OfflineInput{Setspn: []*SetspnOutput{o}}))
	if len(dups) != 0 {
		t.Errorf("duplicates within one account: %+v", dups)
	}
}

// MANIFEST: forest-wide setspn -X: MSSQLSvc/sqlserver.corp.firma.com
// duplicated on CN=sqlservice_old and CN=sqlservice_new (error); paste lacks
// the final "found N group" line, so the scan may be truncated. (The
// NetBIOS part is TestRealworldSetspnXNoInventedDomain.)
func TestRealworldTrBlogForestIncomplete(t *testing.T) {
	o := parseSetspnFile(t, "realworld/tr-blog-setspn-X-F-mssql-dup.txt")
	if len(o.Runs) != 1 {
		t.Fatalf("runs = %+v", o.Runs)
	}
	r := o.Runs[0]
	if r.Kind != SetspnDuplicates || !r.Forest || r.Scope != "DC=corp,DC=firma,DC=com" || r.Finished || r.Complete() || r.Entries != 1 {
		t.Errorf("run = %+v", r)
	}
	if len(r.Duplicates) != 1 || r.Duplicates[0].SPN != "MSSQLSvc/sqlserver.corp.firma.com" || len(r.Duplicates[0].Owners) != 2 ||
		r.Duplicates[0].Owners[0].DN != "CN=sqlservice_old,OU=Service Accounts,DC=corp,DC=firma,DC=com" {
		t.Errorf("groups = %+v", r.Duplicates)
	}
	_, comp, err := Duplicates(context.Background(), NewOfflineDirectory(OfflineInput{Setspn: []*SetspnOutput{o}}))
	if comp.Complete || !errors.Is(err, ErrIncomplete) || !strings.Contains(comp.Reason, "found N group") {
		t.Errorf("completeness %+v %v", comp, err)
	}
}

// MANIFEST: complete setspn -x run: 0 duplicate groups (no "Checking domain"
// line in the paste); domain-wide "no duplicates" is proven.
func TestRealworldSupportArticlesZeroGroups(t *testing.T) {
	o := parseSetspnFile(t, "realworld/supportarticles-smtpsvc-setspn-x-zero.txt")
	if len(o.Runs) != 1 || len(o.Warnings) != 0 {
		t.Fatalf("runs %+v warnings %v", o.Runs, o.Warnings)
	}
	r := o.Runs[0]
	if r.Kind != SetspnDuplicates || !r.Complete() || r.Groups != 0 || r.Command != "SetSPN -x" || r.Scope != "" {
		t.Errorf("run = %+v", r)
	}
	dups, comp, err := Duplicates(context.Background(), NewOfflineDirectory(OfflineInput{Setspn: []*SetspnOutput{o}}))
	if len(dups) != 0 || !comp.Complete || err != nil {
		t.Errorf("duplicates %+v %+v %v", dups, comp, err)
	}
}

func hasKind(se *SyntaxError, k ProblemKind) bool {
	for _, p := range se.Problems {
		if p.Kind == k {
			return true
		}
	}
	return false
}
