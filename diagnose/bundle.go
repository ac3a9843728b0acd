package diagnose

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
	"reflect"
	"sort"
	"strings"

	"github.com/iiskerb/iiskerb/iisconfig"
	"github.com/iiskerb/iiskerb/internal/textenc"
	"github.com/iiskerb/iiskerb/negotiate"
	"github.com/iiskerb/iiskerb/spn"
)

// HostFile is the content of a bundle's host.json. Every key is optional.
type HostFile struct {
	// Computer, FQDN, Domain, Realm, Role, Aliases and CNAMEs fill Host
	// (see Host for their meaning).
	Computer string            `json:"computer"`
	FQDN     string            `json:"fqdn"`    // see Computer
	Domain   string            `json:"domain"`  // see Computer
	Realm    string            `json:"realm"`   // see Computer
	Role     string            `json:"role"`    // see Computer
	Aliases  []string          `json:"aliases"` // see Computer
	CNAMEs   map[string]string `json:"cnames"`  // see Computer
	// NTLMDisabled, NonDomainClients, TLSInspection and
	// FirewallShowsServiceAccount fill Scenario.
	NTLMDisabled                bool `json:"ntlm_disabled"`
	NonDomainClients            bool `json:"non_domain_clients"`       // see NTLMDisabled
	TLSInspection               bool `json:"tls_inspection"`           // see NTLMDisabled
	FirewallShowsServiceAccount bool `json:"firewall_service_account"` // see NTLMDisabled
	// LDIFComplete declares that ldif/*.ldf hold every SPN holder of the
	// domain (exported with -r "(servicePrincipalName=*)" from its root), so
	// the absence of an SPN owner is proven.
	LDIFComplete bool `json:"ldif_complete"`
}

var hostRoles = map[string]bool{"": true, "notification-server": true, "task-server": true, "package-server": true, "web": true}

// maxEvidenceFile bounds the evidence files read whole (host.json,
// web.config, keytabs, loose files being recognised); setspn, klist and
// LDIF files and logs are streamed through readers that bound their own
// memory.
const maxEvidenceFile = 256 << 20

// maxTraceFile bounds an HTTP trace, which is read whole: a pasted exchange
// is kilobytes; anything near this is not one.
const maxTraceFile = 16 << 20

// LoadBundle reads an evidence bundle directory:
//
//	host.json              {"computer","fqdn","domain","realm","role","aliases","cnames",
//	                        "ntlm_disabled","non_domain_clients","tls_inspection",
//	                        "firewall_service_account","ldif_complete"}
//	applicationHost.config
//	setspn/*.txt           setspn -L / -Q / -X output, recognised by content
//	klist/*.txt            Windows or MIT klist output, recognised by content
//	ldif/*.ldf             ldifde export of SPN holders
//	logs/iis/**            W3C logs
//	logs/agent/**          Symantec Management Agent logs
//	logs/smp/**            Notification Server logs
//	http/*.txt             raw HTTP exchanges (curl -v, proxy dumps)
//
// Every part is optional. Text may be UTF-8, UTF-8 with a BOM or UTF-16LE
// with CRLF line ends. Loose .txt files at the top level are recognised by
// content (setspn, klist, HTTP trace) and u_ex*.log files with a #Fields
// header are used as IIS logs, each with a warning saying where it belongs.
// A file that cannot be read or recognised, and any other
// file or directory outside the layout, becomes an EvidenceWarning in
// Evidence.Warnings (and so in the report); it never stops the load. Logs
// are not read here: LogFile.Open opens them when a check needs them.
//
// The error is non-nil only when dir itself cannot be read or ctx is
// cancelled.
func LoadBundle(ctx context.Context, dir string) (*Evidence, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("diagnose: evidence bundle: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("diagnose: evidence bundle %s: not a directory", dir)
	}
	return LoadBundleFS(ctx, os.DirFS(dir))
}

