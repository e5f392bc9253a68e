package infra

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zdt-eks/zdt/components/zerodowntime"
)

// componentFieldKeys maps the component's argument fields to the config
// keys they come from (appArgs); the image's key depends on the platform
// (imageKey).
var componentFieldKeys = map[string]string{
	"AppName":                                 "appName",
	"Namespace":                               "namespace",
	"Replicas":                                "replicas",
	"Autoscaling.MinReplicas":                 "replicas",
	"Autoscaling.MaxReplicas":                 "maxReplicas",
	"Timing.BootSeconds":                      "bootSeconds",
	"Timing.MaxRequestSeconds":                "maxRequestSeconds",
	"Timing.HealthCheckIntervalSeconds":       "healthCheckIntervalSeconds",
	"Timing.DeregistrationPropagationSeconds": "deregistrationPropagationSeconds",
	"Ingress.ClassName":                       "ingressClass",
	"Ingress.Scheme":                          "ingressScheme",
	"Ingress.Host":                            "host",
	"Ingress.TLS.CertificateArns[0]":          "certificateArn",
}

// imageKey is the config key the app's image comes from on the platform.
func imageKey(platform string) string {
	switch platform {
	case PlatformLocal:
		return "localImage"
	case PlatformExisting:
		return "image"
	}
	return "appVersion" // eks: <ECR repository>:<appVersion>, then by digest
}

// validateApp runs the component's validator on exactly the arguments the
// program will pass (appArgs) and reports each problem under the config
// keys it comes from, e.g. `config zdt:replicas: ...; fix: ...`. Problems
// only with keys in reported (already refused by the program) are left out.
func (c Config) validateApp(reported map[string]bool) []error {
	_, _, err := zerodowntime.Validate(c.AppName, *appArgs(c, appInputs{
		Namespace:       pulumi.String(c.Namespace),
		Image:           pulumi.String(configuredImage(c)),
		ImagePullPolicy: imagePullPolicy(c),
	}))
	if err == nil {
		return nil
	}
	keys := map[string]string{"Image": imageKey(c.Platform)}
	for f, k := range componentFieldKeys {
		keys[f] = k
	}
	fieldErrs := fieldErrors(err)
	if len(fieldErrs) == 0 {
		return []error{fmt.Errorf("app settings: %w", err)}
	}
	var errs []error
	for _, fe := range fieldErrs {
		if !allReported(fe.Fields, keys, reported) {
			errs = append(errs, asConfigError(fe, keys))
		}
	}
	return errs
}

// allReported reports whether every field maps to a key already reported.
func allReported(fields []string, keys map[string]string, reported map[string]bool) bool {
	for _, f := range fields {
		if !reported[keys[f]] {
			return false
		}
	}
	return true
}

// asConfigError restates a component error in config keys: the fields
// become zdt:<key>, and so do their names in the fix. A field the program
// does not expose stays named, with the keys to change instead.
func asConfigError(fe *zerodowntime.FieldError, keys map[string]string) error {
	var names, unexposed []string
	fix := fe.Fix
	for _, f := range fe.Fields {
		k, ok := keys[f]
		if !ok {
			unexposed = append(unexposed, f)
			continue
		}
		names = append(names, Project+":"+k)
		fix = strings.ReplaceAll(fix, f, Project+":"+k)
	}
	if len(names) == 0 {
		return fmt.Errorf("app settings (component fields %s): %s; fix: %s", strings.Join(fe.Fields, ", "), fe.Problem, fe.Fix)
	}
	if len(unexposed) > 0 {
		fix += fmt.Sprintf(" (this program does not set %s; change %s)", strings.Join(unexposed, ", "), strings.Join(names, ", "))
	}
	return fmt.Errorf("config %s: %s; fix: %s", strings.Join(names, ", "), fe.Problem, fix)
}

// fieldErrors collects the component's FieldErrors from its joined and
// wrapped error tree.
func fieldErrors(err error) []*zerodowntime.FieldError {
	if fe, ok := err.(*zerodowntime.FieldError); ok {
		return []*zerodowntime.FieldError{fe}
	}
	var out []*zerodowntime.FieldError
	switch e := err.(type) {
	case interface{ Unwrap() []error }:
		for _, inner := range e.Unwrap() {
			out = append(out, fieldErrors(inner)...)
		}
	case interface{ Unwrap() error }:
		out = fieldErrors(e.Unwrap())
	}
	return out
}
