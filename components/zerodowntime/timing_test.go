package zerodowntime

import (
	"strings"
	"testing"
)

func TestDeriveTable(t *testing.T) {
	cases := []struct {
		name string
		in   TimingArgs
		want Timing
	}{
		{
			name: "defaults",
			in:   TimingArgs{},
			want: Timing{
				BootSeconds: 30, MaxRequestSeconds: 10, DeregistrationPropagationSeconds: 30,
				IdleTimeoutSeconds: 60, KeepAliveSeconds: 65,
				Startup:                    Probe{PeriodSeconds: 1, TimeoutSeconds: 1, FailureThreshold: 45, SuccessThreshold: 1},
				Readiness:                  Probe{PeriodSeconds: 2, TimeoutSeconds: 2, FailureThreshold: 3, SuccessThreshold: 1},
				Liveness:                   Probe{PeriodSeconds: 10, TimeoutSeconds: 2, FailureThreshold: 3, SuccessThreshold: 1},
				HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThreshold: 2, UnhealthyThreshold: 2,
				PreStopSeconds: 30, DrainSeconds: 12, ShutdownTimeoutSeconds: 12, TerminationGracePeriodSeconds: 47, DeregistrationDelaySeconds: 42,
				MinReadySeconds: 6, ProgressDeadlineSeconds: 182, TargetHealthySeconds: 10,
			},
		},
		{
			name: "field report app: boots 10 s",
			in:   TimingArgs{BootSeconds: 10, MaxRequestSeconds: 5},
			want: Timing{
				BootSeconds: 10, MaxRequestSeconds: 5, DeregistrationPropagationSeconds: 30,
				IdleTimeoutSeconds: 60, KeepAliveSeconds: 65,
				Startup:                    Probe{PeriodSeconds: 1, TimeoutSeconds: 1, FailureThreshold: 15, SuccessThreshold: 1},
				Readiness:                  Probe{PeriodSeconds: 2, TimeoutSeconds: 2, FailureThreshold: 3, SuccessThreshold: 1},
				Liveness:                   Probe{PeriodSeconds: 10, TimeoutSeconds: 2, FailureThreshold: 3, SuccessThreshold: 1},
				HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThreshold: 2, UnhealthyThreshold: 2,
				PreStopSeconds: 30, DrainSeconds: 7, ShutdownTimeoutSeconds: 7, TerminationGracePeriodSeconds: 42, DeregistrationDelaySeconds: 37,
				MinReadySeconds: 6, ProgressDeadlineSeconds: 122, TargetHealthySeconds: 10,
			},
		},
		{
			name: "slow boot, long requests, relaxed ALB, slow propagation",
			in:   TimingArgs{BootSeconds: 100, MaxRequestSeconds: 50, HealthCheckIntervalSeconds: 15, HealthyThreshold: 3, DeregistrationPropagationSeconds: 40},
			want: Timing{
				BootSeconds: 100, MaxRequestSeconds: 50, DeregistrationPropagationSeconds: 40,
				IdleTimeoutSeconds: 60, KeepAliveSeconds: 65,
				Startup:                    Probe{PeriodSeconds: 2, TimeoutSeconds: 1, FailureThreshold: 75, SuccessThreshold: 1},
				Readiness:                  Probe{PeriodSeconds: 2, TimeoutSeconds: 2, FailureThreshold: 3, SuccessThreshold: 1},
				Liveness:                   Probe{PeriodSeconds: 10, TimeoutSeconds: 2, FailureThreshold: 3, SuccessThreshold: 1},
				HealthCheckIntervalSeconds: 15, HealthCheckTimeoutSeconds: 5, HealthyThreshold: 3, UnhealthyThreshold: 2,
				PreStopSeconds: 40, DrainSeconds: 52, ShutdownTimeoutSeconds: 52, TerminationGracePeriodSeconds: 97, DeregistrationDelaySeconds: 92,
				MinReadySeconds: 15, ProgressDeadlineSeconds: 2 * (150 + 30 + 45 + 15), TargetHealthySeconds: 45,
			},
		},
		{
			name: "very slow boot uses a 5 s startup period",
			in:   TimingArgs{BootSeconds: 300, DeregistrationPropagationSeconds: 2},
			want: Timing{
				BootSeconds: 300, MaxRequestSeconds: 10, DeregistrationPropagationSeconds: 2,
				IdleTimeoutSeconds: 60, KeepAliveSeconds: 65,
				Startup:                    Probe{PeriodSeconds: 5, TimeoutSeconds: 1, FailureThreshold: 90, SuccessThreshold: 1},
				Readiness:                  Probe{PeriodSeconds: 2, TimeoutSeconds: 2, FailureThreshold: 3, SuccessThreshold: 1},
				Liveness:                   Probe{PeriodSeconds: 10, TimeoutSeconds: 2, FailureThreshold: 3, SuccessThreshold: 1},
				HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThreshold: 2, UnhealthyThreshold: 2,
				// preStop never goes below in-cluster propagation.
				PreStopSeconds: 5, DrainSeconds: 12, ShutdownTimeoutSeconds: 12, TerminationGracePeriodSeconds: 22, DeregistrationDelaySeconds: 17,
				MinReadySeconds: 6, ProgressDeadlineSeconds: 2 * (450 + 30 + 10 + 6), TargetHealthySeconds: 10,
			},
		},
		{
			name: "valid overrides are kept",
			in: TimingArgs{BootSeconds: 10, PreStopSeconds: 35, TerminationGracePeriodSeconds: 60, DeregistrationDelaySeconds: 45,
				HealthCheckTimeoutSeconds: 4, StartupFailureThreshold: 20, ProgressDeadlineSeconds: 600, MinReadySeconds: 70, SlowStartSeconds: 60,
				IdleTimeoutSeconds: 120, AppKeepAliveSeconds: 130, AppDrainSeconds: 3},
			want: Timing{
				BootSeconds: 10, MaxRequestSeconds: 10, DeregistrationPropagationSeconds: 30,
				IdleTimeoutSeconds: 120, AppDrainSeconds: 3, KeepAliveSeconds: 130, KeepAliveDeclared: true,
				Startup:                    Probe{PeriodSeconds: 1, TimeoutSeconds: 1, FailureThreshold: 20, SuccessThreshold: 1},
				Readiness:                  Probe{PeriodSeconds: 2, TimeoutSeconds: 2, FailureThreshold: 3, SuccessThreshold: 1},
				Liveness:                   Probe{PeriodSeconds: 10, TimeoutSeconds: 2, FailureThreshold: 3, SuccessThreshold: 1},
				HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 4, HealthyThreshold: 2, UnhealthyThreshold: 2,
				PreStopSeconds: 35, DrainSeconds: 15, ShutdownTimeoutSeconds: 12, TerminationGracePeriodSeconds: 60, DeregistrationDelaySeconds: 45, SlowStartSeconds: 60,
				MinReadySeconds: 70, ProgressDeadlineSeconds: 600, TargetHealthySeconds: 10,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Derive(tc.in)
			if err != nil {
				t.Fatalf("Derive: %v", err)
			}
			if got != tc.want {
				t.Errorf("Derive(%+v)\n got %+v\nwant %+v", tc.in, got, tc.want)
			}
		})
	}
}