// LoadBundleFS is LoadBundle over a file system whose root is the bundle
// (an embed.FS subtree, a zip.Reader, os.DirFS). Its LogFiles open their
// files from fsys when read.
func LoadBundleFS(ctx context.Context, fsys fs.FS) (*Evidence, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("diagnose: evidence bundle: %w", err)
	}
	b := &bundleLoader{fsys: fsys, ev: &Evidence{}}
	var setspnOut []*spn.SetspnOutput
	var ldif []string // streamed into the directory after setspn output
	ldifComplete := false
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name := e.Name()
		switch {
		case name == "host.json" && !e.IsDir():
			if h, ok := b.loadHost(); ok {
				ldifComplete = h.LDIFComplete
			}
		case strings.EqualFold(name, "applicationHost.config") && !e.IsDir():
			b.loadConfig(name)
		case name == "webconfig" && e.IsDir():
			for _, rel := range b.files(name, "", true) {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				b.loadWebConfig(rel)
			}
		case name == "setspn" && e.IsDir():
			for _, rel := range b.files(name, ".txt", false) {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				if o := b.loadSetspn(rel); o != nil {
					setspnOut = append(setspnOut, o)
				}
			}
		case name == "klist" && e.IsDir():
			for _, rel := range b.files(name, ".txt", false) {
				b.loadKlist(rel)
			}
		case name == "ldif" && e.IsDir():
			ldif = append(ldif, b.files(name, ".ldf", false)...)
		case name == "logs" && e.IsDir():
			b.loadLogs()
		case name == "keys" && e.IsDir():
			for _, rel := range b.files(name, "", false) {
				data := b.read(rel)
				if data == nil {
					continue
				}
				keys, err := negotiate.ParseKeytab(data)
				if err != nil {
					b.unusable(EvKeys, rel, "", "not a keytab: "+err.Error())
					continue
				}
				b.ev.Keys = append(b.ev.Keys, keys...)
			}
		case name == "events" && e.IsDir():
			for _, f := range b.files(name, "", true) {
				b.ev.Events = append(b.ev.Events, FSLog(b.fsys, f))
			}
			if len(b.ev.Events) == 0 {
				b.warn(name, "", "no event files")
			}
		case name == "http" && e.IsDir():
			for _, rel := range b.files(name, ".txt", false) {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				b.loadHTTP(ctx, rel)
			}
		case name == "expected.json" || name == "options.json" || strings.HasPrefix(name, "README") || strings.HasPrefix(name, "PROVENANCE") || strings.HasPrefix(name, "."):
			// Documentation and test expectations that live beside the
			// evidence are not evidence.
		case !e.IsDir() && e.Type().IsRegular() && b.sniff(ctx, name, &setspnOut):
			// A loose file recognised by content; sniff warned where it belongs.
		default:
			kind := "file"
			if e.IsDir() {
				kind = "directory"
			}
			b.unusable(EvUnrecognised, name, "", kind+" is not part of the evidence bundle layout (host.json, applicationHost.config, webconfig/, setspn/, klist/, ldif/, logs/iis|agent|smp/, http/, events/, keys/); ignored")
		}
	}
	b.attachWebConfigs()
	if len(setspnOut) > 0 || len(ldif) > 0 {
		// setspn output first, then the exports, as NewOfflineDirectory
		// merges them; the exports are streamed into the directory's
		// packed form, never held as accounts.
		ob := spn.NewOfflineBuilder(b.ev.Host.Domain)
		for _, o := range setspnOut {
			ob.AddSetspn(o)
		}
		for _, rel := range ldif {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			b.loadLDIF(ctx, ob, rel)
		}
		od := ob.Directory(ldifComplete)
		for _, w := range od.Warnings() {
			b.ev.Warnings = append(b.ev.Warnings, spnWarning(w))
		}
		b.ev.Directory = od
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return b.ev, nil
}

type bundleLoader struct {
	fsys fs.FS
	ev   *Evidence
	web  []*iisconfig.WebConfig
}

// loadWebConfig reads webconfig/<Site>/<app path>/web.config; the
// directories below webconfig/ are the configuration path it applies to.
func (b *bundleLoader) loadWebConfig(rel string) {
	if !strings.EqualFold(path.Base(rel), "web.config") {
		b.unusable(EvConfig, rel, "", "not a web.config (webconfig/<Site>/<app path>/web.config); ignored")
		return
	}
	dir := strings.TrimPrefix(path.Dir(rel), "webconfig")
	dir = strings.Trim(dir, "/")
	if dir == "" {
		b.unusable(EvConfig, rel, "", "a web.config directly under webconfig/ names no site (webconfig/<Site>/<app path>/web.config); ignored")
		return
	}
	data := b.read(rel)
	if data == nil {
		return
	}
	wc, err := iisconfig.ParseWebConfig(rel, dir, bytes.NewReader(data))
	if err != nil {
		var pe *iisconfig.ParseError
		loc := ""
		if errors.As(err, &pe) && pe.Line > 0 {
			loc = fmt.Sprint(pe.Line)
		}
		b.unusable(EvConfig, rel, loc, "not usable as a web.config: "+err.Error())
		return
	}
	b.web = append(b.web, wc)
}

