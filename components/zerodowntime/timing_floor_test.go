package zerodowntime

import "testing"

// lbc35 are the lab's emulated LBC v3.5.0 and ALB: targets registered 3 s
// before their first check, healthy after one, gates re-checked every 15 s.
func lbc35(interval float64) BatchFloorInputs {
	return BatchFloorInputs{
		BootSeconds: 10, ReadinessProbed: true, Gated: true,
		RegistrationSeconds: 3, ChecksToHealthy: 1, HealthCheckIntervalSeconds: interval, GateRecheckSeconds: 15,
	}
}

func TestRolloutFloor(t *testing.T) {
	zda := lbc35(5)
	zda.MinReadySeconds = 6
	noProbe := BatchFloorInputs{BootSeconds: 10}
	probed := BatchFloorInputs{BootSeconds: 10, ReadinessProbed: true}
	threshold := lbc35(15)
	threshold.ChecksToHealthy = 2 // 10 + 3 + one 15 s interval: the second re-check
	instant := lbc35(5)
	instant.GateRecheckSeconds = 0 // the gate follows the target at once
	atRecheck := lbc35(5)
	atRecheck.RegistrationSeconds = 5 // healthy at 15 s: the re-check at 15 s sees it
	gatedNoProbe := lbc35(15)
	gatedNoProbe.ReadinessProbed = false // registered at once, but passes no check before the boot

	for _, tc := range []struct {
		name                         string
		in                           BatchFloorInputs
		replicas, surge, unavailable int
		wantHealthy, wantGate        float64
		wantBatch, wantRollout       float64
		wantBatches                  int
	}{
		{"ZeroDowntimeApp in the lab: 3 replicas, surge 50 % = 2", zda, 3, 2, 0, 13, 15, 21, 42, 2},
		{"field report step 4: 25 %/25 % of 3 = 1/0", lbc35(15), 3, 1, 0, 13, 15, 15, 45, 3},
		{"steps 2-3: probes, no gate", probed, 3, 1, 0, 10, 0, 10, 30, 3},
		{"step 1: no probe, Ready at process start", noProbe, 3, 1, 0, 10, 0, 0, 0, 3},
		{"healthy threshold applied to new targets", threshold, 3, 1, 0, 28, 30, 30, 90, 3},
		{"gate follows the target at once", instant, 3, 1, 0, 13, 13, 13, 39, 3},
		{"healthy exactly at a re-check", atRecheck, 3, 1, 0, 15, 15, 15, 45, 3},
		{"gate without a probe", gatedNoProbe, 3, 1, 0, 10, 15, 15, 45, 3},
		{"maxUnavailable widens a batch", zda, 4, 1, 1, 13, 15, 21, 42, 2},
		{"one batch: surge covers every replica", zda, 3, 3, 0, 13, 15, 21, 21, 1},
		{"autoscaled to 5, surge 50 % = 3", zda, 5, 3, 0, 13, 15, 21, 42, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.in.FirstHealthySeconds(); got != tc.wantHealthy {
				t.Errorf("FirstHealthySeconds = %v, want %v", got, tc.wantHealthy)
			}
			if got := tc.in.GateTrueFloorSeconds(); got != tc.wantGate {
				t.Errorf("GateTrueFloorSeconds = %v, want %v", got, tc.wantGate)
			}
			if got := tc.in.BatchFloorSeconds(); got != tc.wantBatch {
				t.Errorf("BatchFloorSeconds = %v, want %v", got, tc.wantBatch)
			}
			if got := RolloutBatches(tc.replicas, tc.surge, tc.unavailable); got != tc.wantBatches {
				t.Errorf("RolloutBatches(%d, %d, %d) = %d, want %d", tc.replicas, tc.surge, tc.unavailable, got, tc.wantBatches)
			}
			if got := tc.in.RolloutFloorSeconds(tc.replicas, tc.surge, tc.unavailable); got != tc.wantRollout {
				t.Errorf("RolloutFloorSeconds = %v, want %v", got, tc.wantRollout)
			}
		})
	}
}
