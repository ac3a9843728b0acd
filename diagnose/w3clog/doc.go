// Package w3clog reads IIS W3C extended logs and separates the 401s of the
// normal Windows Authentication handshake from real authentication
// failures.
//
// # What a 401 in an IIS log means
//
// With Windows Authentication, a browser or agent first sends an anonymous
// request; IIS answers 401 with its WWW-Authenticate challenge and logs
// "401 2 5" (substatus 2, win32 status 5). Kerberos then succeeds on the
// next request. NTLM needs one more round trip, logged as
// "401 1 2148074254" (SEC_E_NO_CREDENTIALS: the challenge leg) followed by
// the success. Those 401s are expected and say nothing is wrong.
//
// Everything else is a failure worth a look, for example:
//
//	401 1 2148074252  SEC_E_LOGON_DENIED     bad credentials, or a ticket the server could not decrypt
//	401 1 2148074248  SEC_E_INVALID_TOKEN    often NTLM legs split across connections by a load balancer
//	401 1 2148074274  SEC_E_WRONG_PRINCIPAL  ticket for an SPN owned by another account
//	401 1 2148074276  SEC_E_TIME_SKEW        clocks differ too much for Kerberos
//	401 1 2148074306  SEC_E_KDC_UNKNOWN_ETYPE no common encryption type (RC4 vs AES)
//	401 1 2148074310  SEC_E_BAD_BINDINGS     extended protection behind TLS inspection
//	401 3 5           ACL on the file denies the authenticated user
//
// An NTLM challenge leg that is not followed by a success from the same
// client (c-ip) to the same URI (cs-uri-stem) within Options.HandshakeWindow
// lines is reported as a failure too (Group.Unanswered).
//
// # Reading logs
//
// Each file's "#Fields:" directive defines its columns, in any order, and a
// file may change them mid-way (after an IIS restart or a logging change).
// "-" is an empty value; cs-username, sc-substatus and sc-win32-status may
// be missing entirely. Blanks around a line (documentation samples end
// lines with spaces, page extraction indents them) are ignored, as they
// are around #Fields.
//
// No line is dropped silently: every non-empty line is a directive, a
// request (Summary.Requests) or a line that could not be read
// (Summary.Unread), and each line not read is a Warning with its
// file:line: a wrong field count (truncated, garbled, a line wrapped over several
// lines), a line over 64 KiB, NUL padding after a crash, a 401 whose date
// or time is not one (a documentation template with "DateTime IP"
// placeholders). So Requests == 0 tells "nothing could be read" from "no
// failure". Warnings never stop the analysis. A value that is not a
// number where one is expected (sc-status, sc-substatus, sc-win32-status
// not a 32-bit unsigned number) is a Warning too; the request is counted,
// and a bad sc-substatus or sc-win32-status is taken as not logged.
//
// # Lines without #Fields
//
// Excerpts pasted into tickets and forums often lack the directives. A
// line before any #Fields directive is read with a default IIS field set
// when the shapes of its values fit that set field by field (a date
// YYYY-MM-DD, a time hh:mm:ss, IPv4 or IPv6 addresses, an upper-case
// method, a port, a status of 100-599, numeric substatus, win32 status and
// time-taken): the IIS 8.5+ default (date time s-ip cs-method cs-uri-stem
// cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer)
// sc-status sc-substatus sc-win32-status time-taken), the same without
// cs(Referer) (IIS 7-8.0, and the Web Management Service log), the same
// without time-taken, and the IIS 6 default (neither). The field count
// alone never decides. The first line read with a field set, and each
// change of field set, is a Warning naming it; Summary.Assumed counts the
// requests read so and Summary.AssumedLayouts lists the field sets. A line
// that fits none is not read and is reported. Input whose first non-empty
// line is neither a directive nor a line starting with a W3C date and time
// (an agent log, the comma-separated IIS format) is not a W3C log: a
// *FormatError matching ErrNotW3C, and nothing of the file is counted.
//
// # Truncated files
//
// IIS ends every line with CRLF, so a file whose last line has no "\n" was
// cut off (copied while IIS was writing it, disk full, crash), and the cut
// can fall inside a field without changing the field count:
// "401 1 2148074254" cut to "401 1 21480" still looks like a valid line.
// The rule is therefore simple and does not guess from the values: the
// last line of a file without a line terminator is counted in
// Summary.Lines, reported as a Warning with its file:line ("last line has
// no line terminator"), and not classified (not a request, not a 401).
// A last directive line without terminator is still applied, with the same
// warning. Two exceptions: a last line that ends in "\r" lost only the
// "\n" of its CRLF, its content is complete, and it is classified
// normally; a last line with the full field count whose last field is
// not one the classifier reads (time-taken, as in the default field sets)
// can only have lost part of that field, so it is classified, still with
// the warning (pasted excerpts usually end so). The streaming and the
// parallel path apply the same rule.
//
// [Analyzer] streams any io.Reader (UTF-8, UTF-8 with BOM or UTF-16) and can
// accumulate several files. Memory does not grow with the number of lines
// nor with the number of groups: at most Options.MaxGroups groups (default
// 10000) are kept individually. Beyond, the least frequent half of them
// is folded into one group per status, substatus and win32 status
// (Group.Folded, URI/client/user "*"), and a Bloom filter of the folded
// keys folds their later requests too: the groups kept have exact counts,
// the totals are exact, only the rarest groups lose their URI and client
// (LOG002 says so). [AnalyzeFile] (and [Analyzer.AddFile]) is the fast
// path for big files on disk: it splits the file into chunks at line
// boundaries, classifies them on all cores (one 8-bytes-at-a-time pass
// locates the fields of a line; timestamps are parsed only for 401
// lines), and merges the chunk results into exactly the summary the
// streaming path gives while no group is folded (lines before any #Fields
// are read in order, not in parallel). scripts/bench-w3clog.sh compares
// `diagnose -iislog` with `LC_ALL=C grep -c ' 401 '` on a healthy and a
// failure-heavy 1 GiB log (gen.FailureHeavy: 32% 401s, ~100,000 failing
// groups); it prints the wall and CPU ratios of the same run and the
// peak RSS (about 30 MiB on both logs).
//
// # Results
//
// A [Summary] counts lines, requests, statuses and 401s, and lists
// [Group]s of 401s by URI, client IP, user, status, substatus and win32
// status with counts, first/last time, the SSPI name and its meaning, and
// the file:line of the first occurrence. Handshake groups are kept per URI
// only; [Summary.Failures] returns the rest.
package w3clog
