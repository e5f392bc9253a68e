package godoc

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	src := `package p

// A is documented.
//
// Second paragraph.
type A struct {
	// X is one
	// field.
	X int
	Y int // trailing comments are not docs
	// P and Q share a doc.
	P, Q string
}

type (
	// B is in a group.
	B struct{}
	// N is not a struct.
	N int
)
`
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "p_test.go"), []byte("package p\n\n// T is a test type.\ntype T struct{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"A":   "A is documented.\n\nSecond paragraph.",
		"A.X": "X is one field.",
		"A.P": "P and Q share a doc.",
		"A.Q": "P and Q share a doc.",
		"B":   "B is in a group.",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Read = %#v\nwant %#v", got, want)
	}
}
