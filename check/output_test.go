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

// sarifConstraints is a JSON Schema written here from the SARIF 2.1.0
// standard's requirements (OASIS, sarif-v2.1.0 sections 3.13-3.33) for the
// parts zdt check emits: version "2.1.0", a runs array, each run's
// tool.driver.name, each result's message.text, its level from the
// standard's enumeration, and physical locations with a URI and a start line
// of at least 1. The OASIS schema file itself is not vendored (no files
// copied from other repositories); this checks the same constraints for what
// is emitted.
const sarifConstraints = `{
  "type": "object",
  "required": ["version", "runs"],
  "properties": {
    "version": {"const": "2.1.0"},
    "$schema": {"type": "string", "pattern": "sarif-schema-2\\.1\\.0"},
    "runs": {"type": "array", "items": {
      "type": "object",
      "required": ["tool"],
      "properties": {
        "tool": {"type": "object", "required": ["driver"], "properties": {
          "driver": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string", "minLength": 1},
            "rules": {"type": "array", "items": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}}
          }}
        }},
        "results": {"type": "array", "items": {
          "type": "object",
          "required": ["message"],
          "properties": {
            "ruleId": {"type": "string"},
            "level": {"enum": ["none", "note", "warning", "error"]},
            "message": {"type": "object", "anyOf": [{"required": ["text"]}, {"required": ["id"]}],
              "properties": {"text": {"type": "string"}}},
            "locations": {"type": "array", "items": {"type": "object", "properties": {
              "physicalLocation": {"type": "object", "properties": {
                "artifactLocation": {"type": "object", "properties": {"uri": {"type": "string"}}},
                "region": {"type": "object", "properties": {"startLine": {"type": "integer", "minimum": 1}}}
              }}
            }}}
          }
        }}
      }
    }}
  }
}`

// TestSARIFValidatesAgainstTheSchema writes the field report's findings as
// SARIF and validates them against the SARIF 2.1.0 constraints above.
func TestSARIFValidatesAgainstTheSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif-constraints.json", strings.NewReader(sarifConstraints)); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("sarif-constraints.json")
	if err != nil {
		t.Fatal(err)
	}
	rep, buf, doc := fieldReportSARIF(t, "step1.yaml")
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

// TestSARIFValidatesAgainstTheOASISSchema validates the field report's SARIF
// against the SARIF 2.1.0 JSON schema itself (2.1.0-rtm.5, the OASIS
// standard's), which `make sarif-schema` takes from a pinned npm package at
// test time (nothing copied into the repository) and `make unit` passes in
// ZDT_SARIF_SCHEMA.
func TestSARIFValidatesAgainstTheOASISSchema(t *testing.T) {
	path := os.Getenv("ZDT_SARIF_SCHEMA")
	if path == "" {
		t.Skip("ZDT_SARIF_SCHEMA is not set: run `make unit` (it fetches the schema with `make sarif-schema`)")
	}
	c := jsonschema.NewCompiler()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := c.AddResource("sarif-2.1.0.json", f); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("sarif-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"step1.yaml", "step4.yaml"} {
		_, buf, doc := fieldReportSARIF(t, file)
		if err := schema.Validate(doc); err != nil {
			t.Errorf("%s: SARIF output is not valid against the SARIF 2.1.0 schema: %v", file, err)
		}
		// The same document with a level outside the standard's enumeration
		// must fail, or the validation proves nothing.
		bad := strings.Replace(buf.String(), `"level": "error"`, `"level": "catastrophic"`, 1)
		var badDoc any
		if err := json.Unmarshal([]byte(bad), &badDoc); err != nil {
			t.Fatal(err)
		}
		if bad == buf.String() || schema.Validate(badDoc) == nil {
			t.Errorf("%s: a result with level \"catastrophic\" validated (or none had level error)", file)
		}
	}
}

// fieldReportSARIF checks one of the field report's steps and returns the
// report, its SARIF and the SARIF decoded as JSON.
func fieldReportSARIF(t *testing.T, file string) (Report, *bytes.Buffer, any) {
	t.Helper()
	rep := Run(load(t, filepath.Join("testdata", "fieldreport", file)), Options{})
	var buf bytes.Buffer
	if err := rep.WriteSARIF(&buf); err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	return rep, &buf, doc
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
	if got := strings.Join(back.Apps[0].Predicted["internal"], " "); got != "refused reset timeout" {
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
