package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/iiskerb/iiskerb/iisconfig"
)

// collectSource is where -collect gathers evidence from: the local IIS
// server on Windows (collect_windows.go), a fake in tests.
type collectSource struct {
	// ConfigPath is the live applicationHost.config.
	ConfigPath string
	// Host holds computer, fqdn, domain, realm (host.json keys).
	Host map[string]string
	// LogDirs maps a bundle log directory ("logs/iis") to a local folder.
	LogDirs map[string]string
	// Setspn runs setspn -L for an account and returns its output.
	Setspn func(ctx context.Context, account string) ([]byte, error)
}

// passwordAttr matches XML attributes whose name contains "password"
// (processModel password, virtualDirectory password, anonymousAuthentication
// password, ...), with their value.
var passwordAttr = regexp.MustCompile(`(?i)\s[\w.:-]*password[\w.:-]*\s*=\s*("[^"]*"|'[^']*')`)

// stripPasswords removes every password attribute from a configuration.
func stripPasswords(b []byte) []byte { return passwordAttr.ReplaceAll(b, nil) }

// collect writes an evidence bundle into dir (which must not exist or be
// empty) and reports what it did on log.
func collect(ctx context.Context, dir string, days int, src collectSource, log io.Writer) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("-collect %s: directory is not empty", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var problems []string
	note := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		problems = append(problems, msg)
		fmt.Fprintln(log, "diagnose: collect:", msg)
	}

	// Configuration, without passwords.
	var cfg *iisconfig.Config
	if raw, err := os.ReadFile(src.ConfigPath); err != nil {
		note("applicationHost.config: %v", err)
	} else {
		clean := stripPasswords(raw)
		if err := os.WriteFile(filepath.Join(dir, "applicationHost.config"), clean, 0o644); err != nil {
			return err
		}
		if cfg, err = iisconfig.Parse(bytes.NewReader(clean)); err != nil {
			note("applicationHost.config does not parse: %v", err)
		}
	}

	// host.json.
	hj, _ := json.MarshalIndent(src.Host, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "host.json"), append(hj, '\n'), 0o644); err != nil {
		return err
	}

	// setspn -L for the computer and every domain account running a pool.
	accounts := []string{}
	if c := src.Host["computer"]; c != "" {
		accounts = append(accounts, c)
	}
	if cfg != nil {
		seen := map[string]bool{}
		for _, p := range cfg.AppPoolList() {
			if p.IdentityType == iisconfig.SpecificUser && p.UserName != "" && !seen[strings.ToLower(p.UserName)] {
				seen[strings.ToLower(p.UserName)] = true
				accounts = append(accounts, p.UserName)
			}
		}
	}
	if src.Setspn != nil && len(accounts) > 0 {
		if err := os.MkdirAll(filepath.Join(dir, "setspn"), 0o755); err != nil {
			return err
		}
		for _, a := range accounts {
			if err := ctx.Err(); err != nil {
				return err
			}
			out, err := src.Setspn(ctx, a)
			if err != nil {
				note("setspn -L %s: %v", a, err)
				if len(out) == 0 {
					continue
				}
			}
			name := strings.NewReplacer(`\`, "_", "/", "_", "@", "_", " ", "_").Replace(a) + ".txt"
			if err := os.WriteFile(filepath.Join(dir, "setspn", name), out, 0o644); err != nil {
				return err
			}
		}
	}

	// Logs of the last days.
	since := time.Now().AddDate(0, 0, -days)
	keys := make([]string, 0, len(src.LogDirs))
	for k := range src.LogDirs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		n, err := copyRecent(ctx, src.LogDirs[k], filepath.Join(dir, filepath.FromSlash(k)), since)
		if err != nil {
			note("%s from %s: %v", k, src.LogDirs[k], err)
		}
		fmt.Fprintf(log, "diagnose: collect: %s: %d files from %s\n", k, n, src.LogDirs[k])
	}
	if len(problems) > 0 {
		fmt.Fprintf(log, "diagnose: collect: finished with %d problems (see above); the bundle is still usable\n", len(problems))
	}
	return nil
}

// copyRecent copies the regular files under from modified since the given
// time into to, keeping the tree; it returns how many it copied.
func copyRecent(ctx context.Context, from, to string, since time.Time) (int, error) {
	n := 0
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil || info.ModTime().Before(since) {
			return nil
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := copyFile(p, dst); err != nil {
			return err
		}
		n++
		return nil
	})
	return n, err
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
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
