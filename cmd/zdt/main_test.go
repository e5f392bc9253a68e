package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/zdt-eks/zdt/check"
)

func TestCheckExitStatus(t *testing.T) {
	step1 := "../../check/testdata/fieldreport/step1.yaml"
	for _, tc := range []struct {
		name   string
		failOn string
		args   []string
		output string
		want   int
		errHas string
	}{
		{"errors fail by default", "warning", []string{step1}, "text", 1, ""},
		{"none never fails", "none", []string{step1}, "json", 0, ""},
		{"missing file", "warning", []string{"nope.yaml"}, "text", 2, "nope.yaml"},
		{"bad fail-on", "fatal", []string{step1}, "text", 2, "--fail-on"},
		{"bad output", "warning", []string{step1}, "xml", 2, "--output"},
		{"no input", "warning", nil, "text", 2, "no input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			f := checkFlags{output: tc.output, failOn: tc.failOn}
			code, err := runCheck(context.Background(), f, tc.args, strings.NewReader(""), &out)
			if code != tc.want || (tc.errHas != "") != (err != nil) || (err != nil && !strings.Contains(err.Error(), tc.errHas)) {
				t.Fatalf("code %d err %v, want %d and an error containing %q", code, err, tc.want, tc.errHas)
			}
		})
	}
}

func TestCheckReadsStdin(t *testing.T) {
	var out bytes.Buffer
	in := "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {selector: {app: x}}\n"
	code, err := runCheck(context.Background(), checkFlags{output: "text", failOn: "error"}, []string{check.Stdin}, strings.NewReader(in), &out)
	if err != nil || code != 1 || !strings.Contains(out.String(), "service-selector") {
		t.Fatalf("code %d err %v:\n%s", code, err, out.String())
	}
}
