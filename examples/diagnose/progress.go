package main

import (
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iiskerb/iiskerb/diagnose"
	"github.com/iiskerb/iiskerb/spn"
)

// progress reports on stderr how much log data the checks have read and how
// far LDAP scans have got, every interval, and a summary line when each LDAP
// scan ends. On a terminal the status is one line rewritten in place
// ("\r...\x1b[K"); anywhere else (-progress into a pipe or a file) each
// status is a plain line of its own, printed when it changed, with no
// control codes. It is used when stderr is a terminal (or with -progress);
// logs can be gigabytes and a forest can hold millions of SPNs.
type progress struct {
	w        io.Writer
	tty      bool // w is a terminal: rewrite one line in place
	bytes    atomic.Int64
	files    atomic.Int64
	current  atomic.Value // string
	stop     chan struct{}
	done     sync.WaitGroup
	interval time.Duration
	// scanDelay is how long a directory scan runs before it appears on the
	// progress line (quick scans only get their summary line).
	scanDelay time.Duration
	// scans tracks the scans of the wrapped LDAP directory; nil without one.
	scans *scanProgress

	// loading is set while the evidence is read (see loadingFS);
	// loadBytes and loadCurrent count what was read meanwhile.
	loading     atomic.Bool
	loadBytes   atomic.Int64
	loadCurrent atomic.Value // string

	mu   sync.Mutex // serialises writes to w
	open bool       // a progress line is on screen without its newline
	last string     // the last plain status line (not a terminal)
}

// newProgress reports to w every interval; tty says w is a terminal.
func newProgress(w io.Writer, interval time.Duration, tty bool) *progress {
	return &progress{w: w, tty: tty, stop: make(chan struct{}), interval: interval, scanDelay: 2 * time.Second}
}

// wrap makes every log of ev count its bytes into p and, when ev.Directory
// is a live LDAP directory, wraps it so its scans report to p (see
// wrapDirectory: the checks see the same optional interfaces).
func (p *progress) wrap(ev *diagnose.Evidence) {
	if d, ok := ev.Directory.(*spn.LDAPDirectory); ok {
		ev.Directory = p.wrapDirectory(d)
	}
	for _, logs := range []*[]diagnose.LogFile{&ev.IISLogs, &ev.AgentLogs, &ev.SMPLogs} {
		for i := range *logs {
			lf := (*logs)[i]
			open := lf.Open
			(*logs)[i].Open = func() (io.ReadCloser, error) {
				rc, err := open()
				if err != nil {
					return nil, err
				}
				p.files.Add(1)
				p.current.Store(lf.Name)
				cr := &countingReader{rc: rc, n: &p.bytes}
				if f, ok := rc.(randomAccessFile); ok {
					// Keep the log checks' parallel path for files on disk.
					return &countingFile{countingReader: cr, f: f}, nil
				}
				return cr, nil
			}
		}
	}
}

// loadingFS wraps fsys so that the files read while the evidence is loaded
// (an ldifde export of a forest can be gigabytes) count on the progress
// line. Once loaded is called, files opened later (the logs, which wrap
// counts) are returned as they are, keeping ReadAt for the log readers.
func (p *progress) loadingFS(fsys fs.FS) fs.FS {
	p.loading.Store(true)
	return loadingFS{fsys: fsys, p: p}
}

// loaded ends the loading phase.
func (p *progress) loaded() { p.loading.Store(false) }

type loadingFS struct {
	fsys fs.FS
	p    *progress
}

func (l loadingFS) Open(name string) (fs.File, error) {
	f, err := l.fsys.Open(name)
	if err != nil || !l.p.loading.Load() {
		return f, err
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return f, nil // directories keep ReadDir
	}
	l.p.loadCurrent.Store(name)
	return loadingFile{File: f, n: &l.p.loadBytes}, nil
}

// ReadDir keeps the wrapped file system's own listing (the overlay of
// evidence flags on a bundle merges two).
func (l loadingFS) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(l.fsys, name) }

type loadingFile struct {
	fs.File
	n *atomic.Int64
}

func (f loadingFile) Read(b []byte) (int, error) {
	n, err := f.File.Read(b)
	f.n.Add(int64(n))
	return n, err
}

// start prints until finish is called.
func (p *progress) start() {
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		t := time.NewTicker(p.interval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case now := <-t.C:
				var parts []string
				if p.loading.Load() {
					name, _ := p.loadCurrent.Load().(string)
					if n := p.loadBytes.Load(); n > 0 {
						parts = append(parts, fmt.Sprintf("loading evidence: read %.1f MiB (%s)", float64(n)/(1<<20), name))
					}
				}
				if p.scans != nil {
					parts = p.scans.status(now)
				}
				if p.files.Load() > 0 {
					name, _ := p.current.Load().(string)
					parts = append(parts, fmt.Sprintf("read %.1f MiB of logs (%d files; %s)", float64(p.bytes.Load())/(1<<20), p.files.Load(), name))
				}
				if len(parts) > 0 {
					p.rewrite("diagnose: " + strings.Join(parts, "; "))
				}
			}
		}
	}()
}

// rewrite replaces the progress line on screen with s; without a terminal
// it prints s as a line of its own when it differs from the last one.
func (p *progress) rewrite(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.tty {
		if s != p.last {
			fmt.Fprintln(p.w, s)
			p.last = s
		}
		return
	}
	fmt.Fprintf(p.w, "\r%s\x1b[K", s)
	p.open = true
}

// println prints s on a line of its own, over the progress line if one is
// on screen (the next tick redraws it below).
func (p *progress) println(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.open && p.tty {
		fmt.Fprintf(p.w, "\r%s\x1b[K\n", s)
	} else {
		fmt.Fprintln(p.w, s)
	}
	p.open = false
}

// finish stops the printer and ends its line.
func (p *progress) finish() {
	close(p.stop)
	p.done.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.open {
		fmt.Fprintln(p.w)
		p.open = false
	}
}

type countingReader struct {
	rc io.ReadCloser
	n  *atomic.Int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.rc.Read(b)
	c.n.Add(int64(n))
	return n, err
}

func (c *countingReader) Close() error { return c.rc.Close() }

// randomAccessFile is what the log checks look for to read a file on disk
// with several goroutines.
type randomAccessFile interface {
	io.ReaderAt
	Stat() (fs.FileInfo, error)
}

type countingFile struct {
	*countingReader
	f randomAccessFile
}

func (c *countingFile) ReadAt(b []byte, off int64) (int, error) {
	n, err := c.f.ReadAt(b, off)
	c.n.Add(int64(n))
	return n, err
}

func (c *countingFile) Stat() (fs.FileInfo, error) { return c.f.Stat() }
