package ldapgen

import (
	"bytes"
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/spn"
)

// TestTruthMatchesLDIF reads the generated LDIF back with spn.ScanLDIF and
// checks that spn.Duplicates over it finds exactly the truth file.
func TestTruthMatchesLDIF(t *testing.T) {
	cfg := Config{Accounts: 3000, Duplicates: 60, Seed: 7, Suffix: "DC=bench,DC=test", Domain: "BENCH"}
	var ldif, truth bytes.Buffer
	st, err := Write(&ldif, &truth, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st.Accounts != 3000 || st.Duplicates != 60 || st.SPNs < 4*3000 {
		t.Fatalf("stats %+v", st)
	}
	var accts []spn.Account
	_, _, err = spn.ScanLDIF(context.Background(), "gen.ldif", bytes.NewReader(ldif.Bytes()), func(a *spn.Account) error {
		if len(a.SPNs) == 0 {
			return nil
		}
		c := *a
		c.SPNs = append([]string(nil), a.SPNs...)
		c.SetDomain("BENCH")
		accts = append(accts, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(accts) != 3000 {
		t.Fatalf("LDIF has %d accounts with SPNs", len(accts))
	}
	dups, c, err := spn.Duplicates(context.Background(), spn.NewMemoryDirectory(accts, true))
	if err != nil || !c.Complete {
		t.Fatal(err, c)
	}
	var got []string
	for _, d := range dups {
		o := append([]string(nil), d.Owners...)
		sort.Strings(o)
		got = append(got, strings.ToLower(d.SPN)+"\t"+strings.Join(o, ","))
	}
	sort.Strings(got)
	if want := strings.TrimSuffix(truth.String(), "\n"); strings.Join(got, "\n") != want {
		t.Errorf("duplicates from LDIF:\n%s\ntruth:\n%s", strings.Join(got, "\n"), want)
	}

	// deterministic
	var again, truth2 bytes.Buffer
	if _, err := Write(&again, &truth2, cfg); err != nil || !bytes.Equal(again.Bytes(), ldif.Bytes()) || truth2.String() != truth.String() {
		t.Error("output differs between runs")
	}
}
