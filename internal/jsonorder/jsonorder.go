// Package jsonorder marshals structs whose MarshalJSON overrides some fields
// (an anonymous struct embedding a method-less copy of the type, with the
// overridden fields beside it) and puts the keys back in the type's
// declaration order, which encoding/json would otherwise not keep.
package jsonorder

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"sync"
)

// Marshal marshals v, an anonymous struct that embeds T's fields and
// overrides some of them with their JSON forms, with the object's keys in
// T's declaration order; keys T does not declare follow, sorted.
func Marshal[T any](v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(b))
	out = append(out, '{')
	add := func(k string, v json.RawMessage) {
		if len(out) > 1 {
			out = append(out, ',')
		}
		kb, _ := json.Marshal(k)
		out = append(append(append(out, kb...), ':'), v...)
	}
	for _, k := range Keys(reflect.TypeFor[T]()) {
		if v, ok := m[k]; ok {
			add(k, v)
			delete(m, k)
		}
	}
	rest := make([]string, 0, len(m))
	for k := range m {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	for _, k := range rest {
		add(k, m[k])
	}
	return append(out, '}'), nil
}

// keyCache holds Keys per struct type.
var keyCache sync.Map // reflect.Type -> []string

// Keys lists the JSON keys of a struct type's exported fields in
// declaration order.
func Keys(t reflect.Type) []string {
	if v, ok := keyCache.Load(t); ok {
		return v.([]string)
	}
	var keys []string
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		keys = append(keys, name)
	}
	keyCache.Store(t, keys)
	return keys
}
