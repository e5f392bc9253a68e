package lab

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/zdt-eks/zdt/lab/scenario"
	"github.com/zdt-eks/zdt/verify"
)

func TestParseSweep(t *testing.T) {
	names, err := ParseSweep("20s, 1m", []string{SweepStep4, SweepZDA}, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := "4-readiness-gate at 20s #1|ZeroDowntimeApp at 20s #1|4-readiness-gate at 20s #2|ZeroDowntimeApp at 20s #2|" +
		"4-readiness-gate at 1m0s #1|ZeroDowntimeApp at 1m0s #1|4-readiness-gate at 1m0s #2|ZeroDowntimeApp at 1m0s #2"
	if got := strings.Join(names, "|"); got != want {
		t.Errorf("names\n got %s\nwant %s", got, want)
	}
	all, err := ParseSweep("5s", nil, 1)
	if err != nil || len(all) != len(DefaultSweepConfigs) {
		t.Errorf("no configuration given: %q, %v; want one point per default configuration", all, err)
	}
	one, err := ParseSweep("2s", []string{SweepOneReplica, SweepOneReplicaMinReady}, 1)
	if err != nil || len(one) != 2 {
		t.Errorf("one-batch configurations: %q, %v; want two points", one, err)
	}
	if p, ok := ParseSweepScenario(one[1]); !ok || p.Config != SweepOneReplicaMinReady {
		t.Errorf("ParseSweepScenario(%q) = %+v, %v", one[1], p, ok)
	}
	for _, bad := range []struct {
		list    string
		configs []string
		repeats int
	}{{"soon", nil, 1}, {"0s", nil, 1}, {"-5s", nil, 1}, {"", nil, 1}, {"5s", []string{"5-magic"}, 1}, {"5s", nil, 0}} {
		if _, err := ParseSweep(bad.list, bad.configs, bad.repeats); err == nil {
			t.Errorf("ParseSweep(%q, %q, %d) accepted", bad.list, bad.configs, bad.repeats)
		}
	}
}

func TestParseSweepScenario(t *testing.T) {
	for _, tc := range []struct {
		name string
		want SweepPoint
		ok   bool
	}{
		{"ZeroDowntimeApp at 26s #2", SweepPoint{SweepZDA, 26 * time.Second, 2}, true},
		{"ZeroDowntimeApp at 26s", SweepPoint{SweepZDA, 26 * time.Second, 1}, true},
		{"ZeroDowntimeApp allowance at 1m0s #3", SweepPoint{SweepAllowance, time.Minute, 3}, true},
		{"3-prestop at 500ms #1", SweepPoint{SweepStep3, 500 * time.Millisecond, 1}, true},
		{ScenarioZeroDowntimeOver, SweepPoint{}, false},
		{"1-no-probes at 5s #1", SweepPoint{}, false},
		{"ZeroDowntimeApp at 0s #1", SweepPoint{}, false},
		{"ZeroDowntimeApp at 5s #0", SweepPoint{}, false},
	} {
		got, ok := ParseSweepScenario(tc.name)
		if ok != tc.ok || got != tc.want {
			t.Errorf("ParseSweepScenario(%q) = %+v, %v; want %+v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
		if ok && got.Repeat > 1 && got.Name() != tc.name {
			t.Errorf("Name() = %q, want %q", got.Name(), tc.name)
		}
	}
}

// sweepResult is one rollout of a sweep with failed external requests.
func sweepResult(config string, d time.Duration, rep int, failed int64, complete float64) scenario.Result {
	return scenario.Result{
		Name: SweepPoint{config, d, rep}.Name(), BoundarySeconds: 29, CompleteSeconds: complete,
		Report: &verify.Report{Targets: []verify.TargetReport{
			{Name: scenario.PathExternal, Requests: 1000, Failures: failed, Classes: map[verify.Class]int64{"502": failed}},
			{Name: scenario.PathInternal, Requests: 1000},
		}},
	}
}

func TestAggregateSweep(t *testing.T) {
	rows := AggregateSweep([]scenario.Result{
		sweepResult(SweepZDA, 34*time.Second, 1, 20, 70),
		sweepResult(SweepZDA, 20*time.Second, 1, 0, 71),
		sweepResult(SweepZDA, 34*time.Second, 2, 0, 74),
		sweepResult(SweepStep4, 34*time.Second, 1, 5, 90),
		sweepResult(SweepZDA, 20*time.Second, 2, 0, 75),
		{Name: ScenarioZeroDowntime, Report: &verify.Report{}}, // not a sweep point
	})
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3: %+v", len(rows), rows)
	}
	if rows[0].Config != SweepStep4 || rows[1].PropagationSeconds != 20 || rows[2].PropagationSeconds != 34 {
		t.Errorf("order: %+v", rows)
	}
	r20, r34 := rows[1], rows[2]
	if r20.Runs != 2 || r20.RunsWithFailures != 0 || r20.CompleteMedianSeconds != 73 {
		t.Errorf("20 s row %+v", r20)
	}
	ext := r20.Paths[scenario.PathExternal]
	if ext.Requests != 2000 || ext.Failures != 0 || math.Abs(ext.RateUpper95-1.4968e-3) > 1e-6 {
		t.Errorf("20 s external %+v; want 0 of 2000, bound 1-0.05^(1/2000)", ext)
	}
	if r34.Runs != 2 || r34.RunsWithFailures != 1 || r34.Paths[scenario.PathExternal].Failures != 20 || r34.Paths[scenario.PathExternal].RateUpper95 != 0 {
		t.Errorf("34 s row %+v", r34)
	}
	var buf bytes.Buffer
	if err := WriteSweepTable(&buf, rows); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ZeroDowntimeApp   34s", "1/2", "20/2000 502×20", "0/2000 (<0.15%)"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestWriteSweepChart(t *testing.T) {
	var buf bytes.Buffer
	results := []scenario.Result{
		sweepResult(SweepZDA, 20*time.Second, 1, 0, 70), sweepResult(SweepZDA, 34*time.Second, 1, 24, 70),
		sweepResult(SweepStep4, 20*time.Second, 1, 50, 90),
	}
	if err := WriteSweepChart(&buf, results, "svg"); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"<svg", "ZeroDowntimeApp: model", "4-readiness-gate: model", "boundary (29 s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("chart lacks %q:\n%.400s", want, out)
		}
	}
	if strings.Contains(out, SweepAllowance) {
		t.Error("chart has a series for a configuration the sweep did not run")
	}
	if err := WriteSweepChart(&buf, []scenario.Result{{Name: ScenarioZeroDowntime}}, "svg"); err == nil {
		t.Error("chart of no sweep point accepted")
	}
	buf.Reset()
	if err := WriteSweepChart(&buf, results, "png"); err != nil || !bytes.HasPrefix(buf.Bytes(), []byte("\x89PNG")) {
		t.Errorf("png chart: %v, starts %q", err, buf.Bytes()[:min(8, buf.Len())])
	}
	if err := WriteSweepChart(&buf, results, "gif"); err == nil {
		t.Error("chart in an unknown format accepted")
	}
}
