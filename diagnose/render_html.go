package diagnose

import (
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/iiskerb/iiskerb/negotiate"
)

// HTMLOptions configures WriteHTML. A nil *HTMLOptions, like the zero
// value, gives a page titled "iiskerb report" without a generation time.
// The sequence diagrams come from the report's Handshakes: WriteHTML needs
// nothing but the report.
type HTMLOptions struct {
	// Title heads the page and names the browser tab.
	Title string
	// Generated, when not zero, is shown (in UTC) as the time the report
	// was made. It is left out by default so that the same report always
	// renders to the same bytes.
	Generated time.Time
	// Probes is ignored.
	//
	// Deprecated: the diagrams are drawn from Report.Handshakes, which
	// Diagnose builds from Evidence.Probes.
	Probes []*negotiate.Transcript
	// Tokens is ignored.
	//
	// Deprecated: the diagrams are drawn from Report.Handshakes, which
	// Diagnose builds from Evidence.Tokens.
	Tokens []ObservedToken
}

// WriteHTML writes the report to w as one self-contained HTML page (inline
// CSS and SVG, no scripts, no external resources) that can be attached to
// a support ticket, in the order of WriteText: the answer (status and
// headline, one line per root cause, the evidence that could not be used,
// the counts), the verdict, each root cause with its findings, symptoms
// and choices (the recommended one marked, with why and the tradeoffs),
// the ordered plan with each step's commands in a block labelled with its
// shell, what the simulated plan leaves, then the details: every finding
// with its evidence, remediation commands and tradeoffs, a sequence
// diagram of each handshake in r.Handshakes (a report without them, such
// as one decoded from an older JSON that has only Exchanges, gets no
// diagrams), the result of every check (with
// what would settle a not-verified one), the evidence warnings and the
// notes. Command blocks never wrap (they scroll sideways) and tables
// scroll inside their own box, so the page stays usable on a narrow
// screen. opts may be nil.
//
// All text is HTML-escaped. Tokens are never embedded: a diagram shows each
// request's Authorization scheme and the mechanism and visible fields of its
// token (Kerberos service and realm, NTLM user and workstation), and each
// response's status and WWW-Authenticate schemes. The output depends only
// on r and opts, so it can be compared byte for byte.
func WriteHTML(w io.Writer, r *Report, opts *HTMLOptions) error {
	if r == nil {
		return fmt.Errorf("diagnose: WriteHTML: nil report")
	}
	if opts == nil {
		opts = &HTMLOptions{}
	}
	if err := htmlPageTemplate.Execute(w, newHTMLPage(r, opts)); err != nil {
		return fmt.Errorf("diagnose: writing HTML report: %w", err)
	}
	return nil
}

// WriteHTML writes the report as a self-contained HTML page with default
// options: WriteHTML(w, r, nil).
func (r *Report) WriteHTML(w io.Writer) error { return WriteHTML(w, r, nil) }

// htmlPage is the data of the page template.
type htmlPage struct {
	Title, Profile, Generated string
	Host                      *HostInfo
	ToolVersion               string
	Summary                   Summary
	Sources                   []string
	SourceKinds               string
	Errors, Warnings, Infos   int
	Verdict                   []htmlVerdictRow
	RootCauses                []htmlRootCause
	Plan                      []htmlStep
	AfterPlan                 AfterPlan
	Findings                  []htmlFinding
	Diagrams                  []*seqDiagram
	Results                   []htmlResult
	HasSettle                 bool
	Passed, Failed, Skipped   int
	NotVerified, Errored      int
	EvidenceWarnings          []string
	Notes                     []string
}

type htmlLink struct {
	Text, Anchor string // Anchor "" when nothing to link to
}

type htmlVerdictRow struct {
	VerdictRow
	Links []htmlLink
}

type htmlFinding struct {
	Finding
	Label       string // the finding's ID, or its check's for a report without IDs
	Anchor      string
	Remediation []htmlRemedy
}

type htmlRemedy struct {
	Remedy
	Runs []shellRun
}

type htmlRootCause struct {
	RootCause
	Anchor   string
	Findings []htmlLink
	Symptoms []htmlSymptom
	Choices  []htmlChoice
	HasPlan  bool
}

type htmlSymptom struct {
	Symptom
	Anchor string
}

type htmlChoice struct {
	Choice
	Steps []htmlLink
}

type htmlStep struct {
	PlanStep
	Anchor   string
	Runs     []shellRun
	Resolves []htmlLink
}

type htmlResult struct {
	CheckResult
	Anchor string // first finding of the check, if any
	Title  string // the check's title, when it is in the catalogue
}

