package iisconfig

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrNotApplicationHost is wrapped by a *ParseError when well-formed XML is not
// an applicationHost.config (no <configuration> root with
// <system.applicationHost>). [ErrWebConfig] and [ErrFragment] name the
// common cases more precisely and match it too (errors.Is).
var ErrNotApplicationHost = errors.New("not an applicationHost.config")

// notAppHost is an error that is also [ErrNotApplicationHost].
type notAppHost struct{ msg string }

func (e *notAppHost) Error() string        { return e.msg }
func (e *notAppHost) Is(target error) bool { return target == ErrNotApplicationHost }

// ErrWebConfig is wrapped by a *ParseError when the file is a web.config: a
// <configuration> root with <system.webServer>, <system.web> or <location>
// but no <system.applicationHost>. Give it to [ParseWebConfig] instead.
// errors.Is(err, ErrNotApplicationHost) holds as well.
var ErrWebConfig error = &notAppHost{"this is a web.config, not applicationHost.config (no <system.applicationHost>)"}

// ErrFragment is wrapped by a *ParseError when the file is a piece of a
// configuration file without its <configuration> root: a bare <location>,
// <system.webServer>, <system.applicationHost>, <sites>, <site> or
// <applicationPools> element, or several of them, as pasted from
// documentation. The wrapping error names the top-level elements.
// errors.Is(err, ErrNotApplicationHost) holds as well.
var ErrFragment error = &notAppHost{"this is a configuration fragment (no <configuration> root), not a complete applicationHost.config"}

// ErrNotWebConfig is wrapped by a *ParseError when [ParseWebConfig] is given
// something other than a web.config: an applicationHost.config, a fragment
// without <configuration>, or another XML document.
var ErrNotWebConfig = errors.New("not a web.config")

// ErrUnknownSite is wrapped by a *PathError when a path's first segment names
// no site.
var ErrUnknownSite = errors.New("no such site")

// ErrEmptyPath is wrapped by a *PathError for an empty path segment list where
// a site path is required.
var ErrEmptyPath = errors.New("empty path")

// ParseError reports input that cannot be read as applicationHost.config.
// Line and Offset locate the problem when known (1-based line, 0-based byte
// offset; 0 and -1 when unknown).
type ParseError struct {
	// File is the source name ("" when parsing an unnamed reader).
	File string
	// Line is the 1-based line of the problem, 0 when unknown.
	Line int
	// Offset is the byte offset of the problem, -1 when unknown.
	Offset int64
	// Err is the underlying error (an *xml.SyntaxError, ErrNotApplicationHost, an I/O error ...).
	Err error
}

// Error renders "file:line: message".
func (e *ParseError) Error() string {
	name := e.File
	if name == "" {
		name = "applicationHost.config"
	}
	if e.Line > 0 {
		return name + ":" + strconv.Itoa(e.Line) + ": " + e.Err.Error()
	}
	return name + ": " + e.Err.Error()
}

// Unwrap returns Err.
func (e *ParseError) Unwrap() error { return e.Err }

// PathError reports a path Effective cannot resolve.
type PathError struct {
	// Path is the path as given.
	Path string
	// Err is ErrUnknownSite or ErrEmptyPath.
	Err error
}

// Error renders the path and the reason.
func (e *PathError) Error() string { return fmt.Sprintf("iisconfig: path %q: %v", e.Path, e.Err) }

// Unwrap returns Err.
func (e *PathError) Unwrap() error { return e.Err }

// WarningKind classifies a Warning.
type WarningKind int

// Warning kinds.
const (
	// WarnOther is a warning of no particular kind.
	WarnOther WarningKind = iota
	// WarnUnknownAppPool: an application references a pool that does not exist.
	WarnUnknownAppPool
	// WarnDuplicateSiteID: two sites share an id.
	WarnDuplicateSiteID
	// WarnDuplicateSiteName: two sites share a name (case-insensitive).
	WarnDuplicateSiteName
	// WarnLocationNoSite: a <location> path names no site.
	WarnLocationNoSite
	// WarnAmbiguousLocation: two <location> tags differ only by case.
	WarnAmbiguousLocation
	// WarnOverrideConflict: a <location> tag sets both overrideMode and
	// allowOverride, which IIS rejects as a configuration error.
	WarnOverrideConflict
	// WarnBadValue: an attribute value is not valid for its type and was ignored.
	WarnBadValue
	// WarnDuplicatePool: two pools share a name (case-insensitive).
	WarnDuplicatePool
	// WarnLockedSection: a web.config sets an authentication section that
	// applicationHost.config locks for its path (overrideModeDefault="Deny"
	// and no <location overrideMode="Allow"> unlocking it). IIS answers
	// every request that reads that web.config with HTTP 500.19 ("This
	// configuration section cannot be used at this path"); the value is
	// not applied. See [Config.WithWebConfigs].
	WarnLockedSection
	// WarnWebConfigNoSite: a web.config's path names no site of the
	// applicationHost.config, so it applies nowhere.
	WarnWebConfigNoSite
)

var warningKindNames = [...]string{"other", "unknown-app-pool", "duplicate-site-id", "duplicate-site-name",
	"location-no-site", "ambiguous-location", "override-conflict", "bad-value", "duplicate-app-pool",
	"locked-section", "web-config-no-site"}

// String returns a stable kebab-case name ("unknown-app-pool", ...).
func (k WarningKind) String() string {
	if k >= 0 && int(k) < len(warningKindNames) {
		return warningKindNames[k]
	}
	return "other"
}

// MarshalText renders String, for JSON.
func (k WarningKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Warning is a problem found while parsing that does not stop parsing.
type Warning struct {
	// Kind classifies the warning.
	Kind WarningKind `json:"kind"`
	// Message describes the problem in one sentence.
	Message string `json:"message"`
	// Locator identifies the offending element; see [Config.Line].
	Locator Locator `json:"locator"`
}

// String returns Message.
func (w Warning) String() string { return w.Message }
