package scenario

import (
	"bytes"
	"strings"
	"testing"

	"github.com/zdt-eks/zdt/verify"
)

func TestFieldReportStepsAddOneFixEach(t *testing.T) {
	for _, tc := range []struct {
		step                     FieldReportStep
		probes, preStop, labeled bool
	}{
		{StepNoProbes, false, false, false},
		{StepProbes, true, false, false},
		{StepPreStop, true, true, false},
		{StepReadinessGate, true, true, true},
	} {
		o := FieldReportManifests(tc.step, "s", "img:v1", "v1", "s.lab", 10)
		c := o.Deployment.Spec.Template.Spec.Containers[0]
		if got := c.ReadinessProbe != nil && c.LivenessProbe != nil; got != tc.probes {
			t.Errorf("step %d: probes %v, want %v", tc.step, got, tc.probes)
		}
		if tc.probes && (c.ReadinessProbe.HTTPGet.Path != "/" || c.ReadinessProbe.InitialDelaySeconds != 10) {
			t.Errorf("step %d: probes are not the report's", tc.step)
		}
		if got := c.Lifecycle != nil && c.Lifecycle.PreStop.Sleep.Seconds == 10; got != tc.preStop {
			t.Errorf("step %d: preStop %v, want %v", tc.step, got, tc.preStop)
		}
		if got := o.Namespace.Labels["elbv2.k8s.aws/pod-readiness-gate-inject"] == "enabled"; got != tc.labeled {
			t.Errorf("step %d: namespace label %v, want %v", tc.step, got, tc.labeled)
		}
		// The report's selector typo is fixed: the Service selects the pods.
		for k, v := range o.Service.Spec.Selector {
			if o.Deployment.Spec.Template.Labels[k] != v {
				t.Errorf("step %d: service selects %s=%s, pods have %q", tc.step, k, v, o.Deployment.Spec.Template.Labels[k])
			}
		}
		if o.Deployment.Spec.Strategy.Type != "" {
			t.Errorf("step %d: strategy set; the report left it at the defaults", tc.step)
		}
		if env := c.Env[0]; env.Name != "NAIVE" || env.Value != "true" {
			t.Errorf("step %d: app not in naive mode", tc.step)
		}
	}
}

func TestWriteTable(t *testing.T) {
	rep := &verify.Report{Targets: []verify.TargetReport{
		{Name: PathExternal, Requests: 100, Failures: 7, Classes: map[verify.Class]int64{"ok": 93, "502": 5, "timeout": 2},
			Kinds: map[verify.Kind]verify.KindReport{
				verify.KindGet:  {Requests: 70, Failures: 4, Classes: map[verify.Class]int64{"ok": 66, "502": 3, "timeout": 1}},
				verify.KindLong: {Requests: 20, Failures: 3, Classes: map[verify.Class]int64{"ok": 17, "502": 2, "timeout": 1}},
				verify.KindPost: {Requests: 10, Failures: 0, Classes: map[verify.Class]int64{"ok": 10}},
			}},
		{Name: PathInternal, Requests: 100, Failures: 0, Classes: map[verify.Class]int64{"ok": 100}},
	}}
	var buf bytes.Buffer
	predicted := map[string][]string{PathExternal: {"502", "503", "timeout"}}
	if err := WriteTable(&buf, []Result{{Name: "1-no-probes", RolloutSeconds: 31.5, Report: rep, Predicted: predicted}}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"1-no-probes", "502×5 timeout×2", "get×4 long×3", "502,503,timeout", "31.5", "by kind"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if r := (Result{Report: rep}); r.Failures(PathExternal) != 7 || r.Failures(PathInternal) != 0 {
		t.Errorf("Failures = %d/%d", r.Failures(PathExternal), r.Failures(PathInternal))
	}
	if r := (Result{Report: rep}); r.ServerErrors(PathExternal) != 5 || r.ServerErrors(PathInternal) != 0 {
		t.Errorf("ServerErrors = %d/%d, want 5 (the 502s, not the timeouts)/0", r.ServerErrors(PathExternal), r.ServerErrors(PathInternal))
	}
}

func TestUnpredicted(t *testing.T) {
	rep := &verify.Report{Targets: []verify.TargetReport{
		{Name: PathExternal, Requests: 10, Failures: 3, Classes: map[verify.Class]int64{"ok": 7, "502": 2, "504": 1}},
		{Name: PathInternal, Requests: 10, Failures: 1, Classes: map[verify.Class]int64{"ok": 9, "refused": 1}},
	}}
	r := Result{Report: rep, Predicted: map[string][]string{PathExternal: {"502", "timeout"}}}
	if got := strings.Join(r.Unpredicted(PathExternal), ","); got != "504" {
		t.Errorf("external unpredicted %q, want 504", got)
	}
	if got := strings.Join(r.Unpredicted(PathInternal), ","); got != "refused" {
		t.Errorf("internal unpredicted %q, want refused (nothing was predicted there)", got)
	}
	r.Predicted[PathExternal] = append(r.Predicted[PathExternal], "504")
	if got := r.Unpredicted(PathExternal); len(got) != 0 {
		t.Errorf("covered measurement reported as unpredicted: %v", got)
	}
}