// attachWebConfigs layers the bundle's web.config files over the
// applicationHost.config, as IIS merges them.
func (b *bundleLoader) attachWebConfigs() {
	if len(b.web) == 0 {
		return
	}
	if b.ev.Config == nil {
		for _, wc := range b.web {
			b.unusable(EvConfig, wc.Name, "", "a web.config applies only over applicationHost.config, which the bundle does not have in usable form; ignored")
		}
		return
	}
	before := len(b.ev.Config.Warnings)
	cfg := b.ev.Config.WithWebConfigs(b.web...)
	for _, w := range cfg.Warnings[before:] {
		b.warn(cfg.Position(w.Locator), "", w.Message)
	}
	for _, wc := range b.web {
		for _, w := range wc.Warnings {
			b.warn(wc.Name, "", w.Message)
		}
	}
	b.ev.Config = cfg
}

// unusable records supplied evidence that could not be used, with a warning.
func (b *bundleLoader) unusable(kind EvidenceKind, source, locator, msg string) {
	b.warn(source, locator, msg)
	b.ev.Unusable = append(b.ev.Unusable, UnusableEvidence{Kind: kind, Source: source, Reason: msg})
}

func (b *bundleLoader) warn(source, locator, msg string) {
	b.ev.Warnings = append(b.ev.Warnings, EvidenceWarning{Source: source, Locator: locator, Message: msg})
}

func spnWarning(w spn.Warning) EvidenceWarning {
	loc := ""
	if w.Line > 0 {
		loc = fmt.Sprint(w.Line)
	}
	return EvidenceWarning{Source: filepath.ToSlash(w.File), Locator: loc, Message: w.Message}
}