func newHTMLPage(r *Report, opts *HTMLOptions) *htmlPage {
	p := &htmlPage{Title: opts.Title, Profile: r.Profile, Notes: r.Notes, Sources: r.Sources, AfterPlan: r.AfterPlan}
	if p.Title == "" {
		p.Title = "iiskerb report"
	}
	gen := opts.Generated
	if gen.IsZero() {
		gen = r.GeneratedAt
	}
	if !gen.IsZero() {
		p.Generated = gen.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	p.Host = r.Host
	p.ToolVersion = r.Tool.Version
	p.Summary = r.Summary
	if p.Summary.Status == "" {
		p.Summary = summarize(&Evidence{}, r)
	}
	var kinds []string
	for _, s := range r.Sources {
		k, _, _ := strings.Cut(s, ":")
		kinds = append(kinds, k)
	}
	p.SourceKinds = strings.Join(kinds, ", ")
	p.Errors, p.Warnings, p.Infos = r.Counts()

	// Anchors: a finding's is finding-<its ID>; without an ID the first
	// finding of a check gets finding-<check ID>, later ones -2, -3...
	// IDs are reduced to safe characters and kept unique.
	first := map[string]string{} // check ID -> anchor of its first finding
	byID := map[string]string{}  // finding ID -> anchor
	used := map[string]bool{}
	unique := func(base string) string {
		a := base
		for n := 2; used[a]; n++ {
			a = fmt.Sprintf("%s-%d", base, n)
		}
		used[a] = true
		return a
	}
	for _, f := range r.Findings {
		label := f.ID
		if label == "" {
			label = f.CheckID
		}
		a := unique("finding-" + htmlAnchorPart(label))
		if _, ok := first[f.CheckID]; !ok {
			first[f.CheckID] = a
		}
		if f.ID != "" {
			if _, ok := byID[f.ID]; !ok {
				byID[f.ID] = a
			}
		}
		hf := htmlFinding{Finding: f, Label: label, Anchor: a}
		for _, rem := range f.Remediation {
			hf.Remediation = append(hf.Remediation, htmlRemedy{Remedy: rem, Runs: shellRuns(rem.Commands, "")})
		}
		p.Findings = append(p.Findings, hf)
	}
	rcAnchor := map[string]string{}
	for _, rc := range r.RootCauses {
		rcAnchor[rc.ID] = unique("rc-" + htmlAnchorPart(rc.ID))
	}
	stepAnchor := map[string]string{}
	for _, st := range r.Plan {
		stepAnchor[st.ID] = unique("step-" + htmlAnchorPart(st.ID))
	}
	links := func(ids []string, anchors map[string]string) []htmlLink {
		var out []htmlLink
		for _, id := range ids {
			out = append(out, htmlLink{Text: id, Anchor: anchors[id]})
		}
		return out
	}
	for _, row := range r.Verdict {
		p.Verdict = append(p.Verdict, htmlVerdictRow{VerdictRow: row, Links: links(row.Findings, first)})
	}
	for _, rc := range r.RootCauses {
		h := htmlRootCause{RootCause: rc, Anchor: rcAnchor[rc.ID], Findings: links(rc.Findings, byID), HasPlan: len(r.Plan) > 0}
		for _, s := range rc.Symptoms {
			h.Symptoms = append(h.Symptoms, htmlSymptom{Symptom: s, Anchor: byID[s.Finding]})
		}
		for _, c := range rc.Choices {
			h.Choices = append(h.Choices, htmlChoice{Choice: c, Steps: links(c.Steps, stepAnchor)})
		}
		p.RootCauses = append(p.RootCauses, h)
	}
	for _, st := range r.Plan {
		p.Plan = append(p.Plan, htmlStep{PlanStep: st, Anchor: stepAnchor[st.ID], Runs: shellRuns(st.Commands, st.Shell),
			Resolves: links(st.Resolves, rcAnchor)})
	}
	titles := map[string]string{}
	for _, c := range Checks() {
		titles[c.ID] = c.Title()
	}
	for _, res := range r.Results {
		p.Results = append(p.Results, htmlResult{CheckResult: res, Anchor: first[res.CheckID], Title: titles[res.CheckID]})
		if res.Settle != "" {
			p.HasSettle = true
		}
		switch res.Status {
		case StatusPassed:
			p.Passed++
		case StatusFailed:
			p.Failed++
		case StatusNotVerified:
			p.NotVerified++
		case StatusSkipped:
			p.Skipped++
		case StatusError:
			p.Errored++
		}
	}
	for _, w := range r.Warnings {
		p.EvidenceWarnings = append(p.EvidenceWarnings, w.String())
	}
	p.Diagrams = seqDiagrams(r)
	return p
}

// htmlAnchorPart keeps letters, digits, '-' and '_' of s (others become '_').
func htmlAnchorPart(s string) string {
	if s == "" {
		return "x"
	}
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

// Sequence diagram layout, in SVG user units.
const (
	seqWidth    = 1000
	seqClientX  = 190
	seqServerX  = 875
	seqTop      = 70 // y of the first arrow
	seqStep     = 58 // vertical distance between arrows with one detail line
	seqLine     = 15 // height of each further detail line
	seqDetailN  = 3  // detail lines at most
	seqLabelMax = 92 // runes of a label that fit between the lifelines
	seqTagMax   = 20 // runes of a gutter tag
	seqActorMax = 24 // runes of a lifeline's name
	seqMaxArrow = 60 // arrows drawn per diagram; the rest are counted
)

// Arrow classes: how an arrow is highlighted.
const (
	seqPlain    = "plain"    // a request or an initial challenge
	seqOK       = "ok"       // a successful response
	seqFail     = "fail"     // a rejected token or an error
	seqFallback = "fallback" // the client falls back to NTLM
	seqReauth   = "reauth"   // the second request on an authenticated connection
)

// seqDiagram is one exchange drawn as a sequence diagram.
type seqDiagram struct {
	ID          string // unique in the page, prefixes the marker IDs
	Title       string
	Facts       []string
	ClientLabel string
	ServerLabel string
	Width       int
	Height      int
	ClientX     int
	ServerX     int
	ClientBoxW  int
	ServerBoxW  int
	Classes     []string // arrow classes, one marker each
	Arrows      []seqArrow
	Omitted     int // arrows not drawn (over seqMaxArrow)
}

// seqArrow is one request (client to server) or response.
type seqArrow struct {
	N        int // step number, shared by a request and its response
	ToServer bool
	Class    string
	Tag      string // short highlight in the left gutter ("fallback to NTLM")
	Label    string // first line, above the arrow
	Detail   string // below the arrow, wrapped into DetailLines
	Full     string // unclipped label and detail, the SVG <title>

	DetailLines      []seqText
	Y, X1, X2, TextX int
	Anchor           string // text-anchor of the label
}

// seqText is one line of text at a y position.
type seqText struct {
	Y    int
	Text string
}

func (d *seqDiagram) add(a seqArrow) {
	if len(d.Arrows) >= seqMaxArrow {
		d.Omitted++
		return
	}
	a.Full = a.Label
	if a.Detail != "" {
		a.Full += "\n" + a.Detail
	}
	a.Label = htmlClip(a.Label, seqLabelMax)
	a.Tag = htmlClip(a.Tag, seqTagMax)
	d.Arrows = append(d.Arrows, a)
}

// layout assigns coordinates once all arrows are known.
func (d *seqDiagram) layout() {
	d.Width, d.ClientX, d.ServerX = seqWidth, seqClientX, seqServerX
	d.Classes = []string{seqPlain, seqOK, seqFail, seqFallback, seqReauth}
	d.ClientLabel = htmlClip(d.ClientLabel, seqActorMax)
	d.ServerLabel = htmlClip(d.ServerLabel, seqActorMax)
	d.ClientBoxW = seqActorWidth(d.ClientLabel)
	d.ServerBoxW = seqActorWidth(d.ServerLabel)
	y := seqTop
	for i := range d.Arrows {
		a := &d.Arrows[i]
		a.Y = y
		if a.ToServer {
			a.X1, a.X2, a.TextX, a.Anchor = d.ClientX, d.ServerX, d.ClientX+10, "start"
		} else {
			a.X1, a.X2, a.TextX, a.Anchor = d.ServerX, d.ClientX, d.ServerX-10, "end"
		}
		a.DetailLines = nil
		for j, l := range wrapText(a.Detail, seqLabelMax, seqDetailN) {
			a.DetailLines = append(a.DetailLines, seqText{Y: y + 17 + j*seqLine, Text: l})
		}
		y += seqStep
		if n := len(a.DetailLines); n > 1 {
			y += (n - 1) * seqLine
		}
	}
	d.Height = y
	if d.Omitted > 0 {
		d.Facts = append(d.Facts, fmt.Sprintf("%d more messages not drawn (the diagram shows the first %d)", d.Omitted, seqMaxArrow))
	}
	if len(d.Arrows) == 0 {
		d.Height = seqTop + 10
	}
}

// wrapText splits s into at most n lines of at most width runes, breaking
// after ", " or at a space where it can; the last line is clipped.
func wrapText(s string, width, n int) []string {
	var lines []string
	for s != "" {
		r := []rune(s)
		if len(r) <= width || len(lines) == n-1 {
			return append(lines, htmlClip(s, width))
		}
		// The last ", " in the second half of the line, else the last
		// space there, else a hard cut.
		comma, space := -1, -1
		for i := width; i > width/2; i-- {
			if r[i] != ' ' {
				continue
			}
			if space < 0 {
				space = i
			}
			if r[i-1] == ',' {
				comma = i
				break
			}
		}
		cut := width
		switch {
		case comma > 0:
			cut = comma
		case space > 0:
			cut = space
		}
		lines = append(lines, strings.TrimRight(string(r[:cut]), " "))
		s = strings.TrimLeft(string(r[cut:]), " ")
	}
	return lines
}

// seqActorWidth fits a lifeline's name (at most seqActorMax runes of 14px
// text, so the server's box stays inside the diagram).
func seqActorWidth(label string) int {
	return max(120, 9*utf8.RuneCountInString(label)+20)
}

// seqDiagrams builds the sequence diagrams of the page, one per handshake
// of the report's model.
func seqDiagrams(r *Report) []*seqDiagram {
	var out []*seqDiagram
	for i := range r.Handshakes {
		h := &r.Handshakes[i]
		if len(h.Rounds) == 0 && h.Kind != HandshakeProbe {
			continue
		}
		out = append(out, seqFromHandshake(h))
	}
	for i, d := range out {
		d.ID = fmt.Sprintf("seq%d", i+1)
		d.layout()
	}
	return out
}

// seqFromHandshake draws a handshake round by round: each request with its
// credentials, each response with its status and challenges, and the
// handshake's conclusions as facts above the diagram.
func seqFromHandshake(h *Handshake) *seqDiagram {
	d := &seqDiagram{Title: h.Source, ClientLabel: "Client", ServerLabel: "Server", Facts: seqFacts(h)}
	switch h.Kind {
	case HandshakeProbe:
		d.Title, d.ClientLabel = "Probe "+seqURL(h.URL), "Client (probe)"
		if u, err := url.Parse(h.URL); err == nil && u.Host != "" {
			d.ServerLabel = u.Host
		}
	case HandshakeTokens:
		d.Title = "Tokens seen in HTTP headers"
		seqTokenArrows(d, h)
		return d
	}
	// A probe's Kerberos can fail before any round carries it (no ticket).
	kerberosFailed := h.Kind == HandshakeProbe && h.Kerberos.Attempted && (h.FellBackToNTLM || h.Kerberos.Failure != "")
	sawKerberos, fallbackShown, authenticated := false, false, false
	for i := range h.Rounds {
		n := i + 1
		r := &h.Rounds[i]
		req := seqArrow{N: n, ToServer: true, Class: seqPlain}
		q := r.Request
		carried := q != nil && q.Auth != nil
		if q != nil {
			req.Label = strings.TrimSpace(q.Method + " " + q.Target)
			if req.Label == "" {
				req.Label = "(request line not in the trace)"
			}
			if r.Step != "" {
				req.Label += "  [" + r.Step + "]"
			}
			if r.Reused != nil && *r.Reused {
				req.Label += "  (same connection)"
			}
			req.Detail = "no Authorization header"
			if carried {
				req.Detail = "Authorization: " + seqAuthDetail(q.Auth, " - ")
			}
			mech := q.Mechanism()
			switch {
			case !carried && authenticated:
				req.Class, req.Tag = seqReauth, "next request"
				if r.Reused != nil && *r.Reused {
					req.Tag = "second request"
				}
			case carried && mech == MechNTLM && !fallbackShown && (sawKerberos || kerberosFailed):
				req.Class, req.Tag = seqFallback, "fallback to NTLM"
				fallbackShown = true
			case carried && (mech == MechKerberos || mech == MechNTLM):
				req.Tag = seqMechName(mech)
			}
			if mech == MechKerberos {
				sawKerberos = true
			}
		}
		resp := r.Response
		if resp == nil {
			if q == nil {
				continue
			}
			if h.Kind == HandshakeProbe || r.Error != "" {
				req.Class, req.Tag = seqFail, "no response"
				if r.Error != "" {
					req.Detail += "; error: " + r.Error
				}
			}
			d.add(req)
			continue
		}
		if q != nil {
			d.add(req)
		}
		a := seqArrow{N: n, Class: seqPlain, Label: seqStatus(resp.Status), Detail: "no WWW-Authenticate header"}
		if resp.Status == 0 {
			a.Label = "response (status not in the evidence)"
		}
		if len(resp.Challenges) > 0 {
			var parts []string
			for j := range resp.Challenges {
				parts = append(parts, seqAuthDetail(&resp.Challenges[j], " - "))
			}
			a.Detail = "WWW-Authenticate: " + strings.Join(parts, ", ")
		}
		if resp.PersistentAuth != nil {
			a.Detail += "; Persistent-Auth: " + strconv.FormatBool(*resp.PersistentAuth)
		}
		if resp.ConnectionClose != "" {
			a.Detail += "; closes the connection (" + resp.ConnectionClose + ")"
		}
		reauth := req.Class == seqReauth && q != nil
		switch st := resp.Status; {
		case st == 0:
		case reauth && st == http.StatusUnauthorized:
			a.Class, a.Tag = seqReauth, "challenged again"
		case reauth && st < 400:
			a.Class, a.Tag = seqOK, "served"
		case st == http.StatusUnauthorized && seqContinues(resp.Challenges):
			a.Tag = "continue"
		case st >= 400 && carried:
			a.Class, a.Tag = seqFail, "rejected"
		case st == http.StatusUnauthorized:
			a.Tag = "challenge"
		case st >= 400:
			a.Class, a.Tag = seqFail, "error"
		default:
			a.Class = seqOK
			if carried {
				a.Tag = "authenticated"
				authenticated = true
			}
		}
		d.add(a)
	}
	return d
}

// seqTokenArrows draws tokens seen without their messages: one arrow each,
// labelled with where it was seen.
func seqTokenArrows(d *seqDiagram, h *Handshake) {
	sawKerberos, fallbackShown := false, false
	for i, r := range h.Rounds {
		for _, t := range seqRoundTokens(&r) {
			a := seqArrow{N: i + 1, Class: seqPlain, Label: r.Source, ToServer: t.toServer, Detail: t.header + ": " + t.tok.Label()}
			mech := t.tok.Mechanism
			switch {
			case a.ToServer && mech == MechNTLM && sawKerberos && !fallbackShown:
				a.Class, a.Tag = seqFallback, "fallback to NTLM"
				fallbackShown = true
			case t.tok.MessageType == MsgKRBError:
				a.Class, a.Tag = seqFail, "Kerberos error"
			case t.tok.MessageType == MsgAPRep:
				a.Class, a.Tag = seqOK, "mutual auth"
			default:
				a.Tag = seqMechName(mech)
			}
			if a.ToServer && mech == MechKerberos {
				sawKerberos = true
			}
			d.add(a)
		}
	}
}

type seqToken struct {
	header   string
	toServer bool
	tok      *AuthToken
}

// seqRoundTokens are the tokens of a round with their headers.
func seqRoundTokens(r *Round) []seqToken {
	var out []seqToken
	if q := r.Request; q != nil {
		if q.Auth != nil {
			out = append(out, seqToken{"Authorization", true, q.Auth})
		}
		if q.ProxyAuth != nil {
			out = append(out, seqToken{"Proxy-Authorization", true, q.ProxyAuth})
		}
	}
	if resp := r.Response; resp != nil {
		for i := range resp.Challenges {
			out = append(out, seqToken{"WWW-Authenticate", false, &resp.Challenges[i]})
		}
		for i := range resp.ProxyChallenges {
			out = append(out, seqToken{"Proxy-Authenticate", false, &resp.ProxyChallenges[i]})
		}
	}
	return out
}

// seqAuthDetail shows one scheme and its token: "Negotiate - Kerberos
// AP-REQ in SPNEGO NegTokenInit (SPN ..., realm ...)".
func seqAuthDetail(a *AuthToken, sep string) string {
	switch a.Token {
	case TokenDecoded:
		return a.Scheme + sep + a.Label()
	case TokenUndecoded:
		return fmt.Sprintf("%s (%d-byte token, not decoded)", a.Scheme, a.TokenBytes)
	case TokenRedacted:
		return a.Scheme + " (token redacted in the evidence)"
	case TokenTruncated:
		return a.Scheme + " (token cut off in the evidence)"
	case TokenUnparsed:
		return "(header not understood)"
	}
	return a.Scheme
}

// seqContinues reports whether a 401 carries the next leg of a handshake
// (an NTLM CHALLENGE, a SPNEGO accept-incomplete) rather than a rejection.
func seqContinues(chs []AuthToken) bool {
	for i := range chs {
		if chs[i].continues() {
			return true
		}
	}
	return false
}

// seqMechName is the tag of a mechanism ("" for none).
func seqMechName(m Mechanism) string {
	switch m {
	case MechKerberos:
		return "Kerberos"
	case MechNTLM:
		return "NTLM"
	case MechSPNEGO:
		return "SPNEGO"
	}
	return ""
}

// seqFacts are the handshake's conclusions, one line each.
func seqFacts(h *Handshake) []string {
	var f []string
	if h.SPN != "" {
		s := "SPN asked for: " + h.SPN
		if h.SPNSource != "" {
			s += " (" + h.SPNSource + ")"
		}
		f = append(f, s)
	}
	if len(h.Offered) > 0 {
		f = append(f, "Server offered: "+strings.Join(h.Offered, ", "))
	}
	switch {
	case h.Kind == HandshakeTokens:
	case h.Mechanism == MechAnonymous:
		f = append(f, "The server did not ask for authentication")
	case h.Authenticated && (h.Mechanism == MechKerberos || h.Mechanism == MechNTLM):
		f = append(f, "Authenticated with "+seqMechName(h.Mechanism))
	case h.FinalStatus != 0:
		f = append(f, fmt.Sprintf("Not authenticated (final status %d)", h.FinalStatus))
	default:
		f = append(f, "Not authenticated")
	}
	k := &h.Kerberos
	switch {
	case k.FailureDetail != "":
		s := "Kerberos failed: " + k.FailureDetail
		if e := k.Error; e != nil && e.Name != "" && !strings.Contains(k.FailureDetail, e.Name) {
			s += " (" + e.Name + ")"
		}
		f = append(f, s)
	case h.Kind == HandshakeProbe:
	case k.Failure == KerberosKRBError && k.Error != nil:
		f = append(f, fmt.Sprintf("Kerberos failed: the server answered with %s (%d)", k.Error.Name, k.Error.Code))
	case k.Failure == KerberosRejected:
		f = append(f, "Kerberos failed: the server answered the AP-REQ with 401")
	case k.Failure == KerberosNoTicket:
		f = append(f, "Kerberos not attempted: the client sent NTLM inside Negotiate (it had no service ticket)")
	case k.Failure == KerberosNotAttempted:
		f = append(f, "Kerberos not attempted")
	case k.Failure == KerberosIncomplete:
		f = append(f, "Kerberos attempted; the evidence does not show its outcome")
	}
	if h.FellBackToNTLM {
		f = append(f, "The client fell back to NTLM after Kerberos failed")
	}
	if h.NTLM.Failure != "" {
		f = append(f, "NTLM failed: "+h.NTLM.Failure)
	}
	if h.MutualAuth {
		s := "Mutual authentication: the server returned a Kerberos AP-REP"
		if h.MutualAuthVerified {
			s += " (verified)"
		}
		f = append(f, s)
	}
	switch {
	case h.ReauthOnSameConnection == nil:
		if h.ReuseNote != "" {
			f = append(f, "Second request on the same connection not tested: "+h.ReuseNote)
		} else if h.ReauthRound != 0 {
			f = append(f, "After Kerberos authenticated, a later request without credentials was challenged again")
		}
	case *h.ReauthOnSameConnection:
		f = append(f, "A second request on the same connection was challenged again: every request must authenticate")
	default:
		f = append(f, "A second request on the same connection was served without authenticating again")
	}
	if h.ObserverSees != "" {
		f = append(f, "An observer on the path sees: "+h.ObserverSees)
	}
	if h.Truncated {
		s := "The trace is cut off"
		if h.TruncatedLine != 0 {
			s += fmt.Sprintf(" (line %d)", h.TruncatedLine)
		}
		f = append(f, s)
	}
	return f
}

// seqStatus is "401 Unauthorized".
func seqStatus(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprint(code)
}

// seqURL shows a URL without user information, query or fragment (which
// may carry credentials or session tokens); "?…" marks a dropped query.
func seqURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	q := u.RawQuery != "" || u.ForceQuery
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	if q {
		return u.String() + "?…"
	}
	return u.String()
}

// htmlClip shortens s to at most n runes, ending in "…" when cut.
func htmlClip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, c := 0, 0
	for i = range s {
		if c == n-1 {
			break
		}
		c++
	}
	return s[:i] + "…"
}

var htmlPageTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"add":    func(a, b int) int { return a + b },
	"half":   func(center, width int) int { return center - width/2 },
	"plural": plural,
}).Parse(htmlPageSource))

const htmlPageSource = `{{define "links"}}{{range $i, $l := .}}{{if $i}}, {{end}}{{if $l.Anchor}}<a href="#{{$l.Anchor}}">{{$l.Text}}</a>{{else}}{{$l.Text}}{{end}}{{end}}{{end}}
{{- define "cmds"}}{{range .}}<div class="cmd" data-shell="{{.Shell}}"><button type="button" class="copy" title="Copy the commands">Copy</button><span class="shell-label">{{.Shell}}</span>
<pre class="commands"><code>{{range $j, $c := .Commands}}{{if $j}}
{{end}}{{$c}}{{end}}</code></pre>
</div>
{{end}}{{end}}
{{- /* the page */ -}}
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="iiskerb">
<title>{{.Title}}</title>
<style>
body { font: 14px/1.45 "Segoe UI", "DejaVu Sans", system-ui, sans-serif; color: #1b1b1b; background: #fff; margin: 0 auto; max-width: 1080px; padding: 16px 24px 48px; overflow-wrap: break-word; }
h1 { font-size: 24px; margin: 8px 0 4px; }
h2 { font-size: 19px; border-bottom: 2px solid #d0d7de; padding-bottom: 3px; margin-top: 30px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
a { color: #0b5cad; }
code, pre { font-family: Consolas, "DejaVu Sans Mono", ui-monospace, monospace; font-size: 13px; }
.scroll { overflow-x: auto; max-width: 100%; margin: 6px 0; }
table { border-collapse: collapse; width: 100%; margin: 0; }
table.verdict { min-width: 640px; }
th, td { border: 1px solid #d0d7de; padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #f3f5f7; }
.meta { color: #57606a; margin: 0 0 8px; }
.answer { border: 1px solid #d0d7de; border-left: 8px solid #1a7f37; border-radius: 4px; padding: 4px 16px 8px; margin: 12px 0 0; }
.answer.run-problems { border-left-color: #cf222e; }
.answer.run-inconclusive { border-left-color: #d4a72c; }
.answer h2.headline { border: 0; margin: 8px 0; font-size: 18px; }
.run-badge { display: inline-block; padding: 1px 8px; border-radius: 3px; font-size: 12px; font-weight: 700; color: #fff; background: #1a7f37; text-transform: uppercase; vertical-align: 2px; }
.run-problems .run-badge { background: #cf222e; }
.run-inconclusive .run-badge { background: #9a6700; }
ul.rc-lines { list-style: none; padding-left: 0; margin: 6px 0; }
ul.rc-lines li { margin: 4px 0; }
.resolved { color: #1a7f37; font-size: 13px; }
.unresolved { color: #cf222e; font-size: 13px; font-weight: 700; }
details.sources summary { cursor: pointer; color: #57606a; }
.counts span { display: inline-block; margin: 2px 8px 2px 0; padding: 2px 10px; border-radius: 12px; font-weight: 600; }
.count-error { background: #fde2e1; color: #a40e0e; }
.count-warning { background: #fff1d6; color: #8a4b00; }
.count-info { background: #e1ecfb; color: #0b4a8f; }
tr.verdict-no td.expected { color: #a40e0e; font-weight: 700; }
tr.verdict-yes td.expected { color: #1a7f37; font-weight: 700; }
.finding, .rootcause, .step { border: 1px solid #d0d7de; border-left: 6px solid #8c959f; border-radius: 4px; padding: 8px 14px; margin: 14px 0; }
.finding.sev-error, .rootcause.sev-error { border-left-color: #cf222e; }
.finding.sev-warning, .rootcause.sev-warning { border-left-color: #d4a72c; }
.finding.sev-info, .rootcause.sev-info { border-left-color: #218bff; }
.step { border-left-color: #0b5cad; }
.finding h3, .rootcause h3, .step h3 { margin: 2px 0 6px; }
.label { font-weight: 700; margin: 8px 0 2px; }
ul.symptoms, ol.choices { margin: 2px 0 6px; padding-left: 24px; }
li.choice { margin: 6px 0; padding: 4px 8px; border-left: 4px solid #d0d7de; }
li.choice.recommended { border-left-color: #1a7f37; background: #f0faf2; }
.choice-badge { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px; font-weight: 700; color: #fff; background: #1a7f37; }
.choice-badge.alt { color: #57606a; background: #eaeef2; }
li.choice p { margin: 2px 0; }
.why { color: #24292f; }
.step-id { font-family: Consolas, "DejaVu Sans Mono", ui-monospace, monospace; }
.where, .shell { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px; font-weight: 600; background: #ddf4ff; color: #0b4a8f; }
.shell { background: #eaeef2; color: #24292f; font-family: Consolas, "DejaVu Sans Mono", ui-monospace, monospace; }
.resolves { margin: 2px 0 6px; }
.badge { display: inline-block; min-width: 56px; text-align: center; padding: 1px 6px; border-radius: 3px; font-size: 12px; font-weight: 700; color: #fff; background: #218bff; text-transform: uppercase; vertical-align: 1px; }
.badge.sev-error { background: #cf222e; }
.badge.sev-warning { background: #9a6700; }
.subject { font-family: Consolas, "DejaVu Sans Mono", ui-monospace, monospace; font-size: 13px; color: #24292f; word-break: break-all; }
.evidence td, .evidence th { font-size: 13px; }
.evidence td.detail { white-space: pre-wrap; word-break: break-word; }
.cmd { margin: 4px 0 8px; }
.shell-label { display: inline-block; padding: 0 8px; border: 1px solid #d0d7de; border-bottom: 0; border-radius: 4px 4px 0 0; background: #eaeef2; font: 12px Consolas, "DejaVu Sans Mono", ui-monospace, monospace; color: #24292f; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 0 4px 4px 4px; padding: 8px 10px; margin: 0; white-space: pre; overflow-x: auto; word-break: normal; overflow-wrap: normal; max-width: 100%; box-sizing: border-box; }
.tradeoff { color: #57606a; font-style: italic; }
.status-passed { color: #1a7f37; }
.status-failed { color: #cf222e; font-weight: 700; }
.status-error { color: #cf222e; font-weight: 700; }
.status-not_verified { color: #9a6700; font-weight: 700; }
.status-skipped { color: #57606a; }
td.reason, td.settle { white-space: pre-wrap; }
ul.facts { margin: 4px 0 8px; }
svg.seq { display: block; max-width: 100%; height: auto; border: 1px solid #d0d7de; border-radius: 4px; background: #fcfcfd; }
svg.seq text { font-family: Consolas, "DejaVu Sans Mono", ui-monospace, monospace; font-size: 12px; fill: #24292f; }
svg.seq text.actor { font-family: "Segoe UI", "DejaVu Sans", sans-serif; font-size: 14px; font-weight: 700; }
svg.seq text.detail { fill: #57606a; }
svg.seq text.tag { font-family: "Segoe UI", "DejaVu Sans", sans-serif; font-weight: 700; }
svg.seq .plain line { stroke: #57606a; }
svg.seq .ok line { stroke: #1a7f37; }
svg.seq .fail line { stroke: #cf222e; }
svg.seq .fallback line { stroke: #bc4c00; }
svg.seq .reauth line { stroke: #8250df; }
svg.seq .ok text.tag { fill: #1a7f37; }
svg.seq .fail text.tag { fill: #cf222e; }
svg.seq .fallback text.tag { fill: #bc4c00; }
svg.seq .reauth text.tag { fill: #8250df; }
svg.seq .plain text.tag { fill: #57606a; }
svg.seq rect.actor { fill: #ddf4ff; stroke: #54aeff; }
svg.seq .head-plain { fill: #57606a; }
svg.seq .head-ok { fill: #1a7f37; }
svg.seq .head-fail { fill: #cf222e; }
svg.seq .head-fallback { fill: #bc4c00; }
svg.seq .head-reauth { fill: #8250df; }
.legend span { margin-right: 14px; font-size: 13px; }
.legend b { display: inline-block; width: 18px; height: 4px; vertical-align: middle; margin-right: 4px; }
@media (max-width: 600px) { body { padding: 8px 10px 32px; } h1 { font-size: 20px; } .answer, .finding, .rootcause, .step { padding: 6px 8px; } ul.symptoms, ol.choices { padding-left: 18px; } }
@media print { body { max-width: none; padding: 0; } .finding, .rootcause, .step, svg.seq, tr { break-inside: avoid; } pre { white-space: pre-wrap; overflow-wrap: anywhere; } .scroll { overflow: visible; } }
button.copy { float: right; font-size: 12px; margin: 2px 0 0 8px; padding: 1px 8px; cursor: pointer; }
.check-title { color: #57606a; }
</style>
<script>
document.addEventListener("click", function (e) {
  var b = e.target;
  if (!b.classList || !b.classList.contains("copy")) return;
  var code = b.parentNode.querySelector("pre code");
  if (!code || !navigator.clipboard) return;
  navigator.clipboard.writeText(code.textContent).then(function () { b.textContent = "Copied"; });
});
</script>
</head>
<body>
<header>
<h1 id="title">{{.Title}}</h1>
<p class="meta">{{if .Host}}Server <strong class="host">{{range $i, $n := .Host.Names}}{{if $i}}, {{end}}{{$n}}{{end}}</strong>{{if .Host.Role}} ({{.Host.Role}}){{end}} &middot; {{end}}Profile <code>{{if .Profile}}{{.Profile}}{{else}}(none){{end}}</code>{{if .Generated}} &middot; generated {{.Generated}}{{end}}{{if .ToolVersion}} &middot; iiskerb {{.ToolVersion}}{{end}}</p>
</header>

<section id="answer" class="answer run-{{.Summary.Status}}" data-status="{{.Summary.Status}}">
<h2 class="headline"><span class="run-badge">{{.Summary.Status}}</span> {{.Summary.Headline}}</h2>
{{if .RootCauses}}<ul class="rc-lines">
{{range .RootCauses}}<li data-rc="{{.ID}}"><a href="#{{.Anchor}}">{{.ID}}</a> <span class="badge sev-{{.Severity}}">{{.Severity}}</span> {{.Title}}{{if .HasPlan}}{{if .Resolved}} <span class="resolved">(resolved by the plan)</span>{{else}} <span class="unresolved">(not resolved by the plan)</span>{{end}}{{end}}</li>
{{end}}</ul>
{{end}}{{if .Summary.Unusable}}<p class="label">Evidence that could not be used</p>
<ul class="unusable">
{{range .Summary.Unusable}}<li><code>{{.Source}}</code> ({{.Kind}}): {{.Reason}}</li>
{{end}}</ul>
{{end}}<p class="counts" id="counts"><span class="count-error">{{.Errors}} error{{if ne .Errors 1}}s{{end}}</span><span class="count-warning">{{.Warnings}} warning{{if ne .Warnings 1}}s{{end}}</span><span class="count-info">{{.Infos}} info</span></p>
{{if .Sources}}<details class="sources"><summary>Evidence: {{.SourceKinds}}</summary>
<ul>
{{range .Sources}}<li>{{.}}</li>
{{end}}</ul>
</details>
{{end}}</section>

<section id="verdict">
<h2>Verdict</h2>
{{if .Verdict}}<div class="scroll"><table class="verdict" id="verdict-table">
<thead><tr><th>Scenario</th><th>Expected</th><th>Action</th><th>Findings</th><th>Why</th></tr></thead>
<tbody>
{{range .Verdict}}<tr class="{{if .Expected}}verdict-yes{{else}}verdict-no{{end}}" data-scenario="{{.Scenario}}">
<td>{{.Scenario}}</td><td class="expected">{{if .Expected}}yes{{else}}no{{end}}</td><td>{{.Action}}</td>
<td>{{template "links" .Links}}</td><td>{{.Reason}}</td>
</tr>
{{end}}</tbody>
</table></div>
{{else}}<p>No scenario of the knowledge article's table applies to this evidence.</p>
{{end}}</section>
{{if .RootCauses}}
<section id="root-causes">
<h2>Root causes</h2>
{{range .RootCauses}}<div class="rootcause sev-{{.Severity}}" id="{{.Anchor}}" data-rc="{{.ID}}" data-kind="{{.Kind}}">
<h3><span class="badge sev-{{.Severity}}">{{.Severity}}</span> {{.ID}} &middot; {{.Title}}</h3>
<p class="rc-findings">Findings: {{template "links" .Findings}}{{if .HasPlan}} &middot; {{if .Resolved}}<span class="resolved">resolved by the plan (simulated)</span>{{else}}<span class="unresolved">not resolved by the plan (simulated)</span>{{end}}{{end}}</p>
{{if gt (len .Subjects) 1}}<p class="rc-subjects">On: {{range $i, $s := .Subjects}}{{if $i}}, {{end}}<span class="subject">{{$s}}</span>{{end}}</p>
{{end}}{{if .Symptoms}}<p class="label">Symptoms</p>
<ul class="symptoms">
{{range .Symptoms}}<li>{{if .Anchor}}<a href="#{{.Anchor}}">{{.Finding}}</a>{{else}}{{.Finding}}{{end}} ({{.CheckID}}): {{.Summary}}</li>
{{end}}</ul>
{{end}}{{if .Choices}}<p class="label">Choices (one of them)</p>
<ol class="choices">
{{range .Choices}}<li class="choice{{if .Recommended}} recommended{{end}}" data-recommended="{{.Recommended}}">{{if .Recommended}}<span class="choice-badge">Recommended</span>{{else}}<span class="choice-badge alt">Alternative</span>{{end}} <span class="choice-summary">{{.Summary}}</span>{{if .Steps}} <span class="choice-steps">(plan {{template "links" .Steps}})</span>{{end}}
{{if .Reason}}<p class="why">Why: {{.Reason}}</p>
{{end}}{{if .Tradeoff}}<p class="tradeoff">Tradeoff: {{.Tradeoff}}</p>
{{end}}</li>
{{end}}</ol>
{{else}}<p class="no-choice">No fix the evidence can name: investigate the findings below.</p>
{{end}}</div>
{{end}}</section>
{{end}}{{if .Plan}}
<section id="plan">
<h2>Plan</h2>
<p>Run the steps in order. Each names where it runs; its commands are for the shell labelled above them.</p>
{{range .Plan}}<div class="step" id="{{.Anchor}}" data-step="{{.ID}}" data-where="{{.Where}}" data-shell="{{.Shell}}">
<h3><span class="step-id">{{.ID}}</span> <span class="where">{{.Where}}</span>{{if .Shell}} <span class="shell">{{.Shell}}</span>{{end}} {{.Summary}}</h3>
<p class="resolves">{{if .Resolves}}Resolves {{template "links" .Resolves}}{{else}}Resolves no root cause by itself (a follow-up step){{end}}</p>
{{template "cmds" .Runs}}{{if .Tradeoff}}<p class="tradeoff">Tradeoff: {{.Tradeoff}}</p>
{{end}}</div>
{{end}}</section>

<section id="after-plan">
<h2>After the plan</h2>
<p class="after-counts">Simulated: <strong>{{plural .AfterPlan.Errors "error" "errors"}}, {{plural .AfterPlan.Warnings "warning" "warnings"}}</strong> left.</p>
{{if .AfterPlan.Remaining}}<p class="label">Left</p>
<ul class="remaining">
{{range .AfterPlan.Remaining}}<li>{{.}}</li>
{{end}}</ul>
{{end}}{{if .AfterPlan.NotSimulated}}<p class="label">Not simulated</p>
<ul class="not-simulated">
{{range .AfterPlan.NotSimulated}}<li>{{.}}</li>
{{end}}</ul>
{{end}}</section>
{{end}}
<section id="findings">
<h2>Findings</h2>
{{if not .Findings}}<p>No findings.</p>
{{end}}{{range .Findings}}<article class="finding sev-{{.Severity}}" id="{{.Anchor}}" data-check="{{.CheckID}}"{{if .ID}} data-id="{{.ID}}"{{end}} data-severity="{{.Severity}}">
<h3><span class="badge sev-{{.Severity}}">{{.Severity}}</span> {{.Label}}{{if .Subject}} &middot; <span class="subject">{{.Subject}}</span>{{end}}</h3>
<p class="message">{{.Message}}</p>
{{if .Evidence}}<div class="scroll"><table class="evidence">
<thead><tr><th>Source</th><th>Locator</th><th>Detail</th></tr></thead>
<tbody>
{{range .Evidence}}<tr><td><code>{{.Source}}</code></td><td><code>{{.Locator}}</code></td><td class="detail">{{.Detail}}</td></tr>
{{end}}</tbody>
</table></div>
{{end}}{{range $i, $rem := .Remediation}}<div class="remedy">
<p><strong>{{if $i}}Alternative:{{else}}Fix:{{end}}</strong> {{$rem.Summary}}</p>
{{template "cmds" $rem.Runs}}{{if $rem.Tradeoff}}<p class="tradeoff">Tradeoff: {{$rem.Tradeoff}}</p>
{{end}}</div>
{{end}}</article>
{{end}}</section>
{{if .Diagrams}}
<section id="exchanges">
<h2>Authentication exchanges</h2>
<p>Each request with the mechanism of its Authorization token, each response with its status and WWW-Authenticate challenges: what a firewall or proxy on the path sees. Tokens themselves are not included.</p>
<p class="legend"><span><b style="background:#cf222e"></b>rejected or failed</span><span><b style="background:#bc4c00"></b>fallback to NTLM</span><span><b style="background:#8250df"></b>second request on the connection</span><span><b style="background:#1a7f37"></b>success</span></p>
{{range .Diagrams}}<div class="diagram" id="{{.ID}}">
<h3>{{.Title}}</h3>
{{if .Facts}}<ul class="facts">
{{range .Facts}}<li>{{.}}</li>
{{end}}</ul>
{{end}}<svg class="seq" xmlns="http://www.w3.org/2000/svg" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}" role="img" aria-label="Sequence diagram: {{.Title}}">
<defs>{{$id := .ID}}{{range $c := .Classes}}<marker id="{{$id}}-{{$c}}" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" orient="auto"><path d="M0,0 L10,5 L0,10 z" class="head-{{$c}}"/></marker>{{end}}</defs>
<rect class="actor" x="{{half .ClientX .ClientBoxW}}" y="8" width="{{.ClientBoxW}}" height="28" rx="4"/>
<text class="actor" x="{{.ClientX}}" y="27" text-anchor="middle">{{.ClientLabel}}</text>
<rect class="actor" x="{{half .ServerX .ServerBoxW}}" y="8" width="{{.ServerBoxW}}" height="28" rx="4"/>
<text class="actor" x="{{.ServerX}}" y="27" text-anchor="middle">{{.ServerLabel}}</text>
<line class="lifeline" x1="{{.ClientX}}" y1="36" x2="{{.ClientX}}" y2="{{.Height}}" stroke="#8c959f" stroke-dasharray="5 4"/>
<line class="lifeline" x1="{{.ServerX}}" y1="36" x2="{{.ServerX}}" y2="{{.Height}}" stroke="#8c959f" stroke-dasharray="5 4"/>
{{range .Arrows}}<g class="arrow {{if .ToServer}}request{{else}}response{{end}} {{.Class}}" data-step="{{.N}}"><title>{{.Full}}</title>
<text class="step" x="10" y="{{add .Y 4}}">{{.N}}{{if .ToServer}}→{{else}}←{{end}}</text>{{if .Tag}}<text class="tag" x="40" y="{{add .Y 4}}">{{.Tag}}</text>{{end}}
<line x1="{{.X1}}" y1="{{.Y}}" x2="{{.X2}}" y2="{{.Y}}" stroke-width="{{if eq .Class "plain"}}1.5{{else}}2.5{{end}}" marker-end="url(#{{$id}}-{{.Class}})"/>
<text class="label" x="{{.TextX}}" y="{{add .Y -7}}" text-anchor="{{.Anchor}}">{{.Label}}</text>
{{$a := .}}{{range .DetailLines}}<text class="detail" x="{{$a.TextX}}" y="{{.Y}}" text-anchor="{{$a.Anchor}}">{{.Text}}</text>
{{end}}</g>
{{end}}</svg>
</div>
{{end}}</section>
{{end}}
<section id="checks">
<h2>Checks</h2>
<p>{{.Passed}} passed, {{.Failed}} failed, {{.NotVerified}} not verified, {{.Skipped}} skipped, {{.Errored}} with errors.</p>
<div class="scroll"><table class="results" id="checks-table">
<thead><tr><th>Check</th><th>Status</th><th>Reason</th>{{if .HasSettle}}<th>Would settle it</th>{{end}}</tr></thead>
<tbody>
{{range .Results}}<tr data-check="{{.CheckID}}" data-status="{{.Status}}"><td>{{if .Anchor}}<a href="#{{.Anchor}}">{{.CheckID}}</a>{{else}}{{.CheckID}}{{end}}{{if .Title}} <span class="check-title">{{.Title}}</span>{{end}}</td><td class="status-{{.Status}}">{{.Status}}</td><td class="reason">{{.Reason}}</td>{{if $.HasSettle}}<td class="settle">{{.Settle}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>
</section>
{{if .EvidenceWarnings}}
<section id="warnings">
<h2>Evidence warnings</h2>
<ul>
{{range .EvidenceWarnings}}<li>{{.}}</li>
{{end}}</ul>
</section>
{{end}}{{if .Notes}}
<section id="notes">
<h2>Notes</h2>
<ul>
{{range .Notes}}<li>{{.}}</li>
{{end}}</ul>
</section>
{{end}}</body>
</html>
`
