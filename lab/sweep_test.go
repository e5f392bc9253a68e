package lab

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/zdt-eks/zdt/lab/scenario"
	"github.com/zdt-eks/zdt/verify"
)

func TestParseSweep(t *testing.T) {
	names, err := ParseSweep("20s, 26s,1m")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, "|") != "ZeroDowntimeApp at 20s|ZeroDowntimeApp at 26s|ZeroDowntimeApp at 1m0s" {
		t.Errorf("names %q", names)
	}
	if d, ok := ParseSweepScenario(names[1]); !ok || d != 26*time.Second {
		t.Errorf("ParseSweepScenario(%q) = %v, %v", names[1], d, ok)
	}
	for _, bad := range []string{"soon", "0s", "-5s", ""} {
		if _, err := ParseSweep(bad); err == nil {
			t.Errorf("ParseSweep(%q) accepted", bad)
		}
	}
	if _, ok := ParseSweepScenario(ScenarioZeroDowntimeOver); ok {
		t.Error("a boundary scenario parsed as a sweep point")
	}
}

func TestWriteSweepSVG(t *testing.T) {
	point := func(d time.Duration, failed int64) scenario.Result {
		return scenario.Result{Name: SweepScenario(d), BoundarySeconds: 29, Report: &verify.Report{Targets: []verify.TargetReport{
			{Name: scenario.PathExternal, Requests: 100, Failures: failed, Classes: map[verify.Class]int64{"502": failed}},
			{Name: scenario.PathInternal, Requests: 100},
		}}}
	}
	var buf bytes.Buffer
	if err := WriteSweepSVG(&buf, []scenario.Result{point(20*time.Second, 0), point(34*time.Second, 24)}); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); !strings.HasPrefix(out, "<?xml") || !strings.Contains(out, "<svg") || !strings.Contains(out, "boundary (29 s)") {
		t.Errorf("not an SVG chart with the boundary:\n%.300s", out)
	}
	if err := WriteSweepSVG(&buf, []scenario.Result{{Name: ScenarioZeroDowntime}}); err == nil {
		t.Error("chart of no sweep point accepted")
	}
}
