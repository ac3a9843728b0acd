package main

import (
	"fmt"
	"io"
	"io/fs"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iiskerb/iiskerb/diagnose"
)

// progress reports on stderr how much log data the checks have read, every
// interval, on one rewritten line. It is used when stderr is a terminal
// (or with -progress); logs can be gigabytes.
type progress struct {
	w        io.Writer
	bytes    atomic.Int64
	files    atomic.Int64
	current  atomic.Value // string
	stop     chan struct{}
	done     sync.WaitGroup
	interval time.Duration
	printed  bool
}

func newProgress(w io.Writer, interval time.Duration) *progress {
	return &progress{w: w, stop: make(chan struct{}), interval: interval}
}

// wrap makes every log of ev count its bytes into p.
func (p *progress) wrap(ev *diagnose.Evidence) {
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
			case <-t.C:
				if p.files.Load() == 0 {
					continue
				}
				name, _ := p.current.Load().(string)
				fmt.Fprintf(p.w, "\rdiagnose: read %.1f MiB of logs (%d files; %s)\x1b[K", float64(p.bytes.Load())/(1<<20), p.files.Load(), name)
				p.printed = true
			}
		}
	}()
}

// finish stops the printer and ends its line.
func (p *progress) finish() {
	close(p.stop)
	p.done.Wait()
	if p.printed {
		fmt.Fprintln(p.w)
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
