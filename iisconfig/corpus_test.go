package iisconfig

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// corpusFiles returns every applicationHost.config copied from
// ../shared/corpus/iis (provenance: testdata/corpus/MANIFEST.tsv).
func corpusFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/corpus/*.config")
	if err != nil || len(files) != 22 {
		t.Fatalf("want 22 corpus files, got %d (%v)", len(files), err)
	}
	return files
}

func loadCorpus(t *testing.T, prefix string) *Config {
	t.Helper()
	files, _ := filepath.Glob("testdata/corpus/" + prefix + "-*.config")
	if len(files) != 1 {
		t.Fatalf("corpus file %s-*: found %d", prefix, len(files))
	}
	c, err := ParseFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustEffective(t *testing.T, c *Config, path string) *Settings {
	t.Helper()
	s, err := c.Effective(path)
	if err != nil {
		t.Fatalf("Effective(%q): %v", path, err)
	}
	return s
}

// TestCorpusAllResolve parses every corpus file and checks that every
// enumerated path resolves consistently through Effective, that each
// non-default origin has a line, and that no password survives in any
// rendering of the model.
func TestCorpusAllResolve(t *testing.T) {
	for _, f := range corpusFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, err := ParseFile(f)
			if err != nil {
				t.Fatal(err)
			}
			apps := c.Applications()
			if len(apps) == 0 {
				t.Fatal("no applications enumerated")
			}
			nApps := 0
			for _, site := range c.Sites {
				nApps += len(site.Applications)
			}
			if len(apps) < nApps {
				t.Errorf("Applications() = %d entries, fewer than the %d applications", len(apps), nApps)
			}
			for _, s := range apps {
				if s.Site == "" {
					continue // a location naming no site (warned)
				}
				e := mustEffective(t, c, s.Path)
				if !reflect.DeepEqual(e.WindowsAuth, s.WindowsAuth) || e.Anonymous != s.Anonymous || e.AppPoolName != s.AppPoolName || e.Decrypting != s.Decrypting {
					t.Errorf("%s: Effective differs from Applications entry", s.Path)
				}
				for f := field(0); f < numFields; f++ {
					o := s.Origin(fieldNames[f].section, fieldNames[f].attr)
					if o.Kind == NoOrigin {
						t.Errorf("%s: field %v has no origin", s.Path, fieldNames[f])
					}
					if o.Kind != SchemaDefault && c.Line(o.Locator) <= 0 {
						t.Errorf("%s: origin of %v has no line", s.Path, fieldNames[f])
					}
				}
			}
			for _, w := range c.Warnings {
				if c.Line(w.Locator) <= 0 {
					t.Errorf("warning without line: %v", w)
				}
			}
			var b strings.Builder
			fmt.Fprintf(&b, "%+v %#v", c, c)
			for _, p := range c.AppPoolList() {
				fmt.Fprintf(&b, "%+v %#v", p, p)
			}
			for _, s := range apps {
				fmt.Fprintf(&b, "%+v %#v", s, s)
				j, err := json.Marshal(s)
				if err != nil {
					t.Fatal(err)
				}
				b.Write(j)
			}
			if out := b.String(); strings.Contains(out, "[enc:") || strings.Contains(out, "assword") {
				t.Errorf("a password (or its attribute) is reachable from the model")
			}
		})
	}
}

// TestCorpusGolden checks hand-verified values on chosen paths.
func TestCorpusGolden(t *testing.T) {
	t.Run("01 NTLM-only with kernel mode off", func(t *testing.T) {
		c := loadCorpus(t, "01")
		s := mustEffective(t, c, "pert-ncidc.lmbps.com")
		w := s.WindowsAuth
		if !w.Enabled || w.UseKernelMode || !reflect.DeepEqual(w.Providers, []string{"NTLM"}) || s.Anonymous.Enabled {
			t.Errorf("got %+v anon=%v", w, s.Anonymous)
		}
		if o := s.Origin("windowsAuthentication", "providers"); o.Kind != Location || o.LocationPath != "pert-ncidc.lmbps.com" || c.Line(o.Locator) != 1576 {
			t.Errorf("providers origin %+v line %d", o, c.Line(o.Locator))
		}
		if got := c.Describe(s.Origin("windowsAuthentication", "useKernelMode")); got != `01-pubslocator-fullIIS-139loc.config:1575 (location "pert-ncidc.lmbps.com")` {
			t.Errorf("Describe = %s", got)
		}
		// The site's pool is not defined: warned, decrypting account undetermined.
		if s.AppPoolName != "pubssp.lmbps.com" || s.AppPool != nil || s.Decrypting.Kind != Undetermined {
			t.Errorf("pool %q %v decrypting %+v", s.AppPoolName, s.AppPool, s.Decrypting)
		}
		// A folder location without auth sections inherits the site's.
		s = mustEffective(t, c, "PERT-NCIDC.lmbps.com/_vti_bin")
		if !s.WindowsAuth.Enabled || !reflect.DeepEqual(s.WindowsAuth.Providers, []string{"NTLM"}) || s.Path != "pert-ncidc.lmbps.com/_vti_bin" {
			t.Errorf("_vti_bin: %+v path %q", s.WindowsAuth, s.Path)
		}
		// A nested location turns Windows auth off and anonymous on; providers still inherited.
		s = mustEffective(t, c, "pert-ncidc.lmbps.com/_vti_bin/anonsvc")
		if s.WindowsAuth.Enabled || !s.Anonymous.Enabled || s.WindowsAuth.UseKernelMode || !reflect.DeepEqual(s.WindowsAuth.Providers, []string{"NTLM"}) {
			t.Errorf("anonsvc: %+v anon %+v", s.WindowsAuth, s.Anonymous)
		}
		if o := s.Origin("windowsAuthentication", "enabled"); o.LocationPath != "pert-ncidc.lmbps.com/_vti_bin/anonsvc" || c.Line(o.Locator) != 1613 {
			t.Errorf("anonsvc enabled origin %+v line %d", o, c.Line(o.Locator))
		}
		// Nearest location wins even when it precedes its parent in the file.
		if s := mustEffective(t, c, "pubsprod.lmbps.com/ncipladmin"); s.WindowsAuth.Enabled {
			t.Error("ncipladmin: want Windows auth disabled by its own location")
		}
		if s := mustEffective(t, c, "pubsprod.lmbps.com/hitt"); !s.WindowsAuth.Enabled || c.Line(s.Origin("windowsAuthentication", "enabled").Locator) != 1551 {
			t.Error("hitt: want Windows auth enabled by location pubsprod.lmbps.com (line 1551)")
		}
		// applicationPoolDefaults: SpecificUser with an empty user name.
		p := c.AppPool("ncidc-guam.lmbps.com")
		if p == nil || p.IdentityType != SpecificUser || p.UserName != "" || !p.IdentityFromDefaults {
			t.Errorf("ncidc-guam pool %+v", p)
		}
		if p := c.AppPool("guam"); p == nil || p.IdentityType != SpecificUser || p.IdentityFromDefaults || p.ManagedRuntimeVersion != "v4.0" {
			t.Errorf("GUAM pool %+v", p)
		}
		if p := c.AppPool("ASP.NET 1.1"); p == nil || p.AutoStart || p.ManagedPipelineMode != "Classic" || p.IdentityType != SpecificUser {
			t.Errorf("ASP.NET 1.1 pool %+v", p)
		}
		if s := mustEffective(t, c, "GUAM"); s.Decrypting.Kind != ComputerAccount {
			t.Errorf("GUAM decrypting %+v (kernel mode without useAppPoolCredentials -> computer)", s.Decrypting)
		}
		if len(c.Locations) != 139 {
			t.Errorf("locations = %d, want 139", len(c.Locations))
		}
		b := c.Site("pubsprod.lmbps.com").Bindings
		if len(b) == 0 || b[0].Address != "10.16.32.193" || b[0].Port != 80 {
			t.Errorf("bindings %+v", b)
		}
	})
	t.Run("02 SpecificUser pools and clear+Negotiate,NTLM", func(t *testing.T) {
		c := loadCorpus(t, "02")
		s := mustEffective(t, c, "Default Web Site/BAM")
		if !s.WindowsAuth.Enabled || s.Anonymous.Enabled || s.AppPool == nil || s.AppPool.IdentityType != SpecificUser || s.AppPool.UserName != `NBS-DEVWKS79\SVC_BTS` {
			t.Errorf("BAM: %+v %+v pool %+v", s.WindowsAuth, s.Anonymous, s.AppPool)
		}
		if s.Decrypting.Kind != ComputerAccount || !strings.Contains(s.Decrypting.Reason, "KRB_AP_ERR_MODIFIED") {
			t.Errorf("BAM decrypting %+v", s.Decrypting)
		}
		if !reflect.DeepEqual(s.WindowsAuth.Providers, []string{"Negotiate", "NTLM"}) || s.Origin("windowsAuthentication", "providers").Kind != ServerLevel {
			t.Errorf("BAM providers %v", s.WindowsAuth.Providers)
		}
		s = mustEffective(t, c, "ChequeStop")
		o := s.Origin("windowsAuthentication", "providers")
		if !reflect.DeepEqual(s.WindowsAuth.Providers, []string{"Negotiate", "NTLM"}) || o.Kind != Location || o.LocationPath != "ChequeStop" || c.Line(o.Locator) != 2290 {
			t.Errorf("ChequeStop providers %v origin %+v line %d", s.WindowsAuth.Providers, o, c.Line(o.Locator))
		}
		n := 0
		for _, p := range c.AppPoolList() {
			if p.IdentityType == SpecificUser {
				n++
			}
		}
		if n != 60 {
			t.Errorf("SpecificUser pools = %d, want 60", n)
		}
		var tcp *Binding
		for _, site := range c.Sites {
			for i := range site.Bindings {
				if site.Bindings[i].Protocol == "net.tcp" {
					tcp = &site.Bindings[i]
				}
			}
		}
		if tcp == nil || tcp.Port != 0 || tcp.Raw == "" {
			t.Errorf("net.tcp binding %+v", tcp)
		}
	})
	t.Run("03 no Windows Authentication role", func(t *testing.T) {
		c := loadCorpus(t, "03")
		s := mustEffective(t, c, "redisoncloud.com")
		if len(s.WindowsAuth.Providers) != 0 || s.WindowsAuth.Enabled || s.Origin("windowsAuthentication", "providers").Kind != SchemaDefault {
			t.Errorf("%+v", s.WindowsAuth)
		}
		if s.Bindings[0].Host != "redisoncloud.com" || s.Bindings[0].Port != 80 || s.Bindings[0].Address != "*" {
			t.Errorf("bindings %+v", s.Bindings)
		}
	})
	t.Run("04 SpecificUser UPN", func(t *testing.T) {
		c := loadCorpus(t, "04")
		s := mustEffective(t, c, "bti-eic-sql2")
		if s.AppPoolName != "DefaultAppPool" || s.AppPool.IdentityType != SpecificUser || s.AppPool.UserName != "dlawton@eiclabs.com" {
			t.Errorf("%q %+v", s.AppPoolName, s.AppPool)
		}
		if s.Decrypting.Kind != ComputerAccount {
			t.Errorf("decrypting %+v", s.Decrypting)
		}
	})
	t.Run("05 server-level authPersistNonNTLM", func(t *testing.T) {
		c := loadCorpus(t, "05")
		s := mustEffective(t, c, "Default Web Site")
		if !s.WindowsAuth.AuthPersistNonNTLM || s.WindowsAuth.Enabled || s.Origin("windowsAuthentication", "authPersistNonNTLM").Kind != ServerLevel {
			t.Errorf("%+v", s.WindowsAuth)
		}
	})
	t.Run("07 NetworkService", func(t *testing.T) {
		c := loadCorpus(t, "07")
		s := mustEffective(t, c, "www")
		if s.AppPool.IdentityType != NetworkService || s.Decrypting.Kind != ComputerAccount || s.Bindings[0].Host != "localhost" {
			t.Errorf("%+v %+v", s.AppPool, s.Decrypting)
		}
	})
	t.Run("08 Hosted Web Core", func(t *testing.T) {
		c := loadCorpus(t, "08")
		s := mustEffective(t, c, "WebSite")
		w := s.WindowsAuth
		if w.Enabled || !w.AuthPersistNonNTLM || !reflect.DeepEqual(w.Providers, []string{"Negotiate", "NTLM"}) {
			t.Errorf("%+v", w)
		}
		if got := c.Describe(s.Origin("windowsAuthentication", "authPersistNonNTLM")); got != "08-hwc-hostedwebcore-minimal.config:106 (server level)" {
			t.Errorf("Describe = %s", got)
		}
		if c.SectionOverrideModeDefault("windowsAuthentication") != "Allow" {
			t.Errorf("overrideModeDefault = %q", c.SectionOverrideModeDefault("windowsAuthentication"))
		}
		if b := s.Bindings[0]; b.Address != "" || b.Port != 5000 || b.Host != "localhost" {
			t.Errorf("binding %+v", b)
		}
	})
	t.Run("13 Windows auth role installed", func(t *testing.T) {
		c := loadCorpus(t, "13")
		if c.SectionOverrideModeDefault("windowsAuthentication") != "Deny" {
			t.Error("want Deny")
		}
		s := mustEffective(t, c, "mysite.example.com")
		if s.AppPoolName != "MyPool" || s.Anonymous.UserName != "IUSR" || !s.Anonymous.Enabled {
			t.Errorf("%q %+v", s.AppPoolName, s.Anonymous)
		}
	})
	t.Run("14 ftp and wildcard https", func(t *testing.T) {
		c := loadCorpus(t, "14")
		var got []string
		for _, site := range c.Sites {
			for _, b := range site.Bindings {
				got = append(got, fmt.Sprintf("%s|%s|%d|%s", b.Protocol, b.Address, b.Port, b.Host))
			}
		}
		joined := strings.Join(got, " ")
		if !strings.Contains(joined, "ftp|*|21|") || !strings.Contains(joined, "https|*|443|*.cosoluce.fr") {
			t.Errorf("bindings %s", joined)
		}
	})
	t.Run("18 IIS Express nested application", func(t *testing.T) {
		c := loadCorpus(t, "18")
		s := mustEffective(t, c, "WindowsAuthenticationSample-Site/WindowsAuthSample")
		if !s.WindowsAuth.Enabled || s.Anonymous.Enabled || s.Application == nil || s.Application.Path != "/WindowsAuthSample" || s.AppPoolName != "Clr4IntegratedAppPool" {
			t.Errorf("%+v %+v app %+v", s.WindowsAuth, s.Anonymous, s.Application)
		}
		s = mustEffective(t, c, "WindowsAuthenticationSample-Site")
		if s.WindowsAuth.Enabled || !s.Anonymous.Enabled {
			t.Errorf("site root: %+v", s.WindowsAuth)
		}
		s = mustEffective(t, c, "WindowsAuthenticationSample/any/folder")
		if !s.WindowsAuth.Enabled || s.Anonymous.Enabled || s.Application.Path != "/" {
			t.Errorf("deep path: %+v", s.WindowsAuth)
		}
	})
	t.Run("21 IIS Express template", func(t *testing.T) {
		c := loadCorpus(t, "21")
		s := mustEffective(t, c, "WebSite1")
		if s.AppPoolName != "Clr4IntegratedAppPool" || s.AppPool == nil || s.AppPool.IdentityType != ApplicationPoolIdentity || s.WindowsAuth.Enabled {
			t.Errorf("%q %+v %+v", s.AppPoolName, s.AppPool, s.WindowsAuth)
		}
		if b := s.Bindings[0]; b.Port != 8080 || b.Host != "localhost" || b.Address != "" {
			t.Errorf("binding %+v", b)
		}
	})
	t.Run("22 extendedProtection", func(t *testing.T) {
		c := loadCorpus(t, "22")
		s := mustEffective(t, c, "WebSite2")
		ep := s.WindowsAuth.ExtendedProtection
		if ep.TokenChecking != "Allow" || ep.Flags != "None" || !reflect.DeepEqual(ep.SPNs, []string{"HTTP/www.contoso.com", "HTTP/contoso.com"}) {
			t.Errorf("%+v", ep)
		}
		if o := s.Origin("windowsAuthentication", "extendedProtection/tokenChecking"); o.LocationPath != "WebSite2" || c.Line(o.Locator) != 1144 {
			t.Errorf("origin %+v line %d", o, c.Line(o.Locator))
		}
		if s.Anonymous.UserName != "test" {
			t.Errorf("anonymous %+v", s.Anonymous)
		}
		s = mustEffective(t, c, "WebSite1/test")
		if s.WindowsAuth.Enabled || c.Line(s.Origin("windowsAuthentication", "enabled").Locator) != 1159 {
			t.Errorf("WebSite1/test %+v", s.WindowsAuth)
		}
		s = mustEffective(t, c, "GuessMeWeb")
		if !s.WindowsAuth.Enabled || s.Origin("windowsAuthentication", "enabled").Kind != ServerLevel {
			t.Errorf("server-level enabled=true expected: %+v", s.WindowsAuth)
		}
		found := false
		for _, w := range c.Warnings {
			if w.Kind == WarnLocationNoSite && c.Line(w.Locator) == 1120 {
				found = true
			}
		}
		if !found {
			t.Errorf("want location-no-site warning at line 1120, got %v", c.Warnings)
		}
		var listed bool
		for _, s := range c.Applications() {
			if s.Path == "Default Web Site" && s.Site == "" {
				listed = true
			}
		}
		if !listed {
			t.Error("location naming no site not enumerated")
		}
	})
}
