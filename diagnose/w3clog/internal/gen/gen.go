// Package gen writes deterministic, realistic IIS W3C logs for tests and
// benchmarks of package w3clog, and counts what it wrote so tests can
// check the analyzer against an independent expectation.
package gen

import (
	"bufio"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Layouts the generator can write. Default is IIS 10's default W3C field
// set; Extended adds site, host, cookie and byte counts; Odd puts the
// fields in an unusual order.
var (
	Default  = []string{"date", "time", "s-ip", "cs-method", "cs-uri-stem", "cs-uri-query", "s-port", "cs-username", "c-ip", "cs(User-Agent)", "cs(Referer)", "sc-status", "sc-substatus", "sc-win32-status", "time-taken"}
	Extended = []string{"date", "time", "s-sitename", "s-computername", "s-ip", "cs-method", "cs-uri-stem", "cs-uri-query", "s-port", "cs-username", "c-ip", "cs-version", "cs(User-Agent)", "cs(Cookie)", "cs(Referer)", "cs-host", "sc-status", "sc-substatus", "sc-win32-status", "sc-bytes", "cs-bytes", "time-taken"}
	Odd      = []string{"time", "c-ip", "cs-username", "sc-win32-status", "sc-substatus", "sc-status", "cs-method", "cs-uri-stem", "date", "time-taken"}
	// NoReferer is the default field set of IIS 7-8.0 and of the WMSvc
	// log; IIS6 that of IIS 6.0 (no cs(Referer), no time-taken).
	NoReferer = []string{"date", "time", "s-ip", "cs-method", "cs-uri-stem", "cs-uri-query", "s-port", "cs-username", "c-ip", "cs(User-Agent)", "sc-status", "sc-substatus", "sc-win32-status", "time-taken"}
	IIS6      = []string{"date", "time", "s-ip", "cs-method", "cs-uri-stem", "cs-uri-query", "s-port", "cs-username", "c-ip", "cs(User-Agent)", "sc-status", "sc-substatus", "sc-win32-status"}
)

// Config says what to write.
type Config struct {
	Seed uint64
	// Size is the approximate number of bytes to write (writing stops at
	// the first line boundary at or after it).
	Size int64
	// Layouts are the #Fields layouts, used in turn; default {Default}.
	Layouts [][]string
	// HeaderEvery writes a new directive block (as after an IIS restart),
	// switching to the next layout, every HeaderEvery bytes; 0 never.
	HeaderEvery int64
	// GarbleEvery writes a truncated copy of a line every GarbleEvery
	// lines on average; 0 never.
	GarbleEvery int
	// LF writes "\n" line ends instead of IIS's "\r\n".
	LF bool
	// NoHeader writes no directives at all, as in an excerpt pasted
	// without its header (layouts still switch every HeaderEvery bytes).
	NoHeader bool
	// HeaderLines writes a new directive block (as HeaderEvery does) every
	// HeaderLines lines; 0 never.
	HeaderLines int64
	// Profile is the traffic mix: "" (Default) or FailureHeavy.
	Profile string
}

// Profiles of Config.Profile.
const (
	// ProfileDefault is a healthy site: ~12% 401s, nearly all of the
	// normal handshake, a few failures, 5000 clients and 10 URIs.
	ProfileDefault = ""
	// FailureHeavy is a site with a Kerberos problem: ~32% 401s (401.2
	// handshakes, NTLM fallbacks, and 401.1 failures with
	// SEC_E_LOGON_DENIED 0x8009030C, SEC_E_NO_CREDENTIALS 0x8009030E left
	// unanswered and SEC_E_INVALID_TOKEN 0x80090308 in the tens of
	// thousands each per GiB), 20000 clients and 210 URIs, with failures
	// from 800 broken clients on 50 URIs: about 100,000 distinct failing
	// (URI, client, user, status) groups per GiB (Stats.FailGroups).
	// Use it with HeaderLines: 2_000_000 as scripts/bench-w3clog.sh does.
	FailureHeavy = "failure-heavy"
)

// Stats counts what was written.
type Stats struct {
	Bytes, Lines, Directives, Requests int64
	Status401                          int64
	Handshake                          int64 // 401 2 5 plus answered NTLM challenge legs
	Failed                             int64 // other 401s plus unanswered legs
	Garbled                            int64
	ByWin32                            map[uint32]int64 // failing 401s by win32 status (legs: 2148074254)
	// FailGroups counts the distinct failing groups as w3clog keys them
	// (URI, client, user, substatus, win32 status, unanswered leg);
	// Groups401 the distinct (URI, client, user, status, substatus,
	// win32 status) of all 401 lines.
	FailGroups, Groups401 int64
}

type step struct {
	status, sub int
	win32       uint32
	user        bool
}

type flowKind struct {
	weight int
	steps  []step
}

// The status mix: mostly authenticated keep-alive 200/304, ~10% 401 2 5
// (new connections), some NTLM handshakes, a few failures.
var flows = []flowKind{
	{7000, []step{{200, 0, 0, true}}},
	{1500, []step{{304, 0, 0, true}}},
	{900, []step{{401, 2, 5, false}, {200, 0, 0, true}}},
	{150, []step{{401, 2, 5, false}, {401, 1, 2148074254, false}, {200, 0, 0, true}}},
	{100, []step{{404, 0, 2, true}}},
	{40, []step{{200, 0, 0, false}}},
	{20, []step{{500, 0, 0, true}}},
	{20, []step{{401, 2, 5, false}, {401, 1, 2148074252, true}}},
	{10, []step{{401, 2, 5, false}, {401, 1, 2148074254, false}, {401, 1, 2148074248, false}}},
	{5, []step{{401, 2, 5, false}, {401, 1, 2148074274, false}}},
	{5, []step{{401, 3, 5, true}}},
	{3, []step{{401, 2, 5, false}, {401, 1, 2148074310, false}}},
	{2, []step{{401, 2, 5, false}, {401, 1, 2148074276, false}}},
	{2, []step{{401, 1, 2148074245, false}}},
}

// failureFlows is the FailureHeavy mix: about a third of the requests
// are 401s; the failures come from broken clients (see brokenClients).
var failureFlows = []flowKind{
	{5200, []step{{200, 0, 0, true}}},
	{800, []step{{304, 0, 0, true}}},
	{2300, []step{{401, 2, 5, false}, {200, 0, 0, true}}},
	{100, []step{{401, 2, 5, false}}},
	{300, []step{{401, 2, 5, false}, {401, 1, 2148074254, false}, {200, 0, 0, true}}},
	{100, []step{{404, 0, 2, true}}},
	{40, []step{{500, 0, 0, true}}},
	// Failing flows (fail true in failing).
	{250, []step{{401, 2, 5, false}, {401, 1, 2148074252, true}}},
	{60, []step{{401, 1, 2148074252, true}}},
	{150, []step{{401, 2, 5, false}, {401, 1, 2148074254, false}, {401, 1, 2148074248, false}}},
	{40, []step{{401, 2, 5, false}, {401, 1, 2148074254, false}, {404, 0, 2, false}}},
}

// failing reports whether a flow of the failure-heavy mix comes from a
// broken client: one with a 401.1 that is not an answered NTLM leg.
func failing(k *flowKind) bool {
	for i, s := range k.steps {
		if s.status == 401 && s.sub == 1 && (s.win32 != 2148074254 || k.steps[i+1].status >= 400) {
			return true
		}
	}
	return false
}

// Sizes of the failure-heavy population: failing flows come from the first
// brokenClients clients on the first brokenURIs URIs.
const (
	heavyClients  = 20000
	heavyURIs     = 210
	brokenClients = 800
	brokenURIs    = 50
)

var uris = []string{
	"/Altiris/NS/Agent/GetClientPolicies.aspx",
	"/Altiris/NS/Agent/PostEvent.aspx",
	"/Altiris/NS/Agent/GetPackageInfo.aspx",
	"/Altiris/NS/Agent/CreateResource.aspx",
	"/Altiris/ClientTaskServer/Register.aspx",
	"/Altiris/ClientTaskServer/GetClientTask.aspx",
	"/Altiris/TaskManagement/ClientTask/GetTaskStatus.aspx",
	"/Altiris/Console/",
	"/Altiris/Resource/ResourceManagerConsole.aspx",
	"/Altiris/NS/NSCap/Bin/Win64/X64/Agent/Package.exe",
}

var agents = []string{
	"Altiris+Agent",
	"Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/131.0.0.0+Safari/537.36+Edg/131.0.0.0",
	"Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64;+rv:133.0)+Gecko/20100101+Firefox/133.0",
	"Microsoft-WinHTTP/5.1",
}

type flow struct {
	kind   *flowKind
	next   int
	client int
	uri    int
	agent  int
}

// Write writes a log to w.
func Write(w io.Writer, c Config) (Stats, error) {
	st := Stats{ByWin32: make(map[uint32]int64)}
	layouts := c.Layouts
	if len(layouts) == 0 {
		layouts = [][]string{Default}
	}
	eol := "\r\n"
	if c.LF {
		eol = "\n"
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	rng := rand.New(rand.NewPCG(c.Seed, c.Seed^0x9e3779b97f4a7c15))
	mix, nClients, nURIs := flows, 5000, len(uris)
	paths := uris
	if c.Profile == FailureHeavy {
		mix, nClients, nURIs = failureFlows, heavyClients, heavyURIs
		paths = append([]string(nil), uris...)
		for i := len(paths); i < nURIs; i++ {
			paths = append(paths, "/sites/intranet/Pages/Doc"+strconv.Itoa(1000+i)+".aspx")
		}
	}
	total := 0
	for _, f := range mix {
		total += f.weight
	}
	failGroups := make(map[string]bool)
	groups401 := make(map[string]bool)
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC).Unix()
	li := 0
	var lastHeader, lastHeaderLine int64
	var line []byte
	var inflight []*flow
	busy := make(map[[2]int]bool)

	put := func(b []byte) error {
		n, err := bw.Write(b)
		st.Bytes += int64(n)
		st.Lines++
		return err
	}
	header := func() error {
		lastHeader, lastHeaderLine = st.Bytes, st.Lines
		if c.NoHeader {
			return nil
		}
		t := time.Unix(now, 0).UTC().Format(time.DateTime)
		for _, d := range []string{
			"#Software: Microsoft Internet Information Services 10.0",
			"#Version: 1.0",
			"#Date: " + t,
			"#Fields: " + strings.Join(layouts[li%len(layouts)], " "),
		} {
			st.Directives++
			if err := put([]byte(d + eol)); err != nil {
				return err
			}
		}
		return nil
	}
	if err := header(); err != nil {
		return st, err
	}
	for st.Bytes < c.Size {
		if (c.HeaderEvery > 0 && st.Bytes-lastHeader >= c.HeaderEvery) ||
			(c.HeaderLines > 0 && st.Lines-lastHeaderLine >= c.HeaderLines) {
			li++
			if err := header(); err != nil {
				return st, err
			}
		}
		// Keep up to 8 flows in flight, each on a distinct client and URI.
		for len(inflight) < 8 {
			r := rng.IntN(total)
			var k *flowKind
			for i := range mix {
				if r < mix[i].weight {
					k = &mix[i]
					break
				}
				r -= mix[i].weight
			}
			f := &flow{kind: k, client: rng.IntN(nClients), uri: rng.IntN(nURIs), agent: rng.IntN(len(agents))}
			if c.Profile == FailureHeavy && failing(k) {
				f.client, f.uri = rng.IntN(brokenClients), rng.IntN(brokenURIs)
			}
			if busy[[2]int{f.client, f.uri}] {
				continue
			}
			busy[[2]int{f.client, f.uri}] = true
			inflight = append(inflight, f)
		}
		fi := rng.IntN(len(inflight))
		f := inflight[fi]
		s := f.kind.steps[f.next]
		f.next++
		now += int64(rng.IntN(2))
		line = appendLine(line[:0], layouts[li%len(layouts)], paths, now, f, s, rng)
		line = append(line, eol...)
		if err := put(line); err != nil {
			return st, err
		}
		st.Requests++
		if s.status == 401 {
			st.Status401++
			// The group keys: client and user as logged.
			ip := "10.1." + strconv.Itoa(f.client/250) + "." + strconv.Itoa(f.client%250+1)
			user := ""
			if s.user {
				user = `EXAMPLE\PC` + strconv.Itoa(f.client) + "$"
			}
			gk := paths[f.uri] + " " + ip + " " + user + " " + strconv.Itoa(s.sub) + " " + strconv.FormatUint(uint64(s.win32), 10)
			if !groups401[gk] {
				groups401[gk] = true
				st.Groups401++
			}
			fail := false
			switch {
			case s.sub == 2 && s.win32 == 5:
				st.Handshake++
			case s.win32 == 2148074254:
				if f.kind.steps[f.next].status < 400 {
					st.Handshake++
				} else {
					st.Failed++
					st.ByWin32[s.win32]++
					fail = true
				}
			default:
				st.Failed++
				st.ByWin32[s.win32]++
				fail = true
			}
			if fail && !failGroups[gk] {
				failGroups[gk] = true
				st.FailGroups++
			}
		}
		if f.next == len(f.kind.steps) {
			delete(busy, [2]int{f.client, f.uri})
			inflight[fi] = inflight[len(inflight)-1]
			inflight = inflight[:len(inflight)-1]
		}
		if c.GarbleEvery > 0 && rng.IntN(c.GarbleEvery) == 0 {
			cut := rng.IntN(len(line)/2) + 1
			g := append([]byte(nil), line[:cut]...)
			g = append(g, eol...)
			st.Garbled++
			if err := put(g); err != nil {
				return st, err
			}
		}
	}
	return st, bw.Flush()
}

func appendLine(b []byte, fields []string, paths []string, now int64, f *flow, s step, rng *rand.Rand) []byte {
	t := time.Unix(now, 0).UTC()
	for i, name := range fields {
		if i > 0 {
			b = append(b, ' ')
		}
		switch name {
		case "date":
			b = t.AppendFormat(b, time.DateOnly)
		case "time":
			b = t.AppendFormat(b, time.TimeOnly)
		case "s-ip":
			b = append(b, "10.0.0.10"...)
		case "s-sitename":
			b = append(b, "W3SVC1"...)
		case "s-computername":
			b = append(b, "SMP01"...)
		case "cs-method":
			if f.uri == 1 {
				b = append(b, "POST"...)
			} else {
				b = append(b, "GET"...)
			}
		case "cs-uri-stem":
			b = append(b, paths[f.uri]...)
		case "cs-uri-query":
			if f.uri == 2 {
				b = append(b, "packageId=0d5e4f6a-8b7c-4d3e-9f1a-2b3c4d5e6f70"...)
			} else {
				b = append(b, '-')
			}
		case "s-port":
			b = append(b, "443"...)
		case "cs-username":
			if s.user {
				b = append(b, `EXAMPLE\PC`...)
				b = strconv.AppendInt(b, int64(f.client), 10)
				b = append(b, '$')
			} else {
				b = append(b, '-')
			}
		case "c-ip":
			b = append(b, "10.1."...)
			b = strconv.AppendInt(b, int64(f.client/250), 10)
			b = append(b, '.')
			b = strconv.AppendInt(b, int64(f.client%250+1), 10)
		case "cs-version":
			b = append(b, "HTTP/1.1"...)
		case "cs(User-Agent)":
			b = append(b, agents[f.agent]...)
		case "cs(Cookie)":
			b = append(b, "ASP.NET_SessionId=abcdef0123456789"...)
		case "cs(Referer)":
			if f.agent == 1 || f.agent == 2 {
				b = append(b, "https://smp01.example.test/Altiris/Console/"...)
			} else {
				b = append(b, '-')
			}
		case "cs-host":
			b = append(b, "smp01.example.test"...)
		case "sc-status":
			b = strconv.AppendInt(b, int64(s.status), 10)
		case "sc-substatus":
			b = strconv.AppendInt(b, int64(s.sub), 10)
		case "sc-win32-status":
			b = strconv.AppendUint(b, uint64(s.win32), 10)
		case "sc-bytes", "cs-bytes":
			b = strconv.AppendInt(b, int64(200+rng.IntN(5000)), 10)
		case "time-taken":
			b = strconv.AppendInt(b, int64(rng.IntN(400)), 10)
		default:
			b = append(b, '-')
		}
	}
	return b
}
