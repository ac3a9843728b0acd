package cli

import (
	"net/url"
	"strings"
)

// CheckURL checks the URL given to a live-source flag (flagName: "-ldap",
// "-probe") before anything is dialled: one of schemes, a host, and no
// password in it (credentials go in a file or an environment variable).
// The error is a *UsageError (exit status 2) in every program alike; it
// never repeats a password.
func CheckURL(flagName, raw string, schemes ...string) error {
	want := make([]string, len(schemes))
	for i, s := range schemes {
		want[i] = s + "://"
	}
	wantText := "an " + strings.Join(want, " or ") + " URL with a host"
	u, err := url.Parse(raw)
	if err != nil {
		if strings.Contains(raw, "@") {
			return Usagef("%s: not a URL (not shown: it may hold credentials); want %s", flagName, wantText)
		}
		return Usagef("%s %q: not a URL; want %s", flagName, raw, wantText)
	}
	shown := raw
	if u.User != nil {
		shown = u.Redacted()
		if _, has := u.User.Password(); has {
			return Usagef("%s %s: the URL holds a password; remove it and give the password with a -password-file or -password-env flag", flagName, shown)
		}
	}
	ok := false
	for _, s := range schemes {
		ok = ok || strings.EqualFold(u.Scheme, s)
	}
	if !ok || u.Hostname() == "" {
		return Usagef("%s %q: want %s", flagName, shown, wantText)
	}
	return nil
}

// ShownURL is raw as messages may show it: without a password.
func ShownURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if strings.Contains(raw, "@") {
			return "(URL not shown: it may contain credentials)"
		}
		return raw
	}
	if u.User != nil {
		return u.Redacted()
	}
	return raw
}
