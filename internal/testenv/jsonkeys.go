package testenv

import (
	"encoding/json"
	"fmt"
	"regexp"
	"testing"
)

var snakeKey = regexp.MustCompile(`^[a-z0-9_]+$`)

// CheckSnakeJSON fails t unless every object key in the JSON document b is
// snake_case and no array holds only numbers (an OID or an enum printed as
// integers instead of names).
func CheckSnakeJSON(t *testing.T, name string, b []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if !snakeKey.MatchString(k) {
					t.Errorf("%s: key %s.%s is not snake_case", name, path, k)
				}
				walk(path+"."+k, e)
			}
		case []any:
			ints := len(v) > 1
			for i, e := range v {
				if _, ok := e.(float64); !ok {
					ints = false
				}
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
			if ints {
				t.Errorf("%s: %s is an array of numbers %v", name, path, v)
			}
		}
	}
	walk("", v)
}
