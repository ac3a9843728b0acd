package diagnose

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// Options tune a Diagnose run. The zero value (and nil) runs every check of
// the catalogue with its default severity and picks the profile from the
// evidence (see Options.Profile).
type Options struct {
	// Checks selects the checks to run by ID or glob ("IIS*", "SPN00[1-3]",
	// "LOG001"), case-insensitive. Empty runs all. A pattern that matches no
	// check is an error. Checks not selected are reported as skipped.
	Checks []string
	// Disable turns checks off by ID or glob; the value is the reason, which
	// is required (an empty reason is an error) and appears in the report.
	Disable map[string]string
	// Severity overrides the severity of every finding of a check, by ID.
	Severity map[string]Severity
	// Profile says which paths matter and what they need. Nil picks
	// ITMSProfile when the configuration has an /Altiris application or the
	// host role is notification-server or task-server, else GenericProfile.
	Profile *Profile
	// Extra adds checks of your own after the catalogue. Their IDs must
	// follow the same rules and must not collide with the catalogue.
	Extra []*Check
}

// OptionsError reports a misuse of Options: an unknown check pattern, a
// disable without a reason, an invalid extra check.
type OptionsError struct {
	// Field is the Options field at fault ("Checks", "Disable", "Severity",
	// "Extra", "Profile").
	Field string
	// Value is the offending pattern or check ID.
	Value string
	// Problem says what is wrong.
	Problem string
}

// Error renders "diagnose: options: Field "value": problem".
func (e *OptionsError) Error() string {
	return fmt.Sprintf("diagnose: options: %s %q: %s", e.Field, e.Value, e.Problem)
}

// matchID reports whether pattern (an ID or a glob) matches id,
// case-insensitively.
func matchID(pattern, id string) bool {
	p := strings.ToUpper(strings.TrimSpace(pattern))
	ok, err := path.Match(p, strings.ToUpper(id))
	return err == nil && ok
}

// plan is the validated form of Options for one catalogue.
type plan struct {
	selected map[string]bool   // nil: all selected
	disabled map[string]string // ID -> reason
	severity map[string]Severity
}

func (o *Options) plan(checks []*Check) (*plan, error) {
	pl := &plan{disabled: map[string]string{}, severity: map[string]Severity{}}
	if o == nil {
		return pl, nil
	}
	matchAny := func(field, pattern string) ([]string, error) {
		if _, err := path.Match(strings.ToUpper(pattern), ""); err != nil {
			return nil, &OptionsError{Field: field, Value: pattern, Problem: "bad glob: " + err.Error()}
		}
		var ids []string
		for _, c := range checks {
			if matchID(pattern, c.ID) {
				ids = append(ids, c.ID)
			}
		}
		if len(ids) == 0 {
			return nil, &OptionsError{Field: field, Value: pattern, Problem: "matches no check"}
		}
		return ids, nil
	}
	if len(o.Checks) > 0 {
		pl.selected = map[string]bool{}
		for _, p := range o.Checks {
			if strings.TrimSpace(p) == "" {
				continue
			}
			ids, err := matchAny("Checks", p)
			if err != nil {
				return nil, err
			}
			for _, id := range ids {
				pl.selected[id] = true
			}
		}
	}
	keys := make([]string, 0, len(o.Disable))
	for k := range o.Disable {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, p := range keys {
		reason := strings.TrimSpace(o.Disable[p])
		if reason == "" {
			return nil, &OptionsError{Field: "Disable", Value: p, Problem: "a reason is required"}
		}
		ids, err := matchAny("Disable", p)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			pl.disabled[id] = reason
		}
	}
	// Globs first, exact IDs last, so "IIS*": warning with "IIS006": error
	// gives IIS006 error whatever the map order.
	sevKeys := make([]string, 0, len(o.Severity))
	for k := range o.Severity {
		sevKeys = append(sevKeys, k)
	}
	sort.Slice(sevKeys, func(i, j int) bool {
		gi, gj := strings.ContainsAny(sevKeys[i], "*?["), strings.ContainsAny(sevKeys[j], "*?[")
		if gi != gj {
			return gi
		}
		return sevKeys[i] < sevKeys[j]
	})
	for _, p := range sevKeys {
		s := o.Severity[p]
		if s < Info || s > Error {
			return nil, &OptionsError{Field: "Severity", Value: p, Problem: fmt.Sprintf("invalid severity %d", int(s))}
		}
		ids, err := matchAny("Severity", p)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			pl.severity[id] = s
		}
	}
	return pl, nil
}