// TestDerivedInvariants checks the properties the model promises over a grid
// of inputs, independent of the exact rule constants.
func TestDerivedInvariants(t *testing.T) {
	for _, boot := range []int{1, 5, 10, 30, 31, 90, 121, 600} {
		for _, req := range []int{1, 5, 30, 60} {
			for _, interval := range []int{5, 6, 10, 30, 300} {
				for _, prop := range []int{1, 10, 15, 70} {
					for _, extra := range []TimingArgs{{}, {AppDrainSeconds: 10, SlowStartSeconds: 120}} {
						in := TimingArgs{BootSeconds: boot, MaxRequestSeconds: req, HealthCheckIntervalSeconds: interval, DeregistrationPropagationSeconds: prop,
							AppDrainSeconds: extra.AppDrainSeconds, SlowStartSeconds: extra.SlowStartSeconds}
						checkInvariants(t, in, req, prop)
					}
				}
			}
		}
	}
}

// checkInvariants derives in and checks every promise of the model.
func checkInvariants(t *testing.T, in TimingArgs, req, prop int) {
	t.Helper()
	boot := in.BootSeconds
	tm, err := Derive(in)
	if err != nil {
		t.Fatalf("Derive(%+v): %v", in, err)
	}
	switch {
	case tm.StartupBudgetSeconds() < boot:
		t.Errorf("%+v: startup budget %d < boot %d", in, tm.StartupBudgetSeconds(), boot)
	case tm.PreStopSeconds < prop || tm.PreStopSeconds < inClusterPropagationSeconds:
		t.Errorf("%+v: preStop %d below propagation", in, tm.PreStopSeconds)
	case tm.TerminationGracePeriodSeconds < tm.PreStopSeconds+tm.DrainSeconds:
		t.Errorf("%+v: grace %d < preStop+drain", in, tm.TerminationGracePeriodSeconds)
	case tm.DrainSeconds < req || tm.DeregistrationDelaySeconds < req:
		t.Errorf("%+v: drain %d / deregistration %d below request %d", in, tm.DrainSeconds, tm.DeregistrationDelaySeconds, req)
	case tm.DeregistrationDelaySeconds < tm.PreStopSeconds+req:
		t.Errorf("%+v: deregistration delay %d cuts a request routed at the end of preStop %d", in, tm.DeregistrationDelaySeconds, tm.PreStopSeconds)
	case tm.SafePropagationSeconds(req) < prop-endpointLagSeconds:
		t.Errorf("%+v: survives only %d s of propagation, below the allowance %d s", in, tm.SafePropagationSeconds(req), prop)
	case tm.HealthCheckTimeoutSeconds >= tm.HealthCheckIntervalSeconds:
		t.Errorf("%+v: ALB timeout %d >= interval %d", in, tm.HealthCheckTimeoutSeconds, tm.HealthCheckIntervalSeconds)
	case tm.ProgressDeadlineSeconds <= tm.BatchSeconds():
		t.Errorf("%+v: progress deadline %d <= batch %d", in, tm.ProgressDeadlineSeconds, tm.BatchSeconds())
	case tm.DrainSeconds < in.AppDrainSeconds+req:
		t.Errorf("%+v: drain %d does not hold the app's drain %d and a request %d", in, tm.DrainSeconds, in.AppDrainSeconds, req)
	case tm.KeepAliveSeconds <= tm.IdleTimeoutSeconds:
		t.Errorf("%+v: keep-alive %d not above the ALB idle timeout %d", in, tm.KeepAliveSeconds, tm.IdleTimeoutSeconds)
	case tm.MinReadySeconds < tm.SlowStartSeconds:
		t.Errorf("%+v: minReady %d shorter than slow start %d", in, tm.MinReadySeconds, tm.SlowStartSeconds)
	case tm.Readiness.FailureThreshold < 3 || tm.Readiness.TimeoutSeconds < albMinTimeout:
		t.Errorf("%+v: readiness %+v pulls a pod on one or two slow answers", in, tm.Readiness)
	case tm.MinReadySeconds < tm.Readiness.PeriodSeconds*tm.Readiness.FailureThreshold:
		t.Errorf("%+v: minReady %d shorter than the readiness failure window", in, tm.MinReadySeconds)
	case tm.MinReadySeconds < tm.HealthCheckIntervalSeconds:
		t.Errorf("%+v: minReady %d shorter than the ALB health-check interval %d: an ALB node may not have checked the new pod when an old one goes", in, tm.MinReadySeconds, tm.HealthCheckIntervalSeconds)
	}
}

