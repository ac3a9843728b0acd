package w3clog

import "strings"

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

// layout is one #Fields directive compiled for byte-level field location.
type layout struct {
	names []string
	n     int
	idx   [nKnown]int // field index, or -1 when the directive lacks it
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
	for i, nm := range names {
		lower := strings.ToLower(nm)
		for k, kn := range knownNames {
			if lower == kn && l.idx[k] < 0 {
				l.idx[k] = i
			}
		}
	}
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
