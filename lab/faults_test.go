package lab

import (
	"slices"
	"testing"
)

func TestServingVersion(t *testing.T) {
	for at, want := range map[string]string{"v1": "v1", "v2": "v2", "": "v2", versionNeverReady: "v2"} {
		r := &runner{at: map[string]string{}}
		if at != "" {
			r.at["zdt-demo"] = at
		}
		if got := r.servingVersion("zdt-demo"); got != want {
			t.Errorf("app at %q: serving version %q, want %q", at, got, want)
		}
	}
	if otherVersion("v1") != "v2" || otherVersion("v2") != "v1" {
		t.Error("otherVersion does not alternate v1 and v2")
	}
}

func TestFaultScenariosRunBeforeTheAutoscaledOne(t *testing.T) {
	last := len(AllScenarios) - 1
	if AllScenarios[last] != ScenarioAutoscaled {
		t.Fatalf("the last scenario is %q, want %q (it leaves spec.replicas to the autoscaler)", AllScenarios[last], ScenarioAutoscaled)
	}
	for _, name := range []string{ScenarioEvicted, ScenarioLBCStoppedIgnore, ScenarioLBCStopped} {
		if !slices.Contains(AllScenarios[:last], name) {
			t.Errorf("%q is not among the scenarios before %q", name, ScenarioAutoscaled)
		}
	}
	// Fail runs after Ignore: it leaves pods that carry the readiness gate.
	if slices.Index(AllScenarios, ScenarioLBCStopped) < slices.Index(AllScenarios, ScenarioLBCStoppedIgnore) {
		t.Error("the Fail outage must run after the Ignore one, so the app is left with gated pods")
	}
}
