package spn

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

func TestParseValid(t *testing.T) {
	tests := []struct {
		in                  string
		class, host, svc    string
		port                int
		wantString, wantKey string
	}{
		{"HTTP/web01", "HTTP", "web01", "", 0, "HTTP/web01", "http/web01"},
		{"HTTP/Web01.Corp.Example.com", "HTTP", "Web01.Corp.Example.com", "", 0, "HTTP/Web01.Corp.Example.com", "http/web01.corp.example.com"},
		{"MSSQLSvc/sql01.corp.example.com:1433", "MSSQLSvc", "sql01.corp.example.com", "", 1433, "MSSQLSvc/sql01.corp.example.com:1433", "mssqlsvc/sql01.corp.example.com:1433"},
		{"ldap/dc01.corp.example.com/corp.example.com", "ldap", "dc01.corp.example.com", "corp.example.com", 0, "ldap/dc01.corp.example.com/corp.example.com", "ldap/dc01.corp.example.com/corp.example.com"},
		{"GC/dc01.corp.example.com:3268/corp.example.com", "GC", "dc01.corp.example.com", "corp.example.com", 3268, "GC/dc01.corp.example.com:3268/corp.example.com", "gc/dc01.corp.example.com:3268/corp.example.com"},
	}
	for _, tt := range tests {
		s, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if s.ServiceClass != tt.class || s.Host != tt.host || s.ServiceName != tt.svc || s.Port != tt.port {
			t.Errorf("Parse(%q) = %+v", tt.in, s)
		}
		if s.String() != tt.wantString || s.Key() != tt.wantKey {
			t.Errorf("Parse(%q): String %q Key %q", tt.in, s.String(), s.Key())
		}
		if len(s.Problems()) != 0 {
			t.Errorf("Parse(%q).Problems() = %v", tt.in, s.Problems())
		}
	}
}

func TestParseMalformed(t *testing.T) {
	tests := []struct {
		in   string
		want []ProblemKind
		fix  string // Repaired().String(), "" = not repairable
	}{
		{"HTTP/https://portal.example.com", []ProblemKind{ProblemScheme}, "HTTP/portal.example.com"},
		{"HTTP/http://portal.example.com/app/", []ProblemKind{ProblemScheme, ProblemPath}, "HTTP/portal.example.com"},
		{"HTTP/portal.example.com/Altiris", []ProblemKind{ProblemPath}, "HTTP/portal.example.com"},
		{"HTTP/portal.example.com.", []ProblemKind{ProblemTrailingDot}, "HTTP/portal.example.com"},
		{"HTTP/portal.example.com ", []ProblemKind{ProblemWhitespace}, "HTTP/portal.example.com"},
		{"HTTP/portal example", []ProblemKind{ProblemWhitespace}, ""},
		{"HTTP/portal:http", []ProblemKind{ProblemBadPort}, "HTTP/portal"},
		{"HTTP/portal:70000", []ProblemKind{ProblemBadPort}, "HTTP/portal"},
		{"HTTP/portal:", []ProblemKind{ProblemBadPort}, "HTTP/portal"},
		{"HTTP/", []ProblemKind{ProblemEmptyHost}, ""},
		{"HTTP/:80", []ProblemKind{ProblemEmptyHost}, ""},
		{"portal.example.com", []ProblemKind{ProblemNoClass}, ""},
		{"/portal", []ProblemKind{ProblemNoClass}, ""},
		{"HTTP/por;tal", []ProblemKind{ProblemHostCharacters}, ""},
		{"", []ProblemKind{ProblemNoClass}, ""},
		{"HTTP/web01@CORP.EXAMPLE.COM", []ProblemKind{ProblemRealm}, "HTTP/web01"},
		{"MSSQLSvc/sql01.corp.example.com:1433@CORP.EXAMPLE.COM", []ProblemKind{ProblemRealm}, "MSSQLSvc/sql01.corp.example.com:1433"},
		{"HTTP/web01@", []ProblemKind{ProblemRealm}, "HTTP/web01"},
		{"HTTP/marklogic_hostname@ACTIVEDIRECTORY.MARKLOGIC.COM", []ProblemKind{ProblemRealm, ProblemUnderscore}, "HTTP/marklogic_hostname"},
		{"MSSQLSvc/-sqlread:31436", []ProblemKind{ProblemHostLabel}, ""},
		{"HTTP/web-.example.com", []ProblemKind{ProblemHostLabel}, ""},
		{"HTTP/web..example.com", []ProblemKind{ProblemHostLabel}, ""},
		{"HTTP/.example.com", []ProblemKind{ProblemHostLabel}, ""},
		{"HTTP/" + strings.Repeat("a", 64) + ".example.com", []ProblemKind{ProblemHostLabel}, ""},
		{"HTTP/under_score.example.com", []ProblemKind{ProblemUnderscore}, ""},
	}
	for _, tt := range tests {
		s, err := Parse(tt.in)
		var se *SyntaxError
		if !errors.As(err, &se) || !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%q): err = %v, want *SyntaxError", tt.in, err)
			continue
		}
		got := map[ProblemKind]bool{}
		for _, p := range se.Problems {
			got[p.Kind] = true
		}
		for _, k := range tt.want {
			if !got[k] {
				t.Errorf("Parse(%q): problems %v lack %v", tt.in, se.Problems, k)
			}
		}
		if s.String() != tt.in {
			t.Errorf("Parse(%q).String() = %q, want the original text", tt.in, s.String())
		}
		r, ok := s.Repaired()
		switch {
		case tt.fix == "" && ok:
			t.Errorf("Parse(%q).Repaired() = %q, want not repairable", tt.in, r)
		case tt.fix != "" && (!ok || r.String() != tt.fix):
			t.Errorf("Parse(%q).Repaired() = %q, %v; want %q", tt.in, r, ok, tt.fix)
		}
	}
}

