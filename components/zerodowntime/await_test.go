package zerodowntime

import (
	"regexp"
	"strings"
	"testing"

	"github.com/theory/jsonpath"
)

// deploymentState is the part of a Deployment the waitFor condition reads.
type deploymentState struct {
	generation, observed              int64
	spec                              int64
	updated, replicas, available, rdy int64
}

func (d deploymentState) object() map[string]any {
	status := map[string]any{"observedGeneration": d.observed}
	// The API server omits zero counters (omitempty), as the condition must expect.
	for k, v := range map[string]int64{"updatedReplicas": d.updated, "replicas": d.replicas, "availableReplicas": d.available, "readyReplicas": d.rdy} {
		if v != 0 {
			status[k] = v
		}
	}
	return map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "orders", "generation": d.generation},
		"spec":     map[string]any{"replicas": d.spec},
		"status":   status,
	}
}

// matches evaluates the expression as the provider does: strip the braces,
// select, and count a non-empty selection as satisfied.
func matches(t *testing.T, obj map[string]any) bool {
	t.Helper()
	expr := strings.TrimSuffix(strings.TrimPrefix(RolloutCompleteJSONPath(), "{"), "}")
	p, err := jsonpath.NewParser().Parse(expr)
	if err != nil {
		t.Fatalf("parsing %s: %v", expr, err)
	}
	return len(p.Select(obj)) > 0
}

func TestRolloutCompleteJSONPath(t *testing.T) {
	for _, tc := range []struct {
		name  string
		state deploymentState
		want  bool
	}{
		{"stale status of the previous rollout (generation not observed)",
			deploymentState{generation: 5, observed: 4, spec: 3, updated: 3, replicas: 3, available: 3, rdy: 3}, false},
		{"rollback: reused ReplicaSet's first write, updated 0",
			deploymentState{generation: 5, observed: 5, spec: 3, updated: 0, replicas: 3, available: 3, rdy: 3}, false},
		{"surge: new pods created, not available, old ones still there",
			deploymentState{generation: 5, observed: 5, spec: 3, updated: 2, replicas: 5, available: 3, rdy: 3}, false},
		{"all updated, old pods not yet scaled away",
			deploymentState{generation: 5, observed: 5, spec: 3, updated: 3, replicas: 4, available: 4, rdy: 4}, false},
		{"all updated and no old pod, one not available (minReadySeconds, gate)",
			deploymentState{generation: 5, observed: 5, spec: 3, updated: 3, replicas: 3, available: 2, rdy: 3}, false},
		{"complete", deploymentState{generation: 5, observed: 5, spec: 3, updated: 3, replicas: 3, available: 3, rdy: 3}, true},
		{"complete after an autoscaler raised the count",
			deploymentState{generation: 6, observed: 6, spec: 7, updated: 7, replicas: 7, available: 7, rdy: 7}, true},
		{"autoscaler raised the count, new pods not yet available",
			deploymentState{generation: 6, observed: 6, spec: 7, updated: 3, replicas: 3, available: 3, rdy: 3}, false},
		{"first creation, nothing observed yet",
			deploymentState{generation: 1, spec: 3}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := matches(t, tc.state.object()); got != tc.want {
				t.Errorf("condition = %v, want %v for %+v", got, tc.want, tc.state)
			}
		})
	}
}

// TestWaitForAnnotationSyntax pins the two quirks of the provider's waitFor
// parser (provider/pkg/jsonpath/jsonpath.go): the value after "jsonpath=" is
// split on a single "=" (an expected value follows it; "==" is kept), and the
// path is the first {...} group, non-greedy.
func TestWaitForAnnotationSyntax(t *testing.T) {
	v := waitForAnnotation()
	rest, ok := strings.CutPrefix(v, "jsonpath=")
	if !ok {
		t.Fatalf("annotation %q lacks the jsonpath= prefix", v)
	}
	if parts := strings.Split(strings.ReplaceAll(rest, "==", ""), "="); len(parts) != 1 {
		t.Errorf("annotation %q has a single '=': the provider would read an expected value %q", v, parts[1])
	}
	if m := regexp.MustCompile(`\{\s*(.*?)\s*\}`).FindStringSubmatch(rest); len(m) != 2 || "{"+m[1]+"}" != rest {
		t.Errorf("annotation %q: the provider's first {...} group is not the whole expression", v)
	}
}
