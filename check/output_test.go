package check

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// TestSARIFValidatesAgainstTheSchema writes the field report's findings as
// SARIF and validates them against the OASIS SARIF 2.1.0 schema (errata01,
// testdata/sarif-schema-2.1.0.json).
func TestSARIFValidatesAgainstTheSchema(t *testing.T) {
	schemaFile := filepath.Join("testdata", "sarif-schema-2.1.0.json")
	raw, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif-schema-2.1.0.json", bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	rep := Run(load(t, filepath.Join("testdata", "fieldreport", "step1.yaml")), Options{})
	var buf bytes.Buffer
	if err := rep.WriteSARIF(&buf); err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Fatalf("SARIF output is not valid SARIF 2.1.0: %#v\n%s", err, buf.String())
	}
	if n := strings.Count(buf.String(), `"ruleId"`); n != len(rep.Apps[0].Findings) {
		t.Errorf("%d results, want %d", n, len(rep.Apps[0].Findings))
	}
	// A broken document must fail, or the validation proves nothing.
	if err := schema.Validate(map[string]any{"version": "2.1.0", "runs": []any{map[string]any{"results": []any{}}}}); err == nil {
		t.Error("a run without a tool validated")
	}
}

func TestJSONCarriesPredictions(t *testing.T) {
	rep := Run(load(t, filepath.Join("testdata", "fieldreport", "step1.yaml")), Options{})
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Apps []struct {
			Predicted map[string][]string `json:"predicted"`
			Findings  []struct {
				Check    string `json:"check"`
				Severity string `json:"severity"`
			} `json:"findings"`
		} `json:"apps"`
	}
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if got := back.Apps[0].Findings[0]; got.Check != "service-selector" || got.Severity != "error" {
		t.Errorf("first finding %+v", got)
	}
	if got := strings.Join(back.Apps[0].Predicted["internal"], " "); got != "refused timeout" {
		t.Errorf("internal prediction %q", got)
	}
}

func TestTextColourOnlyWhenAsked(t *testing.T) {
	rep := Run(load(t, filepath.Join("testdata", "fieldreport", "step1.yaml")), Options{})
	var plain, colour bytes.Buffer
	_ = rep.WriteText(&plain, TextOptions{})
	_ = rep.WriteText(&colour, TextOptions{Color: true})
	if strings.Contains(plain.String(), "\x1b[") || !strings.Contains(colour.String(), ansiRed) {
		t.Error("colour codes wrong")
	}
}
