package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/iiskerb/iiskerb/iisconfig"
)

// collectSource is the machine -collect reads: the local IIS server on
// Windows (collect_windows.go), a fake in tests. Every access goes through
// it, so the collection can be tested on any system.
type collectSource struct {
	// ConfigPath is the live applicationHost.config ("" means
	// %windir%\System32\inetsrv\config\applicationHost.config).
	ConfigPath string
	// Run runs a program of %windir%\System32 ("wevtutil", "klist",
	// "setspn") and returns its combined output.
	Run func(ctx context.Context, name string, args ...string) ([]byte, error)
	// FS reads local files by Windows path.
	FS collectFS
	// Getenv reads the environment (%SystemDrive%, %ProgramData%, %windir%).
	Getenv func(string) string
	// Registry reads a string value under HKEY_LOCAL_MACHINE.
	Registry func(key, name string) (string, error)
	// JoinedDomain returns the NetBIOS name of the domain the computer is
	// joined to, "" when it is not joined to one.
	JoinedDomain func() (string, error)
	// Hostname returns the computer's host name (os.Hostname).
	Hostname func() (string, error)
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// collectFS reads local files by their Windows path.
type collectFS interface {
	Open(name string) (io.ReadCloser, error)
	ReadDir(name string) ([]fs.DirEntry, error)
}

// stepResult is what running one step did.
type stepResult struct {
	Status string // "ok", "failed", "skipped"
	Detail string // what it wrote, or why it failed
}

// collect writes an evidence bundle into dir (which must not exist or be
// empty): it reads the server's names and configuration, builds the plan
// (buildPlan), runs it, prints every command and copy on log as it goes,
// and writes the same list with the outcome of each step into
// dir/README.txt.
func collect(ctx context.Context, dir string, days int, src collectSource, log io.Writer) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("-collect %s: directory is not empty", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	now := time.Now
	if src.Now != nil {
		now = src.Now
	}
	started := now()
	if days <= 0 {
		days = 7
	}
	if src.ConfigPath == "" {
		src.ConfigPath = getenv(src.Getenv, "windir", `C:\Windows`) + `\System32\inetsrv\config\applicationHost.config`
	}
	in, notes := preparePlan(src, days, started)
	for _, r := range in.Host.Read {
		fmt.Fprintln(log, "diagnose: collect: read", r)
	}
	steps, planNotes := buildPlan(in)
	notes = append(notes, planNotes...)
	for _, n := range notes {
		fmt.Fprintln(log, "diagnose: collect: note:", n)
	}
	host := in.Host

	results := make([]stepResult, len(steps))
	failed := 0
	for i, st := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		r := runStep(ctx, dir, st, src)
		results[i] = r
		if r.Status == "failed" {
			failed++
		}
		fmt.Fprintf(log, "diagnose: collect: %s: %s %s\n", describeStep(st), r.Status, r.Detail)
	}
	if err := writeReadme(dir, started, days, host, steps, results, notes); err != nil {
		return err
	}
	fmt.Fprintf(log, "diagnose: collect: %d steps, %d failed; the list is in %s\n", len(steps), failed, filepath.Join(dir, "README.txt"))
	return nil
}

