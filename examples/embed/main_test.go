package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	var b bytes.Buffer
	if err := run(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, "ORG001-1 Windows Authentication is reachable over plain HTTP (*:80:intranet.corp.example.com)") {
		t.Errorf("custom check did not report:\n%s", out)
	}
	if !strings.Contains(out, "iiskerb (generic):") {
		t.Errorf("profile:\n%s", out)
	}
}
