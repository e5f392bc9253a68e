package lab

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zdt-eks/zdt/lab/cluster"
	"github.com/zdt-eks/zdt/lab/scenario"
)

// TestLabEndToEnd runs the whole lab: a real cluster, the emulator, every
// scenario. It needs root, the Kubernetes binaries and the Pulumi tools
// (make lab-e2e provides them, and `make test` runs it); set ZDT_LAB_E2E=1.
func TestLabEndToEnd(t *testing.T) {
	if os.Getenv("ZDT_LAB_E2E") != "1" {
		t.Skip("ZDT_LAB_E2E=1 not set: the lab end-to-end test needs root and the built tools; run it with `make lab-e2e` (part of `make test`)")
	}
	repo, err := cluster.FindRepoDir(".")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 75*time.Minute)
	defer cancel()
	results, err := Run(ctx, Options{
		RepoDir:  repo,
		WorkDir:  filepath.Join(repo, "work", "lab-e2e"),
		Progress: testWriter{t},
	})
	if out := os.Getenv("ZDT_LAB_REPORT"); out != "" {
		if f, ferr := os.Create(out); ferr == nil {
			_ = scenario.WriteJSON(f, results)
			f.Close()
		}
	}
	var table bytes.Buffer
	_ = scenario.WriteTable(&table, results)
	t.Log("\n" + table.String())
	if err != nil {
		t.Fatalf("lab: %v", err)
	}
	byName := map[string]scenario.Result{}
	for _, r := range results {
		byName[r.Name] = r
	}
	get := func(name string) scenario.Result {
		r, ok := byName[name]
		if !ok || r.Report == nil {
			t.Fatalf("scenario %s has no result", name)
		}
		return r
	}

	if s1 := get(ScenarioNoProbes); s1.ServerErrors(scenario.PathExternal) == 0 {
		t.Errorf("%s: no 5xx on the external path (%v); the field report's failures were not reproduced",
			ScenarioNoProbes, s1.Summary()[scenario.PathExternal].ByClass)
	}
	for _, name := range []string{ScenarioReadinessGate, ScenarioZeroDowntime, ScenarioNeverReady} {
		r := get(name)
		for _, path := range []string{scenario.PathExternal, scenario.PathInternal} {
			if n := r.Failures(path); n != 0 {
				t.Errorf("%s: %d failed requests on the %s path, want 0 (%v)", name, n, path, r.Summary()[path].ByClass)
			}
		}
	}
	if r := get(ScenarioNeverReady); r.DeployError == "" {
		t.Errorf("%s: pulumi up succeeded for a version that never becomes ready", ScenarioNeverReady)
	}
	for _, r := range results {
		if strings.HasPrefix(r.Name, ScenarioSustained) {
			for _, path := range []string{scenario.PathExternal, scenario.PathInternal} {
				if n := r.Failures(path); n != 0 {
					t.Errorf("%s: %d failed requests on the %s path", r.Name, n, path)
				}
			}
		}
	}
	if zda, s4 := get(ScenarioZeroDowntime), get(ScenarioReadinessGate); zda.RolloutSeconds >= s4.RolloutSeconds {
		t.Errorf("ZeroDowntimeApp rolled out in %.1fs, not faster than scenario 4 (%.1fs)", zda.RolloutSeconds, s4.RolloutSeconds)
	}
}

// testWriter sends progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
