// Package spn models Kerberos service principal names (SPNs) and the Active
// Directory accounts that own them, and answers the questions behind most
// "Kerberos falls back to NTLM" cases on IIS: is the HTTP SPN registered, on
// the account that actually decrypts the tickets, exactly once, well-formed,
// and on an account with AES keys?
//
// # SPN values
//
// [Parse] splits "serviceclass/host[:port][/servicename]" into an [SPN].
// Active Directory compares SPNs case-insensitively; so do [SPN.Equal] and
// [SPN.Key]. Values seen in real directories that no client ever requests -
// a URL scheme ("HTTP/https://portal"), a path ("HTTP/portal/app"),
// whitespace, a trailing dot, a non-numeric port, an empty host, a realm
// suffix ("HTTP/portal@CORP.COM"), a host label starting with a hyphen - make
// Parse return a [*SyntaxError] listing each [Problem] together with the
// best-effort SPN, whose String is the original text (so it can be removed
// with setspn -D) and whose [SPN.Repaired] is the value that was meant. An
// underscore in a host name is reported too, but as advisory
// ([ProblemKind.Advisory]): it is not a valid DNS host name, yet clients may
// request it, so no fix removes it.
//
// # Accounts
//
// An [Account] is a directory object holding SPNs: its name ("DOMAIN\sam"
// only when the NetBIOS domain is known - given by the caller, read from
// CN=Partitions, or spelled by the evidence - else the bare sAMAccountName;
// never guessed from the DN's DC= labels), DN, [AccountKind] (from objectClass: user, computer, sMSA, gMSA), disabled
// flag (userAccountControl bit 0x2) and msDS-SupportedEncryptionTypes decoded
// as [EncTypes]. When that attribute is absent a classic AD KDC issues RC4
// tickets ([Account.EffectiveEncTypes]); Windows Server's 2026 hardening
// (CVE-2026-20833) moves the default to AES, so an RC4-only owner is reported.
// Absence counts only where the source read the attribute: setspn output never
// shows it, and an LDIF export only when it requested it
// ([LDIFExport].EncTypesSeen); such accounts are EncTypesUnknown and get no
// RC4 conclusion.
// [Account.SetAttribute] turns LDAP attributes into an Account the same way for
// every source.
//
// # Directories and completeness
//
// A [Directory] answers three questions: who owns an SPN ([Directory.Owners]),
// what an account holds ([Directory.Account]), and every SPN holder as a
// stream ([Directory.Scan]). Three implementations exist: LDAP ([DialLDAP],
// live Active Directory or the Global Catalog), offline evidence
// ([NewOfflineDirectory] over [ParseSetspn] and [ParseLDIF] results, or an
// [OfflineBuilder] that streams ldifde exports) and memory
// ([NewMemoryDirectory]).
//
// Every answer carries a [Completeness]. Problems that were seen (an SPN on
// the wrong account, a duplicate) are facts even from partial data, but
// absence is only proven by a complete answer: setspn -L output for one
// account cannot show that nobody else holds an SPN, a truncated setspn -X
// proves nothing, and an LDAP scan that hit a size limit or lost its
// connection returns what it saw, Complete=false and an error matching
// [ErrIncomplete] ([*IncompleteError]). Completeness is relative to the
// scope the source covers: one domain (an LDAP domain search, setspn without
// -F) or the forest (the Global Catalog, setspn -F).
//
// # Offline evidence
//
// Customers can run, on any domain-joined machine, and send the text files:
//
//	setspn -L WEB01              > web01.txt   (SPNs of the computer account)
//	setspn -L CORP\svc-web       > svc.txt     (SPNs of the app pool account)
//	setspn -F -Q HTTP/portal     > q.txt       (owners of one SPN, forest-wide)
//	setspn -F -X                 > dups.txt    (all duplicate SPNs)
//	ldifde -f spns.ldf -r "(servicePrincipalName=*)" -l servicePrincipalName,sAMAccountName,userAccountControl,msDS-SupportedEncryptionTypes,objectClass
//
// [ParseSetspn] recognises -L, -Q and -X output by content (several commands
// in one file are fine), in UTF-8, UTF-8 with BOM or UTF-16LE as PowerShell
// redirection writes it, with CRLF or LF. An echoed command line
// ("C:\>setspn -Q HTTP/portal") tells it which SPN a -Q answered; when the
// file lacks it, set [SetspnRun].Target before building the directory, or the
// answer cannot prove absence. [ParseLDIF] (and the streaming [ScanLDIF])
// read ldifde exports with folded lines and base64 values, and OpenLDAP
// ldapsearch output, whose trailer shows a size limit or an unfollowed
// referral ([LDIFExport].Incomplete). [NewOfflineDirectory] merges
// everything: an owner list is complete when a finished setspn -Q for that
// SPN, a finished setspn -X, or an LDIF export declared complete
// ([OfflineInput].LDIFComplete) proves it; an account's SPN list is complete
// when setspn -L (or -Q, or LDIF) listed it. Its duplicates are the union of
// setspn -X groups and SPNs the merged accounts show on two or more accounts.
// Parsers report problems as [*ParseError] (file and line) and [Warning]s.
//
// A forest's export can hold millions of SPNs. [OfflineBuilder.ReadLDIF]
// streams it into the offline directory, which keeps accounts packed (parent
// OUs, service classes and DNS suffixes numbered in dictionaries, SPNs
// front-coded) with hash indexes checked against the text: 500,000 accounts
// with 2.5 million SPNs take about 100 MiB of heap, where [ParseLDIF] and
// [NewOfflineDirectory] took 1.4 GiB. A file that fails half-way leaves the
// directory as it was.
//
// # Which SPNs must exist
//
// [Expected] lists the HTTP SPNs clients will request for a site - the
// computer's FQDN and NetBIOS name, every binding host name (dotless names
// also qualified with the computer's DNS suffix), with CNAME aliases replaced
// by their canonical names because browsers ask for the canonical name - and
// the [Owner] that must hold them: the computer account or the domain account
// that decrypts tickets (the iisconfig package decides which; this package
// takes it as a plain value). Each [Expectation] carries the sPNMappings
// fallback: AD lets a computer's automatic HOST/name stand for HTTP/name
// ([DefaultSPNMappings], or the forest's real attribute read over LDAP with
// ParseSPNMappings), and an explicit HTTP/name on another account takes
// precedence over it.
//
// [Evaluate] checks expectations against a directory the way the KDC resolves
// names and returns [Verdict]s as data - [OK], [Missing], [WrongAccount] (with
// the owners), [Duplicated] (all owners), [Malformed], [RC4Only],
// [EncTypesUnverified] when the encryption types were not read, and
// [Unverified] when the evidence cannot decide - each with the exact commands
// that fix it. An SPN missing from the decrypting account's full SPN list
// (setspn -L) is Missing even when other holders cannot be ruled out:
//
//	setspn -S HTTP/portal.corp.example.com CORP\svc-web
//	setspn -D HTTP/portal.corp.example.com CORP\WEB02$
//
// # Duplicates
//
// [Duplicates] streams a directory scan and returns every SPN held by two or
// more accounts (case-insensitively, as Windows 10 and later setspn -X do).
// Memory grows with the number of distinct SPNs, not with what accounts
// hold: one 16-byte map slot per lower-cased SPN (96 bits of a seeded hash
// and a small owner number), with owner names packed in one buffer - about
// 85 MiB for 2.5 million SPNs. A scan that was cut short returns the duplicates it found with an
// incomplete marker and an error - never an empty "no duplicates".
// [AuditDirectory] does the same scan once for duplicates, malformed values
// and RC4-only SPN holders, as the diagnose package's SPN checks need.
package spn
