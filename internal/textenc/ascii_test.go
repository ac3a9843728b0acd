package textenc

import "testing"

func TestIsASCII(t *testing.T) {
	for s, want := range map[string]bool{"": true, "HTTP/web01.corp": true, "\x7f": true, "Ünïcode": false, "a\x80": false} {
		if got := IsASCII(s); got != want {
			t.Errorf("IsASCII(%q) = %v, want %v", s, got, want)
		}
	}
}
