package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iiskerb/iiskerb/spn"
)

// dupScanner is the progress-reporting duplicate scan of the LDAP directory
// ([spn.LDAPDirectory.ScanDuplicates]).
type dupScanner interface {
	ScanDuplicates(ctx context.Context, progress func(accounts, spns int)) ([]spn.Duplicate, spn.Completeness, error)
}

// wrapDirectory wraps dir so that its scans show on p's progress line. Call
// it before start.
func (p *progress) wrapDirectory(dir spn.Directory) spn.Directory {
	if p.scans == nil {
		p.scans = &scanProgress{p: p, delay: p.scanDelay}
	}
	return wrapDirectory(dir, p.scans)
}

// wrapDirectory returns a directory that answers exactly as dir does and
// reports its scans (Scan, and the duplicate scan behind FindDuplicates) to
// sp. The checks look for optional interfaces with type assertions
// (spn.DuplicateFinder in spn.AuditDirectory and spn.Duplicates,
// spn.MappingSource for the forest's sPNMappings), so the wrapper
// implements each of them exactly when dir does, plus dir's ScanDuplicates:
// a check sees the same methods, and so takes the same path, with or
// without progress. When dir has ScanDuplicates, FindDuplicates goes
// through it (as the LDAP directory's own FindDuplicates does) to count.
func wrapDirectory(dir spn.Directory, sp *scanProgress) spn.Directory {
	base := &progressDir{dir: dir, sp: sp}
	_, finder := dir.(spn.DuplicateFinder)
	_, scanner := dir.(dupScanner)
	_, mappings := dir.(spn.MappingSource)
	switch {
	case finder && scanner && mappings:
		return &progressDirFSM{base, withFinder{base}, withScanner{base}, withMappings{base}}
	case finder && scanner:
		return &progressDirFS{base, withFinder{base}, withScanner{base}}
	case finder && mappings:
		return &progressDirFM{base, withFinder{base}, withMappings{base}}
	case finder:
		return &progressDirF{base, withFinder{base}}
	case mappings:
		return &progressDirM{base, withMappings{base}}
	}
	// A directory with ScanDuplicates but no FindDuplicates is not a
	// spn.DuplicateFinder: nothing in the checks would call its
	// ScanDuplicates, so the plain wrapper behaves the same.
	return base
}

// progressDir forwards the spn.Directory methods and counts what Scan sees.
type progressDir struct {
	dir spn.Directory
	sp  *scanProgress
}

// The combinations of optional interfaces; the embedded *progressDir is the
// shallowest, so Owners, Account, Scan and Describe come from it.
type (
	progressDirM struct {
		*progressDir
		withMappings
	}
	progressDirF struct {
		*progressDir
		withFinder
	}
	progressDirFM struct {
		*progressDir
		withFinder
		withMappings
	}
	progressDirFS struct {
		*progressDir
		withFinder
		withScanner
	}
	progressDirFSM struct {
		*progressDir
		withFinder
		withScanner
		withMappings
	}
)

// Owners forwards to the wrapped directory.
func (d *progressDir) Owners(ctx context.Context, name string) (spn.Answer, error) {
	return d.dir.Owners(ctx, name)
}

// Account forwards to the wrapped directory.
func (d *progressDir) Account(ctx context.Context, name string) (spn.Answer, error) {
	return d.dir.Account(ctx, name)
}

// Describe forwards to the wrapped directory.
func (d *progressDir) Describe() string { return d.dir.Describe() }

// String is the wrapped directory's String (Describe when it has none), so
// the wrapper prints as the directory does.
func (d *progressDir) String() string {
	if s, ok := d.dir.(fmt.Stringer); ok {
		return s.String()
	}
	return d.dir.Describe()
}

// Scan forwards to the wrapped directory, counting accounts and SPNs.
func (d *progressDir) Scan(ctx context.Context, fn func(a *spn.Account) error) (spn.Completeness, error) {
	st := d.sp.begin("directory scan of "+d.dir.Describe(), true)
	c, err := d.dir.Scan(ctx, func(a *spn.Account) error {
		st.entries.Add(1)
		st.spns.Add(int64(len(a.SPNs)))
		return fn(a)
	})
	d.sp.end(st, c.Complete && err == nil)
	return c, err
}

