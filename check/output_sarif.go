package check

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/owenrumney/go-sarif/v2/sarif"
)

// ToolURI is the check's home page in SARIF output.
const ToolURI = "https://github.com/zdt-eks/zdt"

// WriteJSON writes the report as indented JSON.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteSARIF writes the report as SARIF 2.1.0 (code-scanning annotations):
// one rule per registered check, one result per finding at its document.
func (r Report) WriteSARIF(w io.Writer) error {
	log, err := sarif.New(sarif.Version210)
	if err != nil {
		return fmt.Errorf("sarif: %w", err)
	}
	run := sarif.NewRunWithInformationURI("zdt check", ToolURI)
	for _, c := range Checks {
		run.AddRule(c.ID).WithDescription(c.Doc)
	}
	run.AddRule("inputs").WithDescription("The zdt.dev/... annotations hold whole seconds.")
	for _, a := range r.Apps {
		for _, f := range a.Findings {
			sarifResult(run, a, f) // CreateResultForRule adds it to the run
		}
	}
	log.AddRun(run)
	return log.PrettyWrite(w)
}

// sarifResult adds one finding to the run as a result.
func sarifResult(run *sarif.Run, a AppReport, f Finding) {
	msg := fmt.Sprintf("%s %s (mechanism %s, app %s/%s): %s. Fix: %s.", f.Object, f.Field, f.Mechanism, a.Namespace, a.Name, f.Why, f.Fix)
	if len(f.Predicts) > 0 {
		msg += " Predicts: " + formatFailures(f.Predicts) + "."
	}
	res := run.CreateResultForRule(f.Check).WithLevel(sarifLevel(f.Severity)).WithMessage(sarif.NewTextMessage(msg))
	loc := sarif.NewPhysicalLocation().WithArtifactLocation(sarif.NewSimpleArtifactLocation(f.Location.File))
	if f.Location.Line > 0 {
		loc = loc.WithRegion(sarif.NewRegion().WithStartLine(f.Location.Line))
	}
	res.AddLocation(sarif.NewLocationWithPhysicalLocation(loc))
	pb := sarif.NewPropertyBag()
	pb.AddInteger("mechanism", int(f.Mechanism))
	pb.AddString("object", f.Object)
	pb.AddString("field", f.Field)
	pb.AddInteger("document", f.Location.Document)
	res.AttachPropertyBag(pb)
}

func sarifLevel(s Severity) string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	}
	return "note"
}
