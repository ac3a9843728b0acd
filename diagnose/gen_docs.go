//go:build ignore

// gen_docs writes docs/checks.md from diagnose.Checks(). Run it with
// go generate ./diagnose (see doc.go); TestChecksDocUpToDate fails when the
// file is stale.
package main

import (
	"bytes"
	"log"
	"os"

	"github.com/iiskerb/iiskerb/diagnose"
)

func main() {
	var b bytes.Buffer
	if err := diagnose.WriteChecksMarkdown(&b, diagnose.Checks()); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("../docs/checks.md", b.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
