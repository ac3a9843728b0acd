package jsonorder

import "testing"

type point struct {
	X    int    `json:"x"`
	Name string `json:"name,omitempty"`
	Y    int    `json:"y"`
	Skip int    `json:"-"`
}

// The overridden field keeps its place among the type's keys.
func TestMarshalKeepsDeclarationOrder(t *testing.T) {
	type plain point
	v := struct {
		plain
		Name string `json:"name"`
		More int    `json:"more"`
	}{plain{X: 1, Y: 2, Skip: 3}, "n", 4}
	b, err := Marshal[point](v)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"x":1,"name":"n","y":2,"more":4}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
