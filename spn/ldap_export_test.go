package spn

// DisableLeanReader makes d's scans use go-ldap's decoding of every entry
// (the path the lean reader of ber.go replaces), for comparisons.
func DisableLeanReader(d *LDAPDirectory) { d.stream = nil }
