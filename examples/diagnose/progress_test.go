package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iiskerb/iiskerb/diagnose"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestProgress(t *testing.T) {
	var out syncBuffer
	p := newProgress(&out, 5*time.Millisecond, true)
	ev := &diagnose.Evidence{IISLogs: []diagnose.LogFile{{Name: "logs/iis/u_ex1.log", Open: func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(strings.Repeat("x", 3<<20))), nil
	}}}}
	p.wrap(ev)
	p.start()
	rc, err := ev.IISLogs[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, rc)
	rc.Close()
	deadline := time.Now().Add(2 * time.Second)
	for !strings.Contains(out.String(), "3.0 MiB") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	p.finish()
	if n != 3<<20 || !strings.Contains(out.String(), "read 3.0 MiB of logs (1 files; logs/iis/u_ex1.log)") {
		t.Errorf("progress output %q", out.String())
	}
	// Files on disk keep ReadAt and Stat for the parallel log readers.
	ev = &diagnose.Evidence{IISLogs: []diagnose.LogFile{diagnose.FileLog("x", "testdata/messy/logs/iis/u_ex260120.log")}}
	p = newProgress(io.Discard, time.Hour, true)
	p.wrap(ev)
	rc, err = ev.IISLogs[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	f, ok := rc.(randomAccessFile)
	if !ok {
		t.Fatal("wrapped file lost ReadAt/Stat")
	}
	buf := make([]byte, 8)
	if n, err := f.ReadAt(buf, 1); n != 8 || err != nil || string(buf) != "Software" {
		t.Errorf("ReadAt %d %v %q", n, err, buf)
	}
	if st, err := f.Stat(); err != nil || st.Size() == 0 {
		t.Errorf("Stat %v %v", st, err)
	}
	rc.Close()
	if p.bytes.Load() != 8 {
		t.Errorf("counted %d bytes", p.bytes.Load())
	}

	// The flag turns it on for the whole program without changing the report.
	var o, e bytes.Buffer
	if code := run(context.Background(), []string{"-progress"}, &o, &e, false); code == exitFailed {
		t.Fatalf("exit 2: %s", e.String())
	}
	if !strings.Contains(o.String(), "iiskerb (itms): ") {
		t.Error("no report with -progress")
	}
}

// Without a terminal the progress is plain lines: no carriage return, no
// erase-line code, and a status repeated unchanged is printed once.
func TestProgressPlainLines(t *testing.T) {
	var out syncBuffer
	p := newProgress(&out, time.Hour, false)
	p.rewrite("diagnose: read 1.0 MiB of logs")
	p.rewrite("diagnose: read 1.0 MiB of logs")
	p.rewrite("diagnose: read 2.0 MiB of logs")
	p.println("diagnose: directory scan done")
	p.start()
	p.finish()
	want := "diagnose: read 1.0 MiB of logs\ndiagnose: read 2.0 MiB of logs\ndiagnose: directory scan done\n"
	if got := out.String(); got != want {
		t.Errorf("plain progress %q, want %q", got, want)
	}
	var tty syncBuffer
	p = newProgress(&tty, time.Hour, true)
	p.rewrite("a")
	p.println("b")
	p.finish()
	if got := tty.String(); got != "\ra\x1b[K\rb\x1b[K\n" {
		t.Errorf("terminal progress %q", got)
	}
}

// Loading a bundle shows on the progress line (an ldifde export of a forest
// takes seconds to read), and files opened after loading are the file
// system's own (the log readers need ReadAt).
func TestProgressWhileLoading(t *testing.T) {
	var out syncBuffer
	p := newProgress(&out, 5*time.Millisecond, false)
	fsys := p.loadingFS(os.DirFS("testdata/messy"))
	p.start()
	ev, err := diagnose.LoadBundleFS(context.Background(), fsys)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for !strings.Contains(out.String(), "loading evidence: read") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	p.loaded()
	if p.loadBytes.Load() == 0 || !strings.Contains(out.String(), "loading evidence: read") {
		t.Errorf("loaded %d bytes; progress %q", p.loadBytes.Load(), out.String())
	}
	if len(ev.IISLogs) == 0 {
		t.Fatal("no IIS logs in testdata/messy")
	}
	rc, err := ev.IISLogs[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, ok := rc.(randomAccessFile); !ok {
		t.Errorf("a log opened after loading is %T, without ReadAt", rc)
	}
	p.finish()
}
