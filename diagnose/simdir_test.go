package diagnose

import (
	"math/rand/v2"
	"testing"

	"github.com/iiskerb/iiskerb/spn"
)

// The simulation skips accounts the plan does not name (mayChange); it
// must never skip one that simMatches would match.
func TestSimMayChangeCoversMatches(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	sams := []string{"WEB01$", "web01", "svc-portal", "SVC-PORTAL", "Ünï", "ünï$", ""}
	pick := func(list []string) string { return list[r.IntN(len(list))] }
	for range 20000 {
		sam := pick(sams)
		a := spn.Account{SAMAccountName: sam, Name: pick([]string{sam, "CORP\\" + sam, "", "OTHER\\x"}),
			DN: pick([]string{"", "CN=WEB01,OU=Servers,DC=corp,DC=example,DC=com", "cn=web01,ou=servers,dc=corp,dc=example,dc=com"})}
		name := pick([]string{sam, "CORP\\" + pick(sams), pick(sams) + "$", " " + pick(sams) + " ",
			"CN=WEB01,OU=Servers,DC=corp,DC=example,DC=com", "CN=web01,OU=SERVERS,DC=corp,DC=example,DC=com", "WEB01"})
		d := newSimDirectory(nil)
		d.touch(name)
		if simMatches(&a, name) && !d.mayChange(&a) {
			t.Fatalf("the plan names %q, which matches %+v, but the simulation would skip the account", name, a)
		}
	}
}