// preparePlan reads what the plan is built from: the computer's names and
// the live applicationHost.config (with its secrets removed, parsed). Its
// notes say what could not be read.
func preparePlan(src collectSource, days int, now time.Time) (planInput, []string) {
	host := readHostFacts(src)
	notes := append([]string(nil), host.Problems...)
	in := planInput{Host: host, ConfigPath: src.ConfigPath, Getenv: src.Getenv, Days: days, Now: now, Limits: defaultLimits}
	raw, err := readLocal(src.FS, src.ConfigPath)
	if err != nil {
		return in, append(notes, fmt.Sprintf("applicationHost.config: %v; the plan uses defaults (no web.config, the default IIS log folder)", err))
	}
	clean, _, err := stripSecrets(raw)
	if err != nil {
		return in, append(notes, "applicationHost.config: "+err.Error())
	}
	cfg, err := iisconfig.Parse(bytes.NewReader(clean))
	if err != nil {
		return in, append(notes, "applicationHost.config does not parse: "+err.Error())
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(clean); err != nil {
		return in, append(notes, "applicationHost.config: "+err.Error())
	}
	in.Config, in.Doc = cfg, doc
	return in, notes
}

// runStep runs one step into dir.
func runStep(ctx context.Context, dir string, st collectStep, src collectSource) stepResult {
	dst := filepath.Join(dir, filepath.FromSlash(st.Dest))
	switch st.Kind {
	case stepWrite:
		if err := writeBundleFile(dst, st.Data); err != nil {
			return stepResult{"failed", err.Error()}
		}
		return stepResult{"ok", sizeText(int64(len(st.Data)))}
	case stepRun:
		if src.Run == nil {
			return stepResult{"skipped", "(no command runner)"}
		}
		rctx := ctx
		if st.Timeout > 0 {
			var cancel context.CancelFunc
			rctx, cancel = context.WithTimeout(ctx, st.Timeout)
			defer cancel()
		}
		out, err := src.Run(rctx, st.Args[0], st.Args[1:]...)
		if err != nil {
			if !st.KeepFailed || len(out) == 0 {
				return stepResult{"failed", fmt.Sprintf("(%v: %s); nothing written", err, firstLine(out))}
			}
			if werr := writeBundleFile(dst, out); werr != nil {
				return stepResult{"failed", werr.Error()}
			}
			return stepResult{"failed", fmt.Sprintf("(%v); its output is kept (%s)", err, sizeText(int64(len(out))))}
		}
		if err := writeBundleFile(dst, out); err != nil {
			return stepResult{"failed", err.Error()}
		}
		return stepResult{"ok", sizeText(int64(len(out)))}
	case stepConfig:
		raw, err := readLocal(src.FS, st.Src)
		if err != nil {
			if st.Optional && errors.Is(err, fs.ErrNotExist) {
				return stepResult{"skipped", "(no such file)"}
			}
			return stepResult{"failed", "(" + err.Error() + ")"}
		}
		clean, rep, err := stripSecrets(raw)
		if err != nil {
			return stepResult{"failed", "(" + err.Error() + ")"}
		}
		if err := writeBundleFile(dst, clean); err != nil {
			return stepResult{"failed", err.Error()}
		}
		return stepResult{"ok", fmt.Sprintf("%s, %s", sizeText(int64(len(clean))), rep)}
	case stepLogs:
		return copyLogs(ctx, src.FS, st, dst)
	}
	return stepResult{"failed", "unknown step"}
}

// logFile is a file found under a log folder.
type logFile struct {
	rel  string // slash-separated, below the folder
	size int64
	mod  time.Time
}

// copyLogs copies the files of st.Src modified since st.Since, newest
// first, while they fit in st.MaxBytes.
func copyLogs(ctx context.Context, fsys collectFS, st collectStep, dst string) stepResult {
	var files []logFile
	var walk func(rel string) error
	walk = func(rel string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		entries, err := fsys.ReadDir(winJoin(st.Src, rel))
		if err != nil {
			return err
		}
		for _, e := range entries {
			r := path.Join(rel, e.Name())
			if e.IsDir() {
				if err := walk(r); err != nil {
					return err
				}
				continue
			}
			if !e.Type().IsRegular() {
				continue
			}
			info, err := e.Info()
			if err != nil || info.ModTime().Before(st.Since) {
				continue
			}
			files = append(files, logFile{r, info.Size(), info.ModTime()})
		}
		return nil
	}
	if err := walk(""); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return stepResult{"skipped", "(no such folder)"}
		}
		return stepResult{"failed", "(" + err.Error() + ")"}
	}
	sort.Slice(files, func(i, j int) bool {
		if !files[i].mod.Equal(files[j].mod) {
			return files[i].mod.After(files[j].mod)
		}
		return files[i].rel < files[j].rel
	})
	var total int64
	n, left := 0, 0
	for _, f := range files {
		if st.MaxBytes > 0 && total+f.size > st.MaxBytes {
			left++
			continue
		}
		if err := copyLocal(fsys, winJoin(st.Src, f.rel), filepath.Join(dst, filepath.FromSlash(f.rel))); err != nil {
			return stepResult{"failed", fmt.Sprintf("(%s: %v) after %d files", f.rel, err, n)}
		}
		total += f.size
		n++
	}
	detail := fmt.Sprintf("%d files, %s", n, sizeText(total))
	if left > 0 {
		detail += fmt.Sprintf("; %d older or larger files left out (the cap is %s)", left, sizeText(st.MaxBytes))
	}
	if n == 0 && left == 0 {
		return stepResult{"skipped", fmt.Sprintf("(no file modified since %s)", st.Since.Format("2006-01-02"))}
	}
	return stepResult{"ok", detail}
}

