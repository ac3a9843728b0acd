package spn

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

func TestSetspnLongLine(t *testing.T) {
	head := "Registered ServicePrincipalNames for CN=A,DC=x:\n\tHOST/a\n\tHTTP/"
	src := &testenv.Endless{N: 3 << 20, B: 'a'}
	var err error
	a := testenv.Allocated(func() {
		_, err = ParseSetspn("l.txt", io.MultiReader(strings.NewReader(head), src, strings.NewReader("\n\tHOST/b\n")))
	})
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 3 || pe.File != "l.txt" || !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "token too long") {
		t.Errorf("scanner error leaked: %v", err)
	}
	if read := 3<<20 - src.N; read > 2<<20 {
		t.Errorf("read %d bytes of the long line", read)
	}
	if a > 8<<20 {
		t.Errorf("allocated %d bytes", a)
	}
}

func TestLDIFLongLines(t *testing.T) {
	// A long physical line.
	head := "version: 1\n\ndn: CN=a,DC=x\nservicePrincipalName: "
	_, err := ParseLDIF("l.ldf", io.MultiReader(strings.NewReader(head), &testenv.Endless{N: 3 << 20, B: 'a'}, strings.NewReader("\n\n")))
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 4 || !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("physical: err = %v", err)
	}
	// A value folded into 80-column lines until it passes the limit.
	var b strings.Builder
	b.WriteString("dn: CN=a,DC=x\nobjectClass: user\ndescription: x\n")
	for b.Len() < 3<<20 {
		b.WriteString(" " + strings.Repeat("y", 78) + "\n")
	}
	_, err = ParseLDIF("f.ldf", strings.NewReader(b.String()))
	if !errors.As(err, &pe) || pe.Line != 3 || !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("folded: err = %v", err)
	}
}

// Noise lines cost a counted warning past maxWarnings, not memory.
func TestWarningsBounded(t *testing.T) {
	in := "Registered ServicePrincipalNames for CN=A,DC=x:\n\tHOST/a\n" + strings.Repeat("noise\n", 5000)
	o, err := ParseSetspn("n.txt", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Warnings) != maxWarnings+1 || !strings.Contains(o.Warnings[maxWarnings].Message, fmt.Sprintf("%d more warnings", 5000-maxWarnings)) {
		t.Fatalf("%d warnings, last %v", len(o.Warnings), o.Warnings[len(o.Warnings)-1])
	}
	ldif := strings.Repeat("dn: CN=m,DC=x\nchangetype: modify\n\n", 3000) + "dn: CN=a,DC=x\nsAMAccountName: a\n"
	e, err := ParseLDIF("m.ldf", strings.NewReader(ldif))
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Warnings) != maxWarnings+1 || !strings.Contains(e.Warnings[maxWarnings].Message, "2000 more warnings") {
		t.Fatalf("%d warnings", len(e.Warnings))
	}
}

func TestDistinctOwnersFold(t *testing.T) {
	var owners []SetspnAccount
	for i := range 40 {
		owners = append(owners, SetspnAccount{DN: fmt.Sprintf("CN=a%d,DC=x", i%20)}, SetspnAccount{DN: fmt.Sprintf("cn=A%d,dc=X", i%20)})
	}
	owners = append(owners, SetspnAccount{DN: "CN=\u212a"}, SetspnAccount{DN: "cn=k"}) // Kelvin sign folds to k
	if n := distinctOwners(owners); n != 21 {
		t.Errorf("distinctOwners = %d, want 21", n)
	}
}

// Twice the input takes about twice the time, for inputs that stress the
// parsers' per-line and per-group work.
func TestParsersLinear(t *testing.T) {
	setspnX := func(n int) string {
		var b strings.Builder
		b.WriteString("Checking domain DC=x\nHTTP/a is registered on these accounts:\n")
		for i := range n {
			fmt.Fprintf(&b, "\tCN=a%d,DC=x\n", i)
		}
		b.WriteString("found 1 group of duplicate SPNs.\n")
		return b.String()
	}
	ldif := func(n int) string {
		return strings.Repeat("dn: CN=a,DC=x\nservicePrincipalName: HTTP/a\nchangetype: modify\n\n", n) + "dn: CN=a,DC=x\nsAMAccountName: a\n"
	}
	noise := func(n int) string {
		return "Registered ServicePrincipalNames for CN=A,DC=x:\n" + strings.Repeat("\tHOST/a\nnoise "+strings.Repeat("z", 200)+"\n", n)
	}
	for name, c := range map[string]struct {
		gen   func(int) string
		parse func(string) error
	}{
		"setspn-X": {setspnX, func(s string) error { _, err := ParseSetspn("x", strings.NewReader(s)); return err }},
		"noise":    {noise, func(s string) error { _, err := ParseSetspn("x", strings.NewReader(s)); return err }},
		"ldif":     {ldif, func(s string) error { _, err := ParseLDIF("x", strings.NewReader(s)); return err }},
	} {
		testenv.CheckLinear(t, name, 50000, func(n int) func() {
			in := c.gen(n)
			return func() {
				if err := c.parse(in); err != nil {
					t.Fatal(name, err)
				}
			}
		})
	}
}
