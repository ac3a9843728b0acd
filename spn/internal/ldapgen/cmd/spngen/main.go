// Command spngen writes the benchmark directory of scripts/bench-spn.sh: an
// LDIF file with N AD-like accounts (about 5 SPNs each) and a truth file
// listing every duplicated SPN with its owners.
//
//	go run ./spn/internal/ldapgen/cmd/spngen -accounts 500000 -ldif data.ldif -truth truth.tsv
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/iiskerb/iiskerb/spn/internal/ldapgen"
)

func main() {
	cfg := ldapgen.Config{Suffix: "DC=bench,DC=test", Domain: "BENCH"}
	flag.IntVar(&cfg.Accounts, "accounts", 500000, "number of accounts")
	flag.IntVar(&cfg.Duplicates, "duplicates", 2000, "number of duplicated SPNs to inject")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "PRNG seed")
	ldifPath := flag.String("ldif", "data.ldif", "LDIF output")
	truthPath := flag.String("truth", "truth.tsv", "duplicate truth output")
	flag.Parse()
	if err := run(cfg, *ldifPath, *truthPath); err != nil {
		fmt.Fprintln(os.Stderr, "spngen:", err)
		os.Exit(1)
	}
}

func run(cfg ldapgen.Config, ldifPath, truthPath string) error {
	lf, err := os.Create(ldifPath)
	if err != nil {
		return err
	}
	defer lf.Close()
	tf, err := os.Create(truthPath)
	if err != nil {
		return err
	}
	defer tf.Close()
	st, err := ldapgen.Write(lf, tf, cfg)
	if err != nil {
		return err
	}
	if err := lf.Close(); err != nil {
		return err
	}
	if err := tf.Close(); err != nil {
		return err
	}
	fmt.Printf("accounts=%d spns=%d duplicates=%d\n", st.Accounts, st.SPNs, st.Duplicates)
	return nil
}
