package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/zdt-eks/zdt/components/zerodowntime"
	"github.com/zdt-eks/zdt/verify"
)

// Severity ranks findings; --fail-on compares against it.
type Severity int

// Severities, lowest first.
const (
	SeverityInfo Severity = iota + 1
	SeverityWarning
	SeverityError
)

// String returns the severity's name.
func (s Severity) String() string {
	switch s {
	case SeverityInfo:
		return "info"
	case SeverityWarning:
		return "warning"
	case SeverityError:
		return "error"
	}
	return "none"
}

// MarshalText renders the severity by name in JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// ParseSeverity reads error, warning, info or none (none = 0: nothing
// reaches it).
func ParseSeverity(v string) (Severity, error) {
	switch strings.ToLower(v) {
	case "error":
		return SeverityError, nil
	case "warning":
		return SeverityWarning, nil
	case "info":
		return SeverityInfo, nil
	case "none":
		return 0, nil
	}
	return 0, fmt.Errorf("severity %q: use error, warning, info or none", v)
}

// Mechanism is the way a rollout fails requests.
type Mechanism int

// The three mechanisms of the field report, and none for findings about
// capacity or disruptions outside the request path.
const (
	MechanismNone Mechanism = iota
	// MechanismBootingPod: a pod gets traffic before it can serve.
	MechanismBootingPod
	// MechanismDyingPod: a pod stops serving while still routed to.
	MechanismDyingPod
	// MechanismNoHealthyTarget: the ALB has no healthy target left.
	MechanismNoHealthyTarget
)

// String describes the mechanism.
func (m Mechanism) String() string {
	switch m {
	case MechanismBootingPod:
		return "1 booting pod gets traffic"
	case MechanismDyingPod:
		return "2 pod dies while routed"
	case MechanismNoHealthyTarget:
		return "3 no healthy target in the ALB"
	}
	return "- availability"
}

// Path is where a request travels: inside the cluster (Service ClusterIP,
// kube-proxy) or from outside through the ALB.
type Path string

// The two paths the lab measures.
const (
	PathInternal Path = "internal"
	PathExternal Path = "external"
)

// Class is a failed request's class, as the rollout verifier counts it.
type Class string

// Failure classes a finding can predict: the rollout verifier's names
// (verify.Class), so a prediction compares with a measurement as is.
const (
	ClassRefused       = Class(verify.ClassRefused)
	ClassTimeout       = Class(verify.ClassTimeout)
	ClassReset         = Class(verify.ClassReset)
	Class502     Class = "502"
	Class503     Class = "503"
)

// Phase is when a predicted failure happens.
type Phase string

// Phases: a rolling update (what the lab measures), a voluntary disruption
// such as a node drain, or any time (e.g. a Service selecting no pod).
const (
	PhaseRollout    Phase = "rollout"
	PhaseDisruption Phase = "disruption"
	PhaseAlways     Phase = "always"
)

// Failure is a predicted class of failed requests on one path.
type Failure struct {
	Path  Path  `json:"path"`
	Class Class `json:"class"`
	Phase Phase `json:"phase"`
}

// Location is where an object came from.
type Location struct {
	// File is the input's name ("-" for stdin, "cluster" for a live cluster).
	File string `json:"file"`
	// Document is the 1-based index of the YAML document in the file.
	Document int `json:"document"`
	// Line is the 1-based line where the document starts (0 if unknown).
	Line int `json:"line,omitempty"`
}

// String renders file:line (document n).
func (l Location) String() string {
	if l.Line > 0 {
		return fmt.Sprintf("%s:%d (document %d)", l.File, l.Line, l.Document)
	}
	return fmt.Sprintf("%s (document %d)", l.File, l.Document)
}

// Finding is one open failure window (or a note) in one app.
type Finding struct {
	// Check is the registered check's ID.
	Check     string    `json:"check"`
	Severity  Severity  `json:"severity"`
	Mechanism Mechanism `json:"mechanism"`
	// Object is Kind/namespace/name.
	Object   string    `json:"object"`
	Field    string    `json:"field"`
	Location Location  `json:"location"`
	Why      string    `json:"why"`
	Fix      string    `json:"fix"`
	Predicts []Failure `json:"predicts,omitempty"`
}

// predict builds the failures of one phase on the given paths and classes.
func predict(phase Phase, path Path, classes ...Class) []Failure {
	out := make([]Failure, 0, len(classes))
	for _, c := range classes {
		out = append(out, Failure{Path: path, Class: c, Phase: phase})
	}
	return out
}

func sortClasses(cs []Class) {
	slices.Sort(cs)
}

// The failures each mechanism predicts during a rollout.

// bootingPodFailures: connections reach a pod that is not listening yet
// (refused inside; the ALB answers 502).
func bootingPodFailures(alb bool) []Failure {
	out := predict(PhaseRollout, PathInternal, ClassRefused)
	if alb {
		out = append(out, predict(PhaseRollout, PathExternal, Class502)...)
	}
	return out
}

// dyingPodFailures: requests reach a pod that exited or is exiting (refused,
// a reset when it exits with the request in flight, or a timeout when its
// address is gone; the ALB answers 502, or 504 / a timeout when its
// connection attempt hangs). internal says whether the in-cluster path is
// affected too.
func dyingPodFailures(internal, alb bool) []Failure {
	var out []Failure
	if internal {
		out = predict(PhaseRollout, PathInternal, ClassRefused, ClassReset, ClassTimeout)
	}
	if alb {
		// The classes the timing model names past its boundary: one list.
		for _, c := range zerodowntime.BoundaryFailureClasses {
			out = append(out, predict(PhaseRollout, PathExternal, Class(c))...)
		}
	}
	return out
}

// noHealthyTargetFailures: the ALB has no healthy target (503) or routes to
// targets it has not yet found unhealthy (502).
func noHealthyTargetFailures() []Failure {
	return predict(PhaseRollout, PathExternal, Class502, Class503)
}
