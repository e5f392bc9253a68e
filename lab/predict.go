package lab

import (
	"context"
	"fmt"
	"math"

	"github.com/zdt-eks/zdt/check"
	"github.com/zdt-eks/zdt/lab/scenario"
)

// predict runs `zdt check` on the objects deployed in ns, as read from the
// lab's cluster, with the inputs the manifests cannot tell taken from the
// lab itself: the demo app's boot time, the longest request env's load
// sends (its long GETs; an app's own zdt.dev annotation wins) and the emulated
// propagation's longest draw. It returns the failure classes predicted per
// path during a rollout and the findings at warning or above, for the
// report to set beside what was measured.
func (r *runner) predict(ctx context.Context, env scenario.Env, ns string) (map[string][]string, []string, error) {
	objs, err := check.FromCluster(ctx, r.env.Client, ns)
	if err != nil {
		return nil, nil, fmt.Errorf("zdt check on namespace %s: %w", ns, err)
	}
	rep := check.Run(objs, check.Options{
		BootSeconds:                      env.BootSeconds,
		MaxRequestSeconds:                requestSecondsOf(env),
		DeregistrationPropagationSeconds: int(math.Ceil(r.propagation.Max.Seconds())),
	})
	predicted := map[string][]string{}
	var findings []string
	for _, app := range rep.Apps {
		for path, classes := range app.Predicted {
			for _, c := range classes {
				predicted[string(path)] = append(predicted[string(path)], string(c))
			}
		}
		for _, f := range app.Findings {
			if f.Severity >= check.SeverityWarning {
				findings = append(findings, fmt.Sprintf("%s %s %s", f.Check, f.Object, f.Field))
			}
		}
	}
	return predicted, findings, nil
}
