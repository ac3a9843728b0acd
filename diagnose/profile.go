package diagnose

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

//go:embed profiles/*.json
var profileFS embed.FS

// Profile says which IIS paths matter for a product and what each needs. It
// is data: ITMSProfile and GenericProfile are JSON files embedded in the
// package (diagnose/profiles/), and ParseProfile reads one for another
// product.
type Profile struct {
	// Name is a short identifier ("itms", "generic").
	Name string `json:"name"`
	// Title describes the product.
	Title string `json:"title,omitempty"`
	// IncludeWindowsAuthPaths puts every application or location path with
	// Windows Authentication enabled in scope, besides Paths.
	IncludeWindowsAuthPaths bool `json:"include_windows_auth_paths"`
	// Paths are the product's paths and their requirements.
	Paths []ProfilePath `json:"paths"`
	// KB maps knowledge-base article numbers used in Paths to their titles
	// or summaries.
	KB map[string]string `json:"kb,omitempty"`
}

// Path roles used by the ITMS profile (free-form for other profiles).
const (
	RoleAgent      = "agent"       // agent traffic (policies, events)
	RoleTaskServer = "task-server" // Task Server registration and tasks
	RolePackage    = "package"     // package downloads
	RoleConsole    = "console"     // browser console
)

// ProfilePath is one path a profile cares about.
type ProfilePath struct {
	// Path is "Site Name/app/sub" as in applicationHost.config <location
	// path>; "*/app/sub" matches the path in any site.
	Path string `json:"path"`
	// Role classifies the traffic: agent, task-server, package, console.
	Role string `json:"role"`
	// Servers lists the server roles (Host.Role) that host the path; empty
	// means any. A listed path missing on a server of another role is not
	// worth mentioning.
	Servers []string `json:"servers,omitempty"`
	// Description says what the path serves.
	Description string `json:"description,omitempty"`
	// WindowsAuth: Windows Authentication must be enabled.
	WindowsAuth bool `json:"windows_auth"`
	// Authenticated: anonymous access must be off (every request
	// authenticated).
	Authenticated bool `json:"authenticated"`
	// AuthPersistNonNTLM: the clients need authPersistNonNTLM=true
	// (authenticate once per connection).
	AuthPersistNonNTLM bool `json:"auth_persist_non_ntlm"`
	// KB lists knowledge-base article numbers about the path.
	KB []string `json:"kb,omitempty"`
}

// ParseProfile reads a profile in the JSON form of the embedded ones.
// Unknown fields are an error so that typos do not silently drop a
// requirement.
func ParseProfile(r io.Reader) (*Profile, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("diagnose: parse profile: %w", err)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// Validate reports a profile without a name or with an empty or duplicate
// path.
func (p *Profile) Validate() error {
	if p == nil {
		return &OptionsError{Field: "Profile", Value: "<nil>", Problem: "nil profile"}
	}
	if strings.TrimSpace(p.Name) == "" {
		return &OptionsError{Field: "Profile", Value: "", Problem: "profile has no name"}
	}
	seen := map[string]bool{}
	for _, pp := range p.Paths {
		k := strings.ToLower(normPath(pp.Path))
		if k == "" {
			return &OptionsError{Field: "Profile", Value: p.Name, Problem: "empty path"}
		}
		if seen[k] {
			return &OptionsError{Field: "Profile", Value: p.Name, Problem: "duplicate path " + pp.Path}
		}
		seen[k] = true
	}
	return nil
}

func mustProfile(name string) *Profile {
	b, err := profileFS.ReadFile("profiles/" + name + ".json")
	if err != nil {
		panic("diagnose: embedded profile missing: " + err.Error()) // build-time invariant
	}
	p, err := ParseProfile(bytes.NewReader(b))
	if err != nil {
		panic("diagnose: embedded profile invalid: " + err.Error()) // build-time invariant, tested
	}
	return p
}

// ITMSProfile returns the Symantec/Broadcom IT Management Suite profile:
// the agent, Task Server, package and console paths under Default Web
// Site/Altiris, which of them need Windows Authentication, no anonymous
// access and authPersistNonNTLM=true (Broadcom KB 173598, 261039, 155783),
// plus every other path with Windows Authentication enabled. Each call
// returns a fresh copy.
func ITMSProfile() *Profile { return mustProfile("itms") }

// GenericProfile returns the profile for any IIS server: every application
// or location path with Windows Authentication enabled is in scope and no
// path has product-specific requirements. Each call returns a fresh copy.
func GenericProfile() *Profile { return mustProfile("generic") }

// ProfileByName returns ITMSProfile for "itms" and GenericProfile for
// "generic".
func ProfileByName(name string) (*Profile, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "itms":
		return ITMSProfile(), nil
	case "generic":
		return GenericProfile(), nil
	}
	return nil, &OptionsError{Field: "Profile", Value: name, Problem: "unknown profile (want itms or generic)"}
}

// normPath trims slashes and spaces and turns backslashes into slashes.
func normPath(s string) string {
	s = strings.ReplaceAll(strings.TrimSpace(s), "\\", "/")
	return strings.Trim(s, "/")
}

// under reports whether path equals base or lies below it by whole
// segments, case-insensitively. base may start with "*/" for any site.
func under(path, base string) bool {
	path, base = strings.ToLower(normPath(path)), strings.ToLower(normPath(base))
	if rest, ok := strings.CutPrefix(base, "*/"); ok {
		_, p, found := strings.Cut(path, "/")
		if !found {
			return false
		}
		path, base = p, rest
	}
	return path == base || strings.HasPrefix(path, base+"/")
}

// Match returns the profile path that covers subject: a "Site/app/path"
// equal to or below a profile path, or a URL path ("/Altiris/ClientTaskServer/Register.aspx",
// or a full URL) below a profile path's URL part. The longest match wins.
func (p *Profile) Match(subject string) (*ProfilePath, bool) {
	if p == nil {
		return nil, false
	}
	urlPath := ""
	s := strings.TrimSpace(subject)
	if i := strings.Index(s, "://"); i >= 0 {
		rest := s[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			urlPath = rest[j:]
		}
	} else if strings.HasPrefix(s, "/") {
		urlPath = s
	}
	if j := strings.IndexAny(urlPath, "?#"); j >= 0 {
		urlPath = urlPath[:j]
	}
	var best *ProfilePath
	bestLen := -1
	for i := range p.Paths {
		pp := &p.Paths[i]
		ok := false
		if urlPath != "" {
			_, appPart, found := strings.Cut(normPath(pp.Path), "/")
			ok = found && under(urlPath, appPart)
		} else {
			ok = under(s, pp.Path)
		}
		if ok && len(pp.Path) > bestLen {
			best, bestLen = pp, len(pp.Path)
		}
	}
	return best, best != nil
}

// HostedBy reports whether a server of the given role hosts the path (true
// when either list is empty).
func (pp *ProfilePath) HostedBy(role string) bool {
	if len(pp.Servers) == 0 || role == "" {
		return true
	}
	for _, s := range pp.Servers {
		if strings.EqualFold(s, role) {
			return true
		}
	}
	return false
}
