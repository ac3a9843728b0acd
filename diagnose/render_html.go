package diagnose

import (
	"html/template"
	"io"
	"strings"
)

// WriteHTML writes the report as one self-contained HTML page (no external
// assets, no scripts) that a support engineer can attach to a ticket: the
// verdict first, then each finding with its evidence and commands, the
// HTTP authentication exchanges as inline SVG sequence diagrams, the check
// results and the evidence warnings.
func (r *Report) WriteHTML(w io.Writer) error {
	e, wa, in := r.Counts()
	data := struct {
		R                     *Report
		Groups                []findingGroup
		Errors, Warnings, Inf int
		Counts                map[string]int
		Diagrams              []diagram
	}{R: r.normalized(), Groups: r.groupFindings(), Errors: e, Warnings: wa, Inf: in, Counts: map[string]int{}}
	for st, n := range r.statusCounts() {
		data.Counts[string(st)] = n
	}
	for _, x := range r.Exchanges {
		data.Diagrams = append(data.Diagrams, newDiagram(x))
	}
	return htmlTemplate.Execute(w, data)
}

// diagram lays out an exchange as a sequence diagram.
type diagram struct {
	Source        string
	Width, Height int
	ClientX       int
	ServerX       int
	Arrows        []arrow
}

type arrow struct {
	Y          int
	X1, X2     int
	Label      string
	Sub        string
	ToServer   bool
	Failed     bool
	LabelX     int
	LabelAnchr string
}

const (
	diagramWidth = 900
	diagramStep  = 46
)

