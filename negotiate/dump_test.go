package negotiate

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDump(t *testing.T) {
	files, _ := filepath.Glob("testdata/tokens/*.*")
	for _, f := range files {
		if strings.HasSuffix(f, ".tsv") {
			continue
		}
		raw, _ := os.ReadFile(f)
		s := strings.TrimSpace(string(raw))
		var b []byte
		if strings.HasSuffix(f, ".hex") {
			b, _ = hex.DecodeString(s)
		} else {
			b, _ = base64.StdEncoding.DecodeString(s)
		}
		tok, err := DecodeToken(b)
		j, _ := json.Marshal(tok)
		_ = j; if tok != nil { t.Logf("%s: %s [%s]", filepath.Base(f), tok.Visible().Summary, tok.Mechanism()) } else { t.Logf("%s: %v", filepath.Base(f), err) }
	}
}
