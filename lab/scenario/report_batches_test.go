package scenario

import (
	"bytes"
	"strings"
	"testing"

	"github.com/zdt-eks/zdt/components/zerodowntime"
	"github.com/zdt-eks/zdt/verify"
)

func breakdownResult() Result {
	rep := &verify.Report{Targets: []verify.TargetReport{
		{Name: PathExternal, Requests: 100, Classes: map[verify.Class]int64{"ok": 100}},
		{Name: PathInternal, Requests: 100, Classes: map[verify.Class]int64{"ok": 100}},
	}}
	r := Result{Name: "ZeroDowntimeApp", Report: rep, DeploySeconds: 70.6, CompleteSeconds: 68.8, RolloutSeconds: 102.1,
		ALBDoneSeconds: 112.4, ALBDonePending: true,
		Batches: []Batch{
			{Start: 4, Complete: true, Boot: 11.5, GateWait: 13.7, MinReady: 6, Total: 31.2, Pods: make([]PodTimes, 2)},
			{Start: 35.2, Pods: make([]PodTimes, 1)},
		}}
	in := zerodowntime.BatchFloorInputs{BootSeconds: 10, ReadinessProbed: true, Gated: true, RegistrationSeconds: 3,
		ChecksToHealthy: 1, HealthCheckIntervalSeconds: 5, GateRecheckSeconds: 15, MinReadySeconds: 6}
	r.SetFloor(Floor{Inputs: in, Replicas: 3, Surge: 2, Batches: 2, BatchSeconds: 21, Seconds: 42})
	return r
}

func TestFloorRatio(t *testing.T) {
	r := breakdownResult()
	if got := r.FloorRatio(); got < 1.637 || got > 1.639 {
		t.Errorf("FloorRatio = %v, want 68.8/42 = 1.638", got)
	}
	r.CompleteSeconds = 0 // never completed: no ratio
	r.SetFloor(*r.Floor)
	if got := r.FloorRatio(); got != 0 {
		t.Errorf("FloorRatio without completion = %v, want 0", got)
	}
	if got := (Result{}).FloorRatio(); got != 0 {
		t.Errorf("FloorRatio without a floor = %v, want 0", got)
	}
}

func TestWriteTableTimes(t *testing.T) {
	var buf bytes.Buffer
	noFloor := Result{Name: "1-no-probes", Report: breakdownResult().Report}
	if err := WriteTable(&buf, []Result{breakdownResult(), noFloor}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if !strings.Contains(lines[0], "ALB done s") || !strings.Contains(lines[0], "floor s") || !strings.Contains(lines[0], "ratio") {
		t.Errorf("header lacks the time columns: %s", lines[0])
	}
	if got := lastFields(lines[1], 4); got != "112.4* 42 1.64 ok" {
		t.Errorf("ZeroDowntimeApp row ends %q, want ALB done (scheduled), floor, ratio: %s", got, lines[1])
	}
	if got := lastFields(lines[3], 4); got != "- - - ok" {
		t.Errorf("a row without ALB done or floor ends %q: %s", got, lines[3])
	}
	if !strings.HasPrefix(lines[len(lines)-1], "* ALB done:") {
		t.Errorf("no note for the scheduled ALB done: %q", lines[len(lines)-1])
	}
}

func TestWriteBreakdown(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteBreakdown(&buf, breakdownResult()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"ALB done 112.4* s",
		"floor 42 s = 2 batches x 21 s: Ready at 15 s (gate: first check passes at 13 s: boot 10, registration 3, 0 more check(s) 5 s apart; seen at the LBC's re-check, every 15 s from creation) + minReady 6 s (3 replicas, surge 2, unavailable 0); complete/floor 1.64",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("breakdown lacks %q:\n%s", want, out)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for i, want := range []string{"[ZeroDowntimeApp] 1 2 4.0 11.5 13.7 6.0 31.2", "[ZeroDowntimeApp] 2 1 35.2 not available"} {
		if got := strings.Join(strings.Fields(lines[3+i]), " "); got != want {
			t.Errorf("batch %d: %q, want %q", i+1, got, want)
		}
	}
}

// lastFields is the last n whitespace-separated fields of a line.
func lastFields(line string, n int) string {
	f := strings.Fields(line)
	return strings.Join(f[max(0, len(f)-n):], " ")
}