// An underscore is flagged, not condemned: the SyntaxError says it is
// advisory, and an expected SPN with one is still checked for ownership.
func TestParseAdvisory(t *testing.T) {
	var se *SyntaxError
	_, err := Parse("HTTP/marklogic_hostname")
	if !errors.As(err, &se) || !se.Advisory() || len(se.Problems) != 1 || se.Problems[0].Kind != ProblemUnderscore {
		t.Errorf("underscore: %v", err)
	}
	_, err = Parse("HTTP/marklogic_hostname@ACTIVEDIRECTORY.MARKLOGIC.COM")
	if !errors.As(err, &se) || se.Advisory() {
		t.Errorf("realm and underscore: %v", err)
	}
	for k := ProblemNoClass; k <= ProblemUnderscore; k++ {
		if k.String() == "unknown problem" || k.Advisory() != (k == ProblemUnderscore) {
			t.Errorf("kind %d: %q advisory %v", k, k, k.Advisory())
		}
	}

	v, ok := MalformedVerdict("HTTP/marklogic_hostname", "testuser")
	if !ok || v.Kind != Malformed || len(v.Fix) != 0 || !strings.Contains(v.Detail, "not valid in a DNS host name") || !strings.Contains(v.Note, "setspn -D HTTP/marklogic_hostname testuser") {
		t.Errorf("advisory verdict = %+v", v)
	}
	v, ok = MalformedVerdict("HTTP/marklogic_hostname@ACTIVEDIRECTORY.MARKLOGIC.COM", "testuser")
	if !ok || len(v.Fix) != 2 || v.Fix[0] != "setspn -D HTTP/marklogic_hostname@ACTIVEDIRECTORY.MARKLOGIC.COM testuser" ||
		v.Fix[1] != "setspn -S HTTP/marklogic_hostname testuser" || !strings.Contains(v.Detail, "realm suffix") {
		t.Errorf("realm verdict = %+v", v)
	}
	v, ok = MalformedVerdict("MSSQLSvc/-sqlread:31436", "mssql-master")
	if !ok || !reflect.DeepEqual(v.Fix, []string{"setspn -D MSSQLSvc/-sqlread:31436 mssql-master"}) || !strings.Contains(v.Detail, "starts with a hyphen") {
		t.Errorf("hyphen verdict = %+v", v)
	}

	d := NewMemoryDirectory([]Account{{Name: `CORP\svc_web`, SPNs: []string{"HTTP/web_01.corp.example.com"}}}, true)
	vs, err := Evaluate(context.Background(), d, []Expectation{{SPN: New("HTTP", "web_01.corp.example.com"), Owner: AccountOwner(`CORP\svc_web`)}})
	if err != nil || len(vs) == 0 || vs[0].Kind != OK {
		t.Errorf("expected SPN with an underscore: %+v %v", vs, err)
	}
}

func TestEqualAndBuild(t *testing.T) {
	a := MustParse("HTTP/Portal.Example.COM")
	b := New("http", "portal.example.com")
	if !a.Equal(b) || a.Key() != b.Key() {
		t.Errorf("%v and %v should be equal", a, b)
	}
	if a.Equal(New("HTTP", "portal.example.org")) {
		t.Error("different hosts compare equal")
	}
	c := SPN{ServiceClass: "MSSQLSvc", Host: "sql", Port: 1433, ServiceName: "inst"}
	if c.String() != "MSSQLSvc/sql:1433/inst" {
		t.Errorf("String = %q", c.String())
	}
	if h := b.WithClass("HOST"); h.String() != "HOST/portal.example.com" {
		t.Errorf("WithClass = %q", h)
	}
	if _, ok := b.Repaired(); ok {
		t.Error("well-formed SPN reported repairable")
	}
}

func FuzzParse(f *testing.F) {
	testenv.ShortFuzzMinimize()
	for _, s := range []string{"HTTP/web01", "HTTP/https://x/y", "MSSQLSvc/a:1433/b", "HTTP/a:", "HTTP/[::1]:80", " / ", "HTTP/\xff\xfe", "x/a:b:c",
		"HTTP/h_st@REALM", "MSSQLSvc/-x:1", "HTTP/a..b.", "HTTP/x@y/z", "HTTP/https://u@h:80/p@R"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := Parse(in)
		if s.String() != in && in != "" {
			t.Fatalf("String() = %q, want %q", s.String(), in)
		}
		if (err == nil) != (len(s.Problems()) == 0) {
			t.Fatalf("err %v but Problems %v", err, s.Problems())
		}
		if r, ok := s.Repaired(); ok {
			if len(serious(r.Problems())) != 0 {
				t.Fatalf("Repaired %q has problems %v", r, r.Problems())
			}
			var se *SyntaxError
			if r2, err := Parse(r.String()); (err != nil && !(errors.As(err, &se) && se.Advisory())) || !r2.Equal(r) {
				t.Fatalf("Repaired %q does not round-trip: %v", r, err)
			}
		}
		_ = s.Key()
	})
}
