// Package spn models Kerberos service principal names (SPNs) and the Active
// Directory accounts that own them, and answers the questions behind every
// "Kerberos falls back to NTLM" case: is the HTTP SPN registered, on the
// account that actually decrypts the tickets, exactly once, well-formed, and
// on an account with AES keys?
//
// The full manual is being written; see Directory, Account and SPNMappings.
package spn
