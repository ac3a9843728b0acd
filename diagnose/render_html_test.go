package diagnose

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// htmlDoc is a minimal DOM view: elements with their attributes and text.
type htmlElem struct {
	Name  string
	Attrs map[string]string
	Text  string
}

func parseHTML(t *testing.T, b []byte) []htmlElem {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = false
	dec.AutoClose = xml.HTMLAutoClose
	dec.Entity = xml.HTMLEntity
	var out []htmlElem
	var stack []int
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("HTML does not parse: %v", err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			e := htmlElem{Name: tk.Name.Local, Attrs: map[string]string{}}
			for _, a := range tk.Attr {
				e.Attrs[a.Name.Local] = a.Value
			}
			out = append(out, e)
			stack = append(stack, len(out)-1)
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			for _, i := range stack {
				out[i].Text += string(tk)
			}
		}
	}
	return out
}

func find(es []htmlElem, pred func(htmlElem) bool) []htmlElem {
	var out []htmlElem
	for _, e := range es {
		if pred(e) {
			out = append(out, e)
		}
	}
	return out
}

func TestWriteHTML(t *testing.T) {
	rep := sampleReport()
	rep.Findings[1].Message = `<script>alert("x")</script> & more`
	rep.Exchanges = []Exchange{{Source: "http/a.txt", Steps: []ExchangeStep{
		{Request: "GET /intranet/", Status: 401, Received: "Negotiate, NTLM"},
		{Request: "GET /intranet/", Sent: "Kerberos AP-REQ: realm CORP, SPN HTTP/web01", Status: 200},
	}}}
	var b bytes.Buffer
	if err := rep.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Contains(out, "<script>") || strings.Contains(out, "http://") && !strings.Contains(out, "http://www.w3.org/2000/svg") {
		t.Error("unescaped script or external reference")
	}
	for _, bad := range []string{"<link", "src=", "@import", "url(http"} {
		if strings.Contains(out, bad) {
			t.Errorf("not self-contained: %q", bad)
		}
	}
	es := parseHTML(t, b.Bytes())
	rows := find(es, func(e htmlElem) bool { return e.Name == "tr" && e.Attrs["data-scenario"] != "" })
	if len(rows) != 1 || rows[0].Attrs["data-scenario"] != ScenarioTaskServer || rows[0].Attrs["class"] != "verdict-no" {
		t.Errorf("verdict rows %+v", rows)
	}
	fs := find(es, func(e htmlElem) bool { return e.Name == "div" && e.Attrs["data-check"] != "" })
	if len(fs) != 2 || fs[0].Attrs["data-severity"] != "error" || !strings.Contains(fs[1].Text, `<script>alert("x")</script> & more`) {
		t.Errorf("findings %+v", fs)
	}
	pres := find(es, func(e htmlElem) bool { return e.Name == "pre" })
	if len(pres) != 1 || !strings.Contains(pres[0].Text, `/authPersistNonNTLM:"True" /commit:apphost`) {
		t.Errorf("commands %+v", pres)
	}
	svgs := find(es, func(e htmlElem) bool { return e.Name == "svg" })
	lines := find(es, func(e htmlElem) bool { return e.Name == "g" && strings.HasPrefix(e.Attrs["class"], "step") })
	if len(svgs) != 1 || len(lines) != 4 {
		t.Errorf("%d svg, %d steps", len(svgs), len(lines))
	}
	if !strings.Contains(out, "Kerberos AP-REQ: realm CORP, SPN HTTP/web01") {
		t.Error("token summary missing from the diagram")
	}
	checks := find(es, func(e htmlElem) bool { return e.Name == "tr" && e.Attrs["data-status"] != "" })
	if len(checks) != len(rep.Results) {
		t.Errorf("%d check rows", len(checks))
	}
}

// Exchanges come from raw HTTP traces in a bundle.
func TestExchangesFromTrace(t *testing.T) {
	ev, err := LoadBundle(context.Background(), "testdata/scenarios/kb-2-kerberos-fails-ntlm-succeeds")
	if err != nil {
		t.Fatal(err)
	}
	xs := exchanges(ev)
	if len(xs) != 1 || len(xs[0].Steps) != 4 {
		t.Fatalf("exchanges %+v", xs)
	}
	s := xs[0].Steps
	if s[0].Status != 401 || s[0].Sent != "" || !strings.Contains(s[0].Received, "Negotiate") || !strings.Contains(s[0].Received, "NTLM") {
		t.Errorf("step 0 %+v", s[0])
	}
	if !strings.Contains(s[1].Sent, "Negotiate") || s[1].Status != 401 {
		t.Errorf("step 1 %+v", s[1])
	}
	if s[3].Status != 200 || !strings.Contains(strings.ToLower(s[3].Sent), "ntlm") {
		t.Errorf("step 3 %+v", s[3])
	}
}
