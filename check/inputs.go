package check

import (
	"fmt"
	"strconv"

	"github.com/zdt-eks/zdt/components/zerodowntime"
)

// Annotations on a Deployment that declare what its manifests cannot tell.
// They override Options for that app.
// ZeroDowntimeApp writes the first three on its Deployments (the app drain
// when it declares one).
const (
	AnnotationBootSeconds        = zerodowntime.AnnotationBootSeconds
	AnnotationMaxRequestSeconds  = zerodowntime.AnnotationMaxRequestSeconds
	AnnotationAppDrainSeconds    = zerodowntime.AnnotationAppDrainSeconds
	AnnotationPropagationSeconds = "zdt.dev/deregistration-propagation-seconds"
)

// Options are the check's inputs that no manifest says. Zero values take
// the timing model's defaults.
type Options struct {
	// BootSeconds is the apps' worst-case boot time.
	BootSeconds int
	// MaxRequestSeconds is the longest request.
	MaxRequestSeconds int
	// DeregistrationPropagationSeconds is the allowance for the LBC and the
	// ALB to stop routing to a deregistered target.
	DeregistrationPropagationSeconds int
	// DefaultNamespace is the namespace of objects that name none
	// (default "default").
	DefaultNamespace string
}

// timingInput is one input of the model a check needs from outside.
type timingInput struct {
	name       string
	annotation string
	flag       int
	set        func(*zerodowntime.TimingArgs, int)
	// derived reads the input back from the model, defaults applied.
	derived func(zerodowntime.Timing) int
}

func timingInputs(o Options) []timingInput {
	return []timingInput{
		{"boot", AnnotationBootSeconds, o.BootSeconds,
			func(a *zerodowntime.TimingArgs, v int) { a.BootSeconds = v },
			func(t zerodowntime.Timing) int { return t.BootSeconds }},
		{"longest request", AnnotationMaxRequestSeconds, o.MaxRequestSeconds,
			func(a *zerodowntime.TimingArgs, v int) { a.MaxRequestSeconds = v },
			func(t zerodowntime.Timing) int { return t.MaxRequestSeconds }},
		{"app drain", AnnotationAppDrainSeconds, 0,
			func(a *zerodowntime.TimingArgs, v int) { a.AppDrainSeconds = v },
			func(t zerodowntime.Timing) int { return t.AppDrainSeconds }},
		{"ALB propagation", AnnotationPropagationSeconds, o.DeregistrationPropagationSeconds,
			func(a *zerodowntime.TimingArgs, v int) { a.DeregistrationPropagationSeconds = v },
			func(t zerodowntime.Timing) int { return t.DeregistrationPropagationSeconds }},
	}
}

// resolveInputs fills the app's timing inputs (annotation, else flag, else
// the model's default) and derives the model. A bad annotation is an error
// naming it; the model's defaults stand in for it.
func resolveInputs(a *App, o Options) error {
	a.InputSources = map[string]string{}
	var ann map[string]string
	if a.Deployment != nil {
		ann = a.Deployment.Annotations
	}
	var bad error
	for _, in := range timingInputs(o) {
		src := "model default"
		if in.flag > 0 {
			in.set(&a.Inputs, in.flag)
			src = "flag"
		}
		if raw, ok := ann[in.annotation]; ok {
			n, err := strconv.Atoi(raw)
			if err != nil || n <= 0 {
				bad = fmt.Errorf("annotation %s=%q: not a positive number of seconds", in.annotation, raw)
				continue
			}
			in.set(&a.Inputs, n)
			src = "annotation " + in.annotation
		}
		a.InputSources[in.name] = src
	}
	t, err := zerodowntime.Derive(a.Inputs)
	if err != nil {
		t, _ = zerodowntime.Derive(zerodowntime.TimingArgs{})
		bad = fmt.Errorf("timing inputs: %w", err)
	}
	a.Timing = t
	for _, in := range timingInputs(o) {
		in.set(&a.Inputs, in.derived(t))
	}
	return bad
}