// duplicates runs the wrapped directory's duplicate scan, with its progress
// callback when it has one (then also calling the caller's callback).
func (d *progressDir) duplicates(ctx context.Context, progress func(accounts, spns int)) ([]spn.Duplicate, spn.Completeness, error) {
	s, counted := d.dir.(dupScanner)
	st := d.sp.begin("duplicate scan of "+d.dir.Describe(), counted)
	var (
		dups []spn.Duplicate
		c    spn.Completeness
		err  error
	)
	if counted {
		dups, c, err = s.ScanDuplicates(ctx, func(accounts, spns int) {
			st.entries.Store(int64(accounts))
			st.spns.Store(int64(spns))
			if progress != nil {
				progress(accounts, spns)
			}
		})
	} else {
		dups, c, err = d.dir.(spn.DuplicateFinder).FindDuplicates(ctx)
	}
	d.sp.end(st, c.Complete && err == nil)
	return dups, c, err
}

type withFinder struct{ d *progressDir }

// FindDuplicates is the wrapped directory's FindDuplicates, through
// ScanDuplicates when it has that, so the scan shows progress.
func (w withFinder) FindDuplicates(ctx context.Context) ([]spn.Duplicate, spn.Completeness, error) {
	return w.d.duplicates(ctx, nil)
}

type withScanner struct{ d *progressDir }

// ScanDuplicates is the wrapped directory's ScanDuplicates; progress is
// called as the directory calls it.
func (w withScanner) ScanDuplicates(ctx context.Context, progress func(accounts, spns int)) ([]spn.Duplicate, spn.Completeness, error) {
	return w.d.duplicates(ctx, progress)
}

type withMappings struct{ d *progressDir }

// SPNMappings forwards to the wrapped directory.
func (w withMappings) SPNMappings(ctx context.Context) (spn.SPNMappings, error) {
	return w.d.dir.(spn.MappingSource).SPNMappings(ctx)
}

// scanProgress tracks the directory scans in flight for the progress line
// and prints a summary line as each one ends.
type scanProgress struct {
	p     *progress
	delay time.Duration // a scan joins the progress line after running this long

	mu     sync.Mutex
	active []*scanState
}

// scanState is one scan in flight.
type scanState struct {
	what    string // "directory scan of ldap://..."
	start   time.Time
	counted bool // entries and spns are known (false: only the time is)
	entries atomic.Int64
	spns    atomic.Int64
}

func (sp *scanProgress) begin(what string, counted bool) *scanState {
	st := &scanState{what: what, start: time.Now(), counted: counted}
	sp.mu.Lock()
	sp.active = append(sp.active, st)
	sp.mu.Unlock()
	return st
}

// end removes st and prints its summary line.
func (sp *scanProgress) end(st *scanState, complete bool) {
	elapsed := time.Since(st.start)
	sp.mu.Lock()
	for i, a := range sp.active {
		if a == st {
			sp.active = append(sp.active[:i], sp.active[i+1:]...)
			break
		}
	}
	sp.mu.Unlock()
	outcome := "done"
	if !complete {
		outcome = "incomplete"
	}
	if !st.counted {
		sp.p.println(fmt.Sprintf("diagnose: %s %s in %s", st.what, outcome, seconds(elapsed)))
		return
	}
	n := st.entries.Load()
	sp.p.println(fmt.Sprintf("diagnose: %s %s: %d entries, %d SPNs in %s (%s entries/s)",
		st.what, outcome, n, st.spns.Load(), seconds(elapsed), rate(n, elapsed)))
}

// status describes the scans that have run for at least the delay, for the
// progress line.
func (sp *scanProgress) status(now time.Time) []string {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	var parts []string
	for _, st := range sp.active {
		elapsed := now.Sub(st.start)
		if elapsed < sp.delay {
			continue
		}
		if !st.counted {
			parts = append(parts, fmt.Sprintf("%s: %s", st.what, seconds(elapsed)))
			continue
		}
		n := st.entries.Load()
		parts = append(parts, fmt.Sprintf("%s: %d entries (%s/s), %d SPNs seen, %s",
			st.what, n, rate(n, elapsed), st.spns.Load(), seconds(elapsed)))
	}
	return parts
}

// seconds formats d as "12.3 s".
func seconds(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

// rate formats n per elapsed as a whole number per second.
func rate(n int64, elapsed time.Duration) string {
	if elapsed <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", float64(n)/elapsed.Seconds())
}