func TestDeriveRefusesFailureWindows(t *testing.T) {
	cases := []struct {
		name   string
		in     TimingArgs
		fields []string
	}{
		{"preStop shorter than propagation", TimingArgs{PreStopSeconds: 10, DeregistrationPropagationSeconds: 20}, []string{"Timing.PreStopSeconds", "Timing.DeregistrationPropagationSeconds"}},
		{"preStop shorter than kube-proxy", TimingArgs{PreStopSeconds: 2, DeregistrationPropagationSeconds: 1}, []string{"Timing.PreStopSeconds"}},
		{"grace shorter than preStop+drain", TimingArgs{TerminationGracePeriodSeconds: 20}, []string{"Timing.TerminationGracePeriodSeconds"}},
		{"deregistration delay shorter than request", TimingArgs{MaxRequestSeconds: 30, DeregistrationDelaySeconds: 10}, []string{"Timing.DeregistrationDelaySeconds", "Timing.MaxRequestSeconds"}},
		{"deregistration delay above ALB max", TimingArgs{DeregistrationDelaySeconds: 4000}, []string{"Timing.DeregistrationDelaySeconds"}},
		{"startup shorter than boot", TimingArgs{BootSeconds: 60, StartupFailureThreshold: 10}, []string{"Timing.StartupFailureThreshold", "Timing.BootSeconds"}},
		{"ALB timeout not below interval", TimingArgs{HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 5}, []string{"Timing.HealthCheckTimeoutSeconds", "Timing.HealthCheckIntervalSeconds"}},
		{"ALB interval below 5", TimingArgs{HealthCheckIntervalSeconds: 3}, []string{"Timing.HealthCheckIntervalSeconds"}},
		{"ALB interval above 300", TimingArgs{HealthCheckIntervalSeconds: 301}, []string{"Timing.HealthCheckIntervalSeconds"}},
		{"healthy threshold 1", TimingArgs{HealthyThreshold: 1}, []string{"Timing.HealthyThreshold"}},
		{"unhealthy threshold 11", TimingArgs{UnhealthyThreshold: 11}, []string{"Timing.UnhealthyThreshold"}},
		{"slow start out of range", TimingArgs{SlowStartSeconds: 10}, []string{"Timing.SlowStartSeconds"}},
		{"progress deadline below a batch", TimingArgs{ProgressDeadlineSeconds: 30}, []string{"Timing.ProgressDeadlineSeconds"}},
		{"negative boot", TimingArgs{BootSeconds: -1}, []string{"Timing.BootSeconds"}},
		{"negative minReady", TimingArgs{MinReadySeconds: -2}, []string{"Timing.MinReadySeconds"}},
		{"minReady off with slow start", TimingArgs{MinReadySeconds: -1, SlowStartSeconds: 30}, []string{"Timing.MinReadySeconds", "Timing.SlowStartSeconds"}},
		{"app keep-alive at the ALB idle timeout", TimingArgs{AppKeepAliveSeconds: 60}, []string{"Timing.AppKeepAliveSeconds", "Timing.IdleTimeoutSeconds"}},
		{"idle timeout below the longest request", TimingArgs{IdleTimeoutSeconds: 30, MaxRequestSeconds: 31}, []string{"Timing.IdleTimeoutSeconds", "Timing.MaxRequestSeconds"}},
		{"grace shorter than preStop + app drain", TimingArgs{AppDrainSeconds: 20, TerminationGracePeriodSeconds: 50}, []string{"Timing.TerminationGracePeriodSeconds"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Derive(tc.in)
			if err == nil {
				t.Fatal("want an error")
			}
			msg := err.Error()
			for _, f := range tc.fields {
				if !strings.Contains(msg, f) {
					t.Errorf("error does not name %s: %v", f, msg)
				}
			}
			if !strings.Contains(msg, "fix:") {
				t.Errorf("error gives no fix: %v", msg)
			}
		})
	}
}

