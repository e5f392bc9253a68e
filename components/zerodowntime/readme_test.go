package zerodowntime

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEShowsTheExample keeps the README's usage example equal to the
// compiled ExampleNewZeroDowntimeApp (between its README:begin and
// README:end markers, one indentation level less).
func TestREADMEShowsTheExample(t *testing.T) {
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, body, ok := strings.Cut(string(src), "// README:begin\n")
	body, _, ok2 := strings.Cut(body, "\t\t// README:end")
	if !ok || !ok2 {
		t.Fatal("example_test.go lacks the README:begin/README:end markers")
	}
	var want strings.Builder
	for _, l := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		want.WriteString(strings.TrimPrefix(l, "\t\t") + "\n")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "## Use the component in your own Pulumi program")
	_, block, _ := strings.Cut(section, "```go\n")
	block, _, _ = strings.Cut(block, "```\n")
	if block != want.String() {
		t.Errorf("README's usage example differs from ExampleNewZeroDowntimeApp; README has:\n%s\nexample has:\n%s", block, want.String())
	}
}
