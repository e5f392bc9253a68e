package check

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func load(t *testing.T, paths ...string) []Object {
	t.Helper()
	objs, err := LoadPaths(paths, nil)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// mechanisms lists the mechanisms of findings at warning or above.
func mechanisms(fs []Finding) []Mechanism {
	var out []Mechanism
	for _, f := range fs {
		if f.Severity >= SeverityWarning && f.Mechanism != MechanismNone && !slices.Contains(out, f.Mechanism) {
			out = append(out, f.Mechanism)
		}
	}
	slices.Sort(out)
	return out
}

func has(fs []Finding, check string) bool {
	for _, f := range fs {
		if f.Check == check && f.Severity >= SeverityWarning {
			return true
		}
	}
	return false
}

// TestFieldReport runs the check on the field report's four steps (with the
// original selector typo) and requires what the model says of each.
func TestFieldReport(t *testing.T) {
	for _, tc := range []struct {
		step       string
		mechanisms []Mechanism
		want       []string // check IDs that must report at warning or above
		absent     []string // check IDs that must not
	}{
		{"step1", []Mechanism{1, 2, 3}, []string{"readiness-probe", "prestop", "readiness-gate", "pdb"}, []string{"grace-period"}},
		{"step2", []Mechanism{2, 3}, []string{"prestop", "readiness-gate", "startup-budget"}, nil},
		{"step3", []Mechanism{2, 3}, []string{"prestop", "readiness-gate"}, nil},
		{"step4", []Mechanism{2, 3}, []string{"prestop"}, []string{"readiness-gate", "grace-period"}},
	} {
		t.Run(tc.step, func(t *testing.T) {
			rep := Run(load(t, filepath.Join("testdata", "fieldreport", tc.step+".yaml")), Options{})
			if len(rep.Apps) != 1 {
				t.Fatalf("apps = %d, want 1 (the Service with the typo belongs to websvr)", len(rep.Apps))
			}
			fs := rep.Apps[0].Findings
			if first := fs[0]; first.Check != "service-selector" || first.Severity != SeverityError || first.Object != "Service/websvr/websvr" {
				t.Fatalf("first finding = %s %s %s, want the Service selector typo", first.Check, first.Severity, first.Object)
			}
			if got := mechanisms(fs); !slices.Equal(got, tc.mechanisms) {
				t.Errorf("mechanisms = %v, want %v", got, tc.mechanisms)
			}
			for _, id := range tc.want {
				if !has(fs, id) {
					t.Errorf("no %s finding", id)
				}
			}
			for _, id := range tc.absent {
				if has(fs, id) {
					t.Errorf("unexpected %s finding", id)
				}
			}
		})
	}
}

// TestFieldReportStep4PreStopShortOfTheModel: the report's 10 s preStop is
// below the model's 30 s propagation allowance, and no longer with 8 s.
func TestFieldReportStep4PreStopShortOfTheModel(t *testing.T) {
	objs := load(t, filepath.Join("testdata", "fieldreport", "step4.yaml"))
	rep := Run(objs, Options{})
	var found *Finding
	for i, f := range rep.Apps[0].Findings {
		if f.Check == "prestop" {
			found = &rep.Apps[0].Findings[i]
		}
	}
	if found == nil || !strings.Contains(found.Why, "preStop sleeps 10 s, shorter than the 30 s") {
		t.Fatalf("prestop finding = %+v", found)
	}
	if got := rep.Apps[0].Predicted[PathExternal]; !slices.Contains(got, Class502) {
		t.Errorf("external prediction %v lacks 502", got)
	}
	rep = Run(objs, Options{DeregistrationPropagationSeconds: 8})
	if has(rep.Apps[0].Findings, "prestop") {
		t.Error("prestop reported with an 8 s propagation allowance")
	}
}

// TestGoldenManifestsHaveNoWindow runs the check on ZeroDowntimeApp's golden
// manifests, with the labelled namespace the component requires and no
// flags: the inputs manifests cannot tell (boot 10 s, longest request 5 s
// in the component's tests) come from the annotations it writes.
func TestGoldenManifestsHaveNoWindow(t *testing.T) {
	ns := filepath.Join(t.TempDir(), "ns.yaml")
	if err := os.WriteFile(ns, []byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n  labels:\n    elbv2.k8s.aws/pod-readiness-gate-inject: enabled\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	goldens, _ := filepath.Glob("../components/zerodowntime/testdata/*.golden.yaml")
	if len(goldens) == 0 {
		t.Fatal("no golden manifests")
	}
	for _, g := range goldens {
		t.Run(filepath.Base(g), func(t *testing.T) {
			// No flags: the component's Deployment declares its boot time and
			// longest request in zdt.dev annotations.
			rep := Run(load(t, g, ns), Options{})
			// Deployment, Service, Ingress, Namespace, PDB, and the HPA
			// where the golden has one.
			want := 5 + strings.Count(string(mustRead(t, g)), "\nkind: HorizontalPodAutoscaler\n")
			if len(rep.Apps) != 1 || len(rep.Apps[0].Objects) != want {
				t.Fatalf("apps (want one with %d objects): %+v", want, rep.Apps)
			}
			for _, f := range rep.Apps[0].Findings {
				if f.Severity >= SeverityWarning {
					t.Errorf("%s %s %s %s: %s", f.Severity, f.Check, f.Object, f.Field, f.Why)
				}
			}
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