// describeStep renders a step as the command or copy it stands for.
func describeStep(st collectStep) string {
	switch st.Kind {
	case stepWrite:
		return "write " + st.Dest
	case stepRun:
		q := make([]string, len(st.Args))
		for i, a := range st.Args {
			q[i] = cmdQuote(a)
		}
		return "run " + strings.Join(q, " ") + " > " + st.Dest
	case stepConfig:
		return "copy " + st.Src + " > " + st.Dest + " (secrets removed)"
	case stepLogs:
		bound := fmt.Sprintf("modified since %s", st.Since.Format("2006-01-02"))
		if st.MaxBytes > 0 {
			bound += ", newest first up to " + sizeText(st.MaxBytes)
		}
		return "copy " + st.Src + `\** (` + bound + ") > " + st.Dest + "/"
	}
	return "?"
}

// cmdQuote quotes an argument as cmd.exe would need it.
func cmdQuote(a string) string {
	if a != "" && !strings.ContainsAny(a, " \t\"&|<>^()") {
		return a
	}
	return `"` + strings.ReplaceAll(a, `"`, `\"`) + `"`
}

// writeReadme writes README.txt: what was collected, how, and what failed.
func writeReadme(dir string, started time.Time, days int, host hostFacts, steps []collectStep, results []stepResult, notes []string) error {
	var b strings.Builder
	name := host.Computer
	if name == "" {
		name = "this server"
	}
	fmt.Fprintf(&b, "Evidence bundle collected by iiskerb (examples/diagnose -collect) on %s at %s, covering the last %d days.\n",
		name, started.UTC().Format(time.RFC3339), days)
	b.WriteString("Configuration files were copied with their secrets removed (password attributes, [enc:...] values,\n" +
		"connection-string passwords, machineKey keys, secret appSettings, EncryptedData, comments); user names are kept.\n" +
		"Analyse it with: go run ./examples/diagnose -bundle <this folder>\n\nHost facts:\n")
	for _, r := range host.Read {
		b.WriteString("  " + r + "\n")
	}
	b.WriteString("\nSteps, in the order they ran:\n")
	for i, st := range steps {
		r := results[i]
		fmt.Fprintf(&b, "  [%s] %s", r.Status, describeStep(st))
		if r.Detail != "" {
			b.WriteString(": " + r.Detail)
		}
		b.WriteString("\n")
		if st.Why != "" {
			b.WriteString("        for " + st.Why + "\n")
		}
	}
	if len(notes) > 0 {
		b.WriteString("\nNotes:\n")
		for _, n := range notes {
			b.WriteString("  " + n + "\n")
		}
	}
	return os.WriteFile(filepath.Join(dir, "README.txt"), []byte(b.String()), 0o644)
}

// hostJSONBytes renders host.json.
func hostJSONBytes(m map[string]string) []byte {
	b, _ := json.MarshalIndent(m, "", "  ")
	return append(b, '\n')
}

func writeBundleFile(dst string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}

// readLocal reads a whole local file.
func readLocal(fsys collectFS, name string) ([]byte, error) {
	if fsys == nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// copyLocal copies a local file into the bundle.
func copyLocal(fsys collectFS, src, dst string) error {
	in, err := fsys.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// winJoin joins a Windows folder and a slash-separated relative path.
func winJoin(dir, rel string) string {
	if rel == "" {
		return dir
	}
	return strings.TrimRight(dir, `\/`) + `\` + strings.ReplaceAll(rel, "/", `\`)
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	if s == "" {
		return "no output"
	}
	return s
}
