package w3clog

import (
	"bytes"
	"strings"
)

// Indexes of the fields the classifier reads, in layout.idx.
const (
	kDate = iota
	kTime
	kURI
	kUser
	kClientIP
	kStatus
	kSubStatus
	kWin32
	nKnown
)

var knownNames = [nKnown]string{
	kDate:      "date",
	kTime:      "time",
	kURI:       "cs-uri-stem",
	kUser:      "cs-username",
	kClientIP:  "c-ip",
	kStatus:    "sc-status",
	kSubStatus: "sc-substatus",
	kWin32:     "sc-win32-status",
}

// longField reports fields whose values are typically long (so the field
// splitter prefers not to walk across them).
func longField(name string) bool {
	switch name {
	case "cs(user-agent)", "cs(referer)", "cs(cookie)", "cs-uri-query":
		return true
	}
	return false
}

// layout is one #Fields directive compiled for byte-level field location.
type layout struct {
	names []string
	n     int
	idx   [nKnown]int // field index, or -1 when the directive lacks it
	fwd   int         // fields [0, fwd) are located walking forward
	back  int         // fields [n-back, n) are located walking backward
	// lastUsed is true when the classifier reads the last field: a cut
	// last line can then not be classified (see "Truncated files").
	lastUsed bool
}

// parseFields compiles the value of a #Fields directive (the text after
// "#Fields:"). It returns nil when the directive names no field.
func parseFields(v []byte) *layout {
	names := strings.Fields(string(v))
	if len(names) == 0 {
		return nil
	}
	l := &layout{names: names, n: len(names)}
	for k := range l.idx {
		l.idx[k] = -1
	}
	lower := make([]string, len(names))
	for i, nm := range names {
		lower[i] = strings.ToLower(nm)
		for k, kn := range knownNames {
			if lower[i] == kn && l.idx[k] < 0 {
				l.idx[k] = i
			}
		}
	}
	// For every needed field choose the direction that crosses fewer long
	// fields (user agent, referer, cookie, query), then fewer fields.
	longBefore := make([]int, len(names)+1)
	for i, nm := range lower {
		longBefore[i+1] = longBefore[i]
		if longField(nm) {
			longBefore[i+1]++
		}
	}
	totalLong := longBefore[len(names)]
	minBack := l.n
	for _, i := range l.idx {
		if i < 0 {
			continue
		}
		before := longBefore[i]
		after := totalLong - longBefore[i+1]
		forward := before < after || (before == after && i <= l.n-1-i)
		if forward {
			if i+1 > l.fwd {
				l.fwd = i + 1
			}
		} else if i < minBack {
			minBack = i
		}
	}
	l.back = l.n - minBack
	for _, i := range l.idx {
		if i == l.n-1 {
			l.lastUsed = true
		}
	}
	return l
}

func (l *layout) equal(o *layout) bool {
	if l == nil || o == nil {
		return l == o
	}
	if l.n != o.n {
		return false
	}
	for i := range l.names {
		if l.names[i] != o.names[i] {
			return false
		}
	}
	return true
}

// locateFwd fills starts/ends of fields [0, l.fwd). line must have exactly
// l.n space-separated fields.
func (l *layout) locateFwd(line []byte, starts, ends []int) {
	pos := 0
	for k := 0; k < l.fwd; k++ {
		starts[k] = pos
		j := bytes.IndexByte(line[pos:], ' ')
		if j < 0 {
			ends[k] = len(line)
			pos = len(line)
			continue
		}
		ends[k] = pos + j
		pos += j + 1
	}
}

// locateBack fills starts/ends of fields [l.n-l.back, l.n).
func (l *layout) locateBack(line []byte, starts, ends []int) {
	end := len(line)
	for k := l.n - 1; k >= l.n-l.back; k-- {
		ends[k] = end
		j := bytes.LastIndexByte(line[:end], ' ')
		starts[k] = j + 1
		if j < 0 {
			end = 0
			continue
		}
		end = j
	}
}