// files lists the regular files under the bundle-relative directory rel,
// sorted. The extension ext is what the layout names (".txt" for setspn
// output): a file with another extension is still read and recognised by
// content - a file given by a program's flag keeps its own name - and one
// that is not recognised becomes a warning. Documentation beside the
// evidence (README*, PROVENANCE*) and dot files are skipped.
func (b *bundleLoader) files(rel, ext string, recursive bool) []string {
	var out []string
	root := rel
	err := fs.WalkDir(b.fsys, root, func(p string, d fs.DirEntry, err error) error {
		r := p
		if err != nil {
			b.warn(r, "", "cannot read: "+err.Error())
			if d != nil && d.IsDir() && p != root {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != root && !recursive {
				b.warn(r, "", "subdirectory not expected here; ignored")
				return fs.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "README") || strings.HasPrefix(d.Name(), "PROVENANCE") {
			return nil
		}
		if !d.Type().IsRegular() {
			b.warn(r, "", "not a regular file; ignored")
			return nil
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		b.warn(rel, "", "cannot list: "+err.Error())
	}
	sort.Strings(out)
	return out
}

// withFile streams the bundle file rel to parse, or warns and returns
// false when it cannot be opened. The readers bound their own memory
// (line and size limits), so large files are not read whole.
func (b *bundleLoader) withFile(rel string, parse func(r io.Reader)) bool {
	f, err := b.fsys.Open(rel)
	if err != nil {
		b.warn(rel, "", "cannot read: "+unwrapPath(err))
		return false
	}
	defer f.Close()
	parse(f)
	return true
}

// read returns a whole (small) evidence file, or warns and returns nil.
func (b *bundleLoader) read(rel string) []byte { return b.readMax(rel, maxEvidenceFile) }

// readMax is read with a size cap of its own.
func (b *bundleLoader) readMax(rel string, max int) []byte {
	f, err := b.fsys.Open(rel)
	if err != nil {
		b.warn(rel, "", "cannot read: "+unwrapPath(err))
		return nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
	if err != nil {
		b.warn(rel, "", "cannot read: "+unwrapPath(err))
		return nil
	}
	if len(data) > max {
		b.unusable(EvUnrecognised, rel, "", fmt.Sprintf("larger than %d MiB; ignored", max>>20))
		return nil
	}
	return data
}

// unwrapPath drops the absolute path from *fs.PathError messages so reports
// do not depend on where the bundle was unpacked.
func unwrapPath(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

func (b *bundleLoader) loadHost() (HostFile, bool) {
	var h HostFile
	data := b.read("host.json")
	if data == nil {
		return h, false
	}
	tr, _, err := textenc.NewReader(bytes.NewReader(data))
	if err == nil {
		data, err = io.ReadAll(tr)
	}
	if err != nil {
		b.warn("host.json", "", "cannot decode text: "+err.Error())
		return h, false
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		b.unusable(EvHost, "host.json", jsonLocator(data, err), "not valid JSON: "+err.Error()+"; host facts ignored")
		return h, false
	}
	if err := json.Unmarshal(data, &h); err != nil {
		b.unusable(EvHost, "host.json", jsonLocator(data, err), "unexpected value: "+err.Error()+"; host facts ignored")
		return HostFile{}, false
	}
	// The keys HostFile decodes, from its json tags.
	known := map[string]bool{}
	for f := range reflect.TypeFor[HostFile]().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		known[name] = true
	}
	var unknown []string
	for k := range raw {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		b.warn("host.json", "", fmt.Sprintf("unknown key %q ignored", k))
	}
	h.Role = strings.ToLower(strings.TrimSpace(h.Role))
	if !hostRoles[h.Role] {
		b.warn("host.json", "", fmt.Sprintf("unknown role %q (want notification-server, task-server, package-server or web); role ignored", h.Role))
		h.Role = ""
	}
	b.ev.Host = Host{Computer: h.Computer, FQDN: h.FQDN, Domain: h.Domain, Realm: h.Realm, Role: h.Role,
		Aliases: h.Aliases, CNAMEs: h.CNAMEs}
	b.ev.Scenario = Scenario{NTLMDisabled: h.NTLMDisabled, NonDomainClients: h.NonDomainClients,
		TLSInspection: h.TLSInspection, FirewallShowsServiceAccount: h.FirewallShowsServiceAccount}
	return h, true
}

// jsonLocator returns "line N" for a JSON syntax error, or "".
func jsonLocator(data []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	off := int64(-1)
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return ""
	}
	return fmt.Sprint(bytes.Count(data[:off], []byte("\n")) + 1)
}

func (b *bundleLoader) loadConfig(name string) {
	f, err := b.fsys.Open(name)
	if err != nil {
		b.warn(name, "", "cannot read: "+unwrapPath(err))
		return
	}
	defer f.Close()
	cfg, err := iisconfig.ParseWith(f, iisconfig.Options{Name: name})
	if err != nil {
		var pe *iisconfig.ParseError
		loc := ""
		if errors.As(err, &pe) && pe.Line > 0 {
			loc = fmt.Sprint(pe.Line)
		}
		msg := "not usable as applicationHost.config: " + err.Error() + "; configuration checks not verified"
		if errors.Is(err, iisconfig.ErrWebConfig) {
			msg += " (a web.config belongs under webconfig/<Site>/<app path>/web.config, beside the server's applicationHost.config)"
		}
		b.unusable(EvConfig, name, loc, msg)
		return
	}
	b.ev.Config, b.ev.ConfigSource = cfg, name
	for _, w := range cfg.Warnings {
		loc := ""
		if l := cfg.Line(w.Locator); l > 0 {
			loc = fmt.Sprint(l)
		}
		b.warn(name, loc, w.Message)
	}
}

func (b *bundleLoader) loadSetspn(rel string) (o *spn.SetspnOutput) {
	b.withFile(rel, func(r io.Reader) {
		var err error
		if o, err = spn.ParseSetspn(rel, r); err != nil {
			b.unusable(EvDirectory, rel, "", "not recognised as setspn -L/-Q/-X output: "+err.Error())
			o = nil
		}
	})
	return o
}

// loadLDIF streams the export rel into ob; a file that cannot be read
// whole adds nothing and is unusable evidence. Its warnings reach the
// report through the directory's.
func (b *bundleLoader) loadLDIF(ctx context.Context, ob *spn.OfflineBuilder, rel string) {
	var err error
	if !b.withFile(rel, func(r io.Reader) { _, err = ob.ReadLDIF(ctx, rel, r) }) {
		return
	}
	if err != nil {
		b.unusable(EvDirectory, rel, "", "not usable as an ldifde export: "+err.Error())
	}
}

func (b *bundleLoader) loadKlist(rel string) {
	var k *negotiate.Klist
	var err error
	if !b.withFile(rel, func(r io.Reader) { k, err = negotiate.ParseKlist(r) }) {
		return
	}
	if err != nil {
		b.unusable(EvTickets, rel, "", "not recognised as klist output: "+err.Error())
		return
	}
	b.addKlist(k, rel)
}

// addKlist adds parsed klist output read from the bundle file rel.
func (b *bundleLoader) addKlist(k *negotiate.Klist, rel string) {
	if k.Name == "" {
		k.Name = rel
	}
	b.ev.Klists = append(b.ev.Klists, k)
	b.ev.KlistSources = append(b.ev.KlistSources, rel)
}

func (b *bundleLoader) loadHTTP(ctx context.Context, rel string) {
	data := b.readMax(rel, maxTraceFile)
	if data == nil {
		return
	}
	t, err := ParseHTTPTrace(rel, bytes.NewReader(data))
	if err != nil {
		b.unusable(EvTokens, rel, "", "not recognised as an HTTP exchange: "+err.Error())
		return
	}
	b.addHTTPTrace(ctx, t)
}

// addHTTPTrace adds an HTTP trace and the tokens decoded from it.
func (b *bundleLoader) addHTTPTrace(ctx context.Context, t *HTTPTrace) {
	b.ev.HTTPTraces = append(b.ev.HTTPTraces, t)
	toks, warns := t.Tokens(ctx)
	b.ev.Tokens = append(b.ev.Tokens, toks...)
	b.ev.Warnings = append(b.ev.Warnings, warns...)
}

func (b *bundleLoader) loadLogs() {
	entries, err := fs.ReadDir(b.fsys, "logs")
	if err != nil {
		b.warn("logs", "", "cannot list: "+unwrapPath(err))
		return
	}
	for _, e := range entries {
		rel := "logs/" + e.Name()
		var dst *[]LogFile
		switch {
		case e.IsDir() && e.Name() == "iis":
			dst = &b.ev.IISLogs
		case e.IsDir() && e.Name() == "agent":
			dst = &b.ev.AgentLogs
		case e.IsDir() && e.Name() == "smp":
			dst = &b.ev.SMPLogs
		case strings.HasPrefix(e.Name(), "."):
			continue
		default:
			b.warn(rel, "", "not part of the bundle layout (logs/iis, logs/agent, logs/smp); ignored")
			continue
		}
		for _, f := range b.files(rel, "", true) {
			*dst = append(*dst, FSLog(b.fsys, f))
		}
		if len(*dst) == 0 {
			b.warn(rel, "", "no log files")
		}
	}
}

// FileLog returns a LogFile named name that opens the file at path.
func FileLog(name, path string) LogFile {
	return LogFile{Name: name, Open: func() (io.ReadCloser, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %s", name, unwrapPath(err))
		}
		return f, nil
	}}
}

// FSLog returns a LogFile named name that opens name in fsys.
func FSLog(fsys fs.FS, name string) LogFile {
	return LogFile{Name: name, Open: func() (io.ReadCloser, error) {
		f, err := fsys.Open(name)
		if err != nil {
			return nil, fmt.Errorf("%s: %s", name, unwrapPath(err))
		}
		return f, nil
	}}
}

// sniff recognises a loose top-level file by content (setspn, klist or
// HTTP trace text; a W3C log by its u_ex name and #Fields header), uses it,
// and warns where it belongs. It reports whether the file was used.
func (b *bundleLoader) sniff(ctx context.Context, name string, setspnOut *[]*spn.SetspnOutput) bool {
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "u_ex") && strings.HasSuffix(lower, ".log") {
		data := b.readHead(name, 4096)
		if bytes.Contains(data, []byte("#Fields:")) || bytes.Contains(data, []byte("#\x00F\x00i\x00e\x00l\x00d\x00s")) {
			b.ev.IISLogs = append(b.ev.IISLogs, FSLog(b.fsys, name))
			b.warn(name, "", "W3C log at the top level: used as an IIS log (put it under logs/iis/)")
			return true
		}
		return false
	}
	if !strings.HasSuffix(lower, ".txt") {
		return false
	}
	data := b.read(name)
	if data == nil {
		return true // read warned
	}
	if o, err := spn.ParseSetspn(name, bytes.NewReader(data)); err == nil {
		*setspnOut = append(*setspnOut, o)
		b.warn(name, "", "setspn output at the top level: used (put it under setspn/)")
		return true
	}
	if k, err := negotiate.ParseKlist(bytes.NewReader(data)); err == nil {
		b.addKlist(k, name)
		b.warn(name, "", "klist output at the top level: used (put it under klist/)")
		return true
	}
	if t, err := ParseHTTPTrace(name, bytes.NewReader(data)); err == nil {
		b.addHTTPTrace(ctx, t)
		b.warn(name, "", "HTTP exchange at the top level: used (put it under http/)")
		return true
	}
	return false
}

// readHead returns up to n bytes of a file, nil when it cannot be read.
func (b *bundleLoader) readHead(name string, n int64) []byte {
	f, err := b.fsys.Open(name)
	if err != nil {
		return nil
	}
	defer f.Close()
	data, _ := io.ReadAll(io.LimitReader(f, n))
	return data
}