func TestBatches(t *testing.T) {
	for _, tc := range []struct{ replicas, surge, want int }{{3, 2, 2}, {3, 3, 1}, {4, 1, 4}, {1, 0, 1}, {10, 3, 4}} {
		if got := Batches(tc.replicas, tc.surge); got != tc.want {
			t.Errorf("Batches(%d,%d) = %d, want %d", tc.replicas, tc.surge, got, tc.want)
		}
	}
}

// TestSafePropagationSeconds pins the predicted failure boundary: the
// smaller of what the preStop and the app's drain cover and what the
// deregistration delay lets a request routed late finish.
func TestSafePropagationSeconds(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       TimingArgs
		request  int
		boundary int
	}{
		{"defaults, short requests: the preStop bounds it", TimingArgs{}, 0, 29},
		{"defaults, longest requests: still the preStop", TimingArgs{}, 10, 29},
		{"field report step 4: preStop 10, AWS's 300 s delay", TimingArgs{BootSeconds: 10, PreStopSeconds: 10, DeregistrationPropagationSeconds: 5, DeregistrationDelaySeconds: 300}, 0, 9},
		{"a short deregistration delay bounds it for long requests",
			TimingArgs{PreStopSeconds: 40, TerminationGracePeriodSeconds: 60, DeregistrationDelaySeconds: 50}, 10, 39},
		{"allowance 60 s", TimingArgs{DeregistrationPropagationSeconds: 60}, 10, 59},
		{"the app's own drain keeps it accepting: the demo's 2 s", TimingArgs{AppDrainSeconds: 2}, 10, 31},
		{"a long drain: the deregistration delay bounds it", TimingArgs{AppDrainSeconds: 20}, 10, 32},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tm, err := Derive(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := tm.SafePropagationSeconds(tc.request); got != tc.boundary {
				t.Errorf("SafePropagationSeconds(%d) = %d, want %d (%s)", tc.request, got, tc.boundary, tm)
			}
		})
	}
	// Past the deregistration delay's side: a delay override shorter than
	// preStop + request is refused by validation, so build the case by hand.
	tm := Timing{PreStopSeconds: 30, DeregistrationDelaySeconds: 20}
	if got := tm.SafePropagationSeconds(10); got != 10 {
		t.Errorf("preStop 30, delay 20, requests 10 s: boundary %d, want 10", got)
	}
}

func TestEveryALBNodeChecksBeforeOldPodsGo(t *testing.T) {
	for _, tc := range []struct {
		batches, minReady, interval int
		want                        bool
	}{
		{batches: 2, minReady: 0, interval: 30, want: true}, // the previous batch's pods stay
		{batches: 1, minReady: 30, interval: 30, want: true},
		{batches: 1, minReady: 29, interval: 30, want: false},
		{batches: 1, minReady: 6, interval: 5, want: true}, // the component's defaults
	} {
		if got := EveryALBNodeChecksBeforeOldPodsGo(tc.batches, tc.minReady, tc.interval); got != tc.want {
			t.Errorf("batches %d, minReady %d, interval %d: got %v, want %v", tc.batches, tc.minReady, tc.interval, got, tc.want)
		}
	}
}
