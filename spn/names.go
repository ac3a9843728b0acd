package spn

import "strings"

// splitAccountName splits "DOMAIN\sam" into domain and sam; a name without a
// backslash has an empty domain.
func splitAccountName(name string) (domain, sam string) {
	if i := strings.LastIndexByte(name, '\\'); i >= 0 {
		return name[:i], name[i+1:]
	}
	return "", name
}

// accountMatches reports whether a is the account called name: "DOMAIN\sam",
// "sam", "sam$", "COMPUTER" (for "COMPUTER$") or a DN. When the account's
// sAMAccountName is unknown (setspn output shows only DNs) the first RDN of
// its DN stands in for it, ignoring a trailing "$". Domains are compared only
// when both sides have one.
func accountMatches(a *Account, name string) bool {
	name = strings.TrimSpace(name)
	if name == "" {
		return false
	}
	if a.DN != "" && strings.EqualFold(a.DN, name) {
		return true
	}
	if looksLikeDN(name) {
		return false
	}
	dom, sam := splitAccountName(name)
	if dom == "" {
		if at := strings.LastIndexByte(sam, '@'); at > 0 {
			// A UPN: its prefix is usually, not always, the sAMAccountName.
			sam = sam[:at]
		}
	}
	adom, asam := splitAccountName(a.Name)
	if a.SAMAccountName != "" {
		asam = a.SAMAccountName
	}
	if dom != "" && adom != "" && !strings.EqualFold(dom, adom) {
		return false
	}
	if a.SAMAccountName != "" {
		return strings.EqualFold(asam, sam) ||
			(!strings.HasSuffix(sam, "$") && strings.EqualFold(asam, sam+"$"))
	}
	if asam == "" {
		asam = cnFromDN(a.DN)
	}
	return asam != "" && strings.EqualFold(strings.TrimSuffix(asam, "$"), strings.TrimSuffix(sam, "$"))
}

// displayName is how an account is named in verdicts and commands.
func displayName(a *Account) string {
	switch {
	case a.Name != "":
		return a.Name
	case a.SAMAccountName != "":
		return a.SAMAccountName
	}
	return a.DN
}

// lowerASCII appends the lower-case form of s to buf[:0], falling back to
// strings.ToLower for non-ASCII text. It avoids allocating per SPN.
func lowerASCII(buf []byte, s string) []byte {
	buf = buf[:0]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return append(buf[:0], strings.ToLower(s)...)
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	return buf
}

// cloneAccount deep-copies a so it survives a Scan callback.
func cloneAccount(a *Account) Account {
	c := *a
	c.SPNs = append([]string(nil), a.SPNs...)
	return c
}
