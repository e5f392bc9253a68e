package check

import (
	"fmt"
	"io"
	"strings"
)

// TextOptions style the human report.
type TextOptions struct {
	// Color adds ANSI colours (only when stdout is a terminal).
	Color bool
}

const (
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiBold   = "\x1b[1m"
	ansiReset  = "\x1b[0m"
)

// WriteText writes the report grouped per app, for a person.
func (r Report) WriteText(w io.Writer, o TextOptions) error {
	paint := func(code, s string) string {
		if !o.Color {
			return s
		}
		return code + s + ansiReset
	}
	var b strings.Builder
	for _, a := range r.Apps {
		fmt.Fprintf(&b, "%s (namespace %s): %s\n", paint(ansiBold, "app "+a.Name), a.Namespace, strings.Join(a.Objects, ", "))
		fmt.Fprintf(&b, "  inputs: %s\n", formatInputs(a.Inputs))
		if len(a.Findings) == 0 {
			b.WriteString("  no open window found\n")
		}
		for _, f := range a.Findings {
			sev := strings.ToUpper(f.Severity.String())
			fmt.Fprintf(&b, "  %s %s [%s] %s %s\n", paint(severityColor(f.Severity), fmt.Sprintf("%-7s", sev)),
				f.Check, f.Mechanism, f.Object, f.Field)
			fmt.Fprintf(&b, "          at:   %s\n", f.Location)
			fmt.Fprintf(&b, "          why:  %s\n", f.Why)
			fmt.Fprintf(&b, "          fix:  %s\n", f.Fix)
			if len(f.Predicts) > 0 {
				fmt.Fprintf(&b, "          predicts: %s\n", formatFailures(f.Predicts))
			}
		}
		fmt.Fprintf(&b, "  predicted during a rollout: internal %s, external %s\n\n",
			formatClasses(a.Predicted[PathInternal]), formatClasses(a.Predicted[PathExternal]))
	}
	s := r.Summary
	fmt.Fprintf(&b, "%d objects, %d apps: %d errors, %d warnings, %d infos\n", r.Objects, s.Apps, s.Errors, s.Warnings, s.Infos)
	_, err := io.WriteString(w, b.String())
	return err
}

func severityColor(s Severity) string {
	switch s {
	case SeverityError:
		return ansiRed
	case SeverityWarning:
		return ansiYellow
	}
	return ansiCyan
}

func formatInputs(in []Input) string {
	parts := make([]string, len(in))
	for i, x := range in {
		parts[i] = fmt.Sprintf("%s %d s (%s)", x.Name, x.Seconds, x.Source)
	}
	return strings.Join(parts, ", ")
}

func formatClasses(cs []Class) string {
	if len(cs) == 0 {
		return "none"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = string(c)
	}
	return strings.Join(parts, " ")
}

// formatFailures renders "internal refused timeout, external 502 (rollout)".
func formatFailures(fs []Failure) string {
	type key struct {
		path  Path
		phase Phase
	}
	var order []key
	classes := map[key][]string{}
	for _, f := range fs {
		k := key{f.Path, f.Phase}
		if _, ok := classes[k]; !ok {
			order = append(order, k)
		}
		classes[k] = append(classes[k], string(f.Class))
	}
	parts := make([]string, len(order))
	for i, k := range order {
		parts[i] = fmt.Sprintf("%s %s (%s)", k.path, strings.Join(classes[k], " "), k.phase)
	}
	return strings.Join(parts, ", ")
}
