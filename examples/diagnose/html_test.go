package main

import (
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

// The HTML report opened in a real headless browser (Debian chromium): it
// renders to a PNG and the DOM the browser built has the verdict, the
// findings and the commands. The browser is IISKERB_CHROMIUM or chromium
// on PATH (testenv/browser installs it).
func TestHTMLInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	browser := os.Getenv("IISKERB_CHROMIUM")
	if browser == "" {
		var err error
		if browser, err = exec.LookPath("chromium"); err != nil {
			testenv.Skip(t, "no chromium (see testenv/browser/packages, or set IISKERB_CHROMIUM)")
		}
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	code, _, errOut := runArgs(t, "-format", "html", "-o", page)
	if code == exitFailed {
		t.Fatalf("exit 2: %s", errOut)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	common := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--user-data-dir=" + filepath.Join(dir, "profile"), "--window-size=1200,1600"}

	shot := filepath.Join(dir, "report.png")
	cmd := exec.CommandContext(ctx, browser, append(common, "--screenshot="+shot, "file://"+page)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium --screenshot: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 800 || b.Dy() < 800 {
		t.Errorf("screenshot %v", b)
	}

	dom, err := exec.CommandContext(ctx, browser, append(common, "--dump-dom", "file://"+page)...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v", err)
	}
	d := string(dom)
	for _, want := range []string{
		`data-scenario="Agents cannot register with Task Server"`,
		`class="verdict-no"`,
		`<pre class="commands">`,
		`id="checks-table"`,
	} {
		if !strings.Contains(d, want) {
			t.Errorf("browser DOM lacks %s", want)
		}
	}
	if strings.Count(d, `class="finding sev-`) < 3 {
		t.Errorf("browser DOM has %d findings", strings.Count(d, `class="finding sev-`))
	}
}
