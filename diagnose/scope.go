package diagnose

import (
	"fmt"
	"strings"

	"github.com/iiskerb/iiskerb/iisconfig"
)

// Target is one configuration path in the run's scope with its effective
// settings and, when a profile path covers it, the profile's requirements.
type Target struct {
	// Path is the configuration path ("Default Web Site/Altiris/NS/Agent").
	Path string
	// Settings are the effective settings of Path.
	Settings *iisconfig.Settings
	// Rule is the profile path that covers Path, nil when Path is in scope
	// only because Windows Authentication is enabled on it.
	Rule *ProfilePath
}

// Role returns the profile role of the target ("agent", "task-server", ...)
// or "" when no profile path covers it.
func (t Target) Role() string {
	if t.Rule == nil {
		return ""
	}
	return t.Rule.Role
}

type scopeData struct {
	targets []Target
	notes   []string
}

// Applications returns the effective settings of every application root
// and every <location> path of the configuration (iisconfig
// Config.Applications), computed once per run. Nil without a config.
func (p *Pass) Applications() []*iisconfig.Settings {
	if p.Evidence.Config == nil {
		return nil
	}
	v, _ := p.Shared("diagnose:applications", func() (any, error) {
		return p.Evidence.Config.Applications(), nil
	})
	apps, _ := v.([]*iisconfig.Settings)
	return apps
}

// Scope returns the paths the profile puts in scope, computed once per run:
// each profile path that exists in the configuration (with its rule), then,
// when the profile includes them, every other application or location path
// with Windows Authentication enabled (with the rule of a profile path
// above it, if any). Nil without a config.
func (p *Pass) Scope() []Target {
	if p.Evidence.Config == nil {
		return nil
	}
	return p.scope().targets
}

func (p *Pass) scope() *scopeData {
	v, _ := p.Shared("diagnose:scope", func() (any, error) {
		return computeScope(p.Evidence, p.Profile, p.Applications()), nil
	})
	sd, _ := v.(*scopeData)
	if sd == nil {
		return &scopeData{}
	}
	return sd
}

func computeScope(ev *Evidence, prof *Profile, apps []*iisconfig.Settings) *scopeData {
	cfg := ev.Config
	sd := &scopeData{}
	seen := map[string]bool{}
	add := func(t Target) {
		k := strings.ToLower(normPath(t.Path))
		if seen[k] {
			return
		}
		seen[k] = true
		sd.targets = append(sd.targets, t)
	}
	for i := range prof.Paths {
		pp := &prof.Paths[i]
		var candidates []string
		if rest, ok := strings.CutPrefix(normPath(pp.Path), "*/"); ok {
			for _, s := range cfg.Sites {
				candidates = append(candidates, s.Name+"/"+rest)
			}
		} else {
			candidates = []string{normPath(pp.Path)}
		}
		found := false
		for _, c := range candidates {
			if !configHasPath(cfg, c) {
				continue
			}
			s, err := cfg.Effective(c)
			if err != nil {
				continue
			}
			found = true
			add(Target{Path: s.Path, Settings: s, Rule: pp})
		}
		if !found && pp.HostedBy(ev.Host.Role) {
			where := ""
			if len(pp.Servers) > 0 {
				where = " (hosted by: " + strings.Join(pp.Servers, ", ") + ")"
			}
			sd.notes = append(sd.notes, fmt.Sprintf("profile %s: %s path %s is not configured on this server%s; not checked",
				prof.Name, pp.Role, pp.Path, where))
		}
	}
	if prof.IncludeWindowsAuthPaths {
		for _, s := range apps {
			if s == nil || s.Site == "" || !s.WindowsAuth.Enabled {
				continue
			}
			rule, _ := prof.Match(s.Path)
			add(Target{Path: s.Path, Settings: s, Rule: rule})
		}
	}
	return sd
}

// configHasPath reports whether the configuration declares path: an
// application, a virtual directory, or a <location> tag at or below it.
func configHasPath(cfg *iisconfig.Config, path string) bool {
	for _, site := range cfg.Sites {
		if !under(path, site.Name) {
			continue
		}
		for _, app := range site.Applications {
			if strings.EqualFold(normPath(app.FullPath()), normPath(path)) {
				return true
			}
			for _, vd := range app.VirtualDirectories {
				if normPath(vd.Path) == "" {
					continue
				}
				if strings.EqualFold(normPath(app.FullPath()+"/"+normPath(vd.Path)), normPath(path)) {
					return true
				}
			}
		}
	}
	for _, l := range cfg.Locations {
		if normPath(l.Path) != "" && under(l.Path, path) {
			return true
		}
	}
	return false
}
