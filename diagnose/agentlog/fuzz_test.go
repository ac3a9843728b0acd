package agentlog

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

// FuzzScan: Scan never panics, errors only with ErrNotLog, and its counts
// stay consistent.
func FuzzScan(f *testing.F) {
	testenv.ShortFuzzMinimize()
	for _, name := range []string{"agent-taskserver.log", "smp-spn.log", "agent-old-format.log", "agent-plain.log",
		"agent-registration-plain.txt", "real-broadcom-kb173598-0x80042D21.txt", "real-broadcom-kb177014-reset-agent-cdata.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("<event date='x' a=\"'>\" b=c><![CDATA[]]>]]></event></event><event"))
	f.Add([]byte{0xFF, 0xFE, '<', 0, 'e', 0})
	f.Add([]byte("Operation 'x' failed.\nPath: /Altiris/ClientTaskServer/Register.aspx\n<event><![CDATA[0x80190191]]></event>Error code: 0x8009030C\n"))
	f.Add([]byte("The logon attempt failed (0x8009030C)\nUnable to register (0x8FA10191) 0x0000000000\nOperation '' failed.\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := Scan(context.Background(), "f", bytes.NewReader(in))
		if err != nil {
			if !errors.Is(err, ErrNotLog) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if s.Events > s.Messages || s.Lines < 0 {
			t.Fatalf("events %d messages %d", s.Events, s.Messages)
		}
		for _, m := range s.Matches {
			if m.Count <= 0 || m.Count > s.Messages || m.Locator == "" || m.Line <= 0 || m.Line > s.Lines || len(m.Example) > maxExample+3 {
				t.Fatalf("bad match %+v", m)
			}
			if !m.First.IsZero() && m.Last.Before(m.First) {
				t.Fatalf("first %v after last %v", m.First, m.Last)
			}
		}
	})
}
