package testenv

import (
	"fmt"
	"testing"
)

type fakeTB struct{ skipped, failed string }

func (f *fakeTB) Helper()                           {}
func (f *fakeTB) Skipf(format string, args ...any)  { f.skipped = fmt.Sprintf(format, args...) }
func (f *fakeTB) Fatalf(format string, args ...any) { f.failed = fmt.Sprintf(format, args...) }

func TestRequire(t *testing.T) {
	t.Setenv("IISKERB_TEST_PRESENT", "x")
	t.Setenv("IISKERB_TEST_ABSENT", "")
	t.Setenv(RequireVar, "")
	f := &fakeTB{}
	if v := Require(f, "IISKERB_TEST_PRESENT"); v[0] != "x" || f.skipped != "" || f.failed != "" {
		t.Fatalf("present: got %v %+v", v, f)
	}
	f = &fakeTB{}
	Require(f, "IISKERB_TEST_PRESENT", "IISKERB_TEST_ABSENT")
	if f.skipped == "" || f.failed != "" {
		t.Fatalf("absent, not strict: want skip, got %+v", f)
	}
	t.Setenv(RequireVar, "1")
	f = &fakeTB{}
	Require(f, "IISKERB_TEST_ABSENT")
	if f.failed == "" {
		t.Fatalf("absent, strict: want failure, got %+v", f)
	}
}