func newDiagram(x Exchange) diagram {
	d := diagram{Source: x.Source, Width: diagramWidth, ClientX: 90, ServerX: diagramWidth - 90}
	y := 60
	clip := func(s string) string {
		if r := []rune(s); len(r) > 96 {
			return string(r[:93]) + "..."
		}
		return s
	}
	for _, st := range x.Steps {
		req := arrow{Y: y, X1: d.ClientX, X2: d.ServerX, ToServer: true, Label: clip(st.Request), Sub: clip(st.Sent),
			LabelX: d.ClientX + 10, LabelAnchr: "start"}
		y += diagramStep
		d.Arrows = append(d.Arrows, req)
		if st.Status != 0 {
			label := itoa(st.Status)
			resp := arrow{Y: y, X1: d.ServerX, X2: d.ClientX, Label: label, Sub: clip(st.Received),
				Failed: st.Status >= 400, LabelX: d.ClientX + 10, LabelAnchr: "start"}
			y += diagramStep
			d.Arrows = append(d.Arrows, resp)
		}
	}
	d.Height = y + 10
	return d
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"lower":     strings.ToLower,
	"firstLine": firstLine,
	"sub":       func(a, b int) int { return a - b },
	"add":       func(a, b int) int { return a + b },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>iiskerb report ({{.R.Profile}})</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1000px; color: #1b1b1b; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: .2em; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 1.6em; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #ddd; padding: .35em .5em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
.verdict-no { background: #fdecea; }
.verdict-yes { background: #edf7ed; }
.finding { border-left: 4px solid #999; padding: .3em .8em; margin: .8em 0; background: #fafafa; }
.sev-error { border-color: #c62828; }
.sev-warning { border-color: #ef6c00; }
.sev-info { border-color: #1565c0; }
.badge { display: inline-block; font-size: .8em; font-weight: 600; padding: 0 .45em; border-radius: 3px; color: #fff; background: #1565c0; }
.badge.error { background: #c62828; }
.badge.warning { background: #ef6c00; }
pre { background: #272822; color: #f8f8f2; padding: .6em .8em; overflow-x: auto; border-radius: 4px; }
code { font-family: ui-monospace, Consolas, monospace; }
.muted { color: #666; }
.subject { font-weight: 600; margin-top: 1em; }
svg text { font: 12px ui-monospace, Consolas, monospace; }
</style>
</head>
<body>
<h1>iiskerb report</h1>
<p class="muted" id="summary">Profile <code>{{.R.Profile}}</code>: {{.Errors}} errors, {{.Warnings}} warnings, {{.Inf}} info.</p>

<h2 id="verdict">Verdict</h2>
{{if .R.Verdict}}<table id="verdict-table">
<tr><th>Scenario</th><th>Expected</th><th>Action</th><th>Findings</th><th>Why</th></tr>
{{range .R.Verdict}}<tr class="{{if .Expected}}verdict-yes{{else}}verdict-no{{end}}" data-scenario="{{.Scenario}}"><td>{{.Scenario}}</td><td>{{if .Expected}}yes{{else}}no{{end}}</td><td>{{.Action}}</td><td>{{range $i, $f := .Findings}}{{if $i}}, {{end}}<a href="#{{lower $f}}">{{$f}}</a>{{end}}</td><td>{{.Reason}}</td></tr>
{{end}}</table>
{{else}}<p>No scenario of the knowledge article's table applies to the evidence given.</p>
{{end}}
<h2 id="findings">Findings</h2>
{{if not .R.Findings}}<p>None.</p>{{end}}
{{range .Groups}}{{if .Findings}}{{if .Row}}<h3>{{.Row.Scenario}}</h3>{{else if $.R.Verdict}}<h3>Other findings</h3>{{end}}
{{$subject := "\x00"}}{{range .Findings}}{{if ne .Subject $subject}}{{$subject = .Subject}}<div class="subject">{{if .Subject}}{{.Subject}}{{else}}(server){{end}}</div>{{end}}
<div class="finding sev-{{.Severity}}" id="{{lower .CheckID}}" data-check="{{.CheckID}}" data-severity="{{.Severity}}">
<p><span class="badge {{.Severity}}">{{.Severity}}</span> <strong>{{.CheckID}}</strong> {{.Message}}</p>
{{if .Evidence}}<ul>{{range .Evidence}}<li class="evidence"><code>{{.Where}}</code>{{if .Detail}}: {{.Detail}}{{end}}</li>{{end}}</ul>{{end}}
{{range $i, $rem := .Remediation}}<p>{{if $i}}Or: {{else}}Fix: {{end}}{{$rem.Summary}}</p>
{{if $rem.Commands}}<pre class="commands">{{range $rem.Commands}}{{.}}
{{end}}</pre>{{end}}{{if $rem.Tradeoff}}<p class="muted">Tradeoff: {{$rem.Tradeoff}}</p>{{end}}
{{end}}</div>
{{end}}{{end}}{{end}}
{{if .Diagrams}}<h2 id="exchanges">Authentication exchanges</h2>
<p class="muted">What each request carried and what came back, as a firewall or proxy on the path sees it.</p>
{{range $n, $d := .Diagrams}}<h3>{{.Source}}</h3>
<svg class="exchange" xmlns="http://www.w3.org/2000/svg" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}" role="img" aria-label="Negotiate exchange {{.Source}}">
<defs><marker id="arrowhead{{$n}}" markerWidth="10" markerHeight="7" refX="10" refY="3.5" orient="auto"><polygon points="0 0, 10 3.5, 0 7" fill="#444"/></marker></defs>
<text x="{{.ClientX}}" y="20" text-anchor="middle" font-weight="bold">Client</text>
<text x="{{.ServerX}}" y="20" text-anchor="middle" font-weight="bold">IIS server</text>
<line x1="{{.ClientX}}" y1="28" x2="{{.ClientX}}" y2="{{.Height}}" stroke="#999" stroke-dasharray="4 3"/>
<line x1="{{.ServerX}}" y1="28" x2="{{.ServerX}}" y2="{{.Height}}" stroke="#999" stroke-dasharray="4 3"/>
{{range .Arrows}}<g class="step {{if .ToServer}}request{{else}}response{{end}}">
<line x1="{{.X1}}" y1="{{.Y}}" x2="{{.X2}}" y2="{{.Y}}" stroke="{{if .Failed}}#c62828{{else}}#444{{end}}" stroke-width="1.5" marker-end="url(#arrowhead{{$n}})"/>
<text x="{{.LabelX}}" y="{{sub .Y 6}}" text-anchor="{{.LabelAnchr}}">{{.Label}}</text>
{{if .Sub}}<text x="{{.LabelX}}" y="{{add .Y 15}}" text-anchor="{{.LabelAnchr}}" fill="#555">{{.Sub}}</text>{{end}}
</g>
{{end}}</svg>
{{end}}{{end}}
<h2 id="checks">Checks</h2>
<p class="muted">{{index .Counts "passed"}} passed, {{index .Counts "failed"}} failed, {{index .Counts "skipped"}} skipped, {{index .Counts "error"}} error.</p>
<table id="checks-table">
<tr><th>Check</th><th>Status</th><th>Reason</th></tr>
{{range .R.Results}}<tr data-check="{{.CheckID}}" data-status="{{.Status}}"><td>{{.CheckID}}</td><td>{{.Status}}</td><td>{{firstLine .Reason}}</td></tr>
{{end}}</table>
{{if .R.Warnings}}<h2 id="warnings">Evidence warnings</h2>
<ul>{{range .R.Warnings}}<li class="warning">{{.String}}</li>{{end}}</ul>{{end}}
{{if .R.Notes}}<h2 id="notes">Notes</h2>
<ul>{{range .R.Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
</body>
</html>
`))
