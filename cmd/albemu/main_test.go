package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/zdt-eks/zdt/lab/emulator"
)

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
		check   func(t *testing.T, o options)
	}{
		{name: "defaults", args: []string{"--kubeconfig", "kc"}, check: func(t *testing.T, o options) {
			if o.settings != emulator.DefaultSettings() {
				t.Errorf("settings %+v, want the emulator defaults", o.settings)
			}
			if o.cfg.DataPlaneListen != emulator.DefaultDataPlaneListen || o.cfg.WebhookListen != emulator.DefaultWebhookListen ||
				o.cfg.DebugListen != emulator.DefaultDebugListen || !o.installWebhook || o.deleteWebhookOnExit {
				t.Errorf("options %+v", o)
			}
		}},
		{name: "overrides", args: []string{"--kubeconfig", "kc", "--listen", "127.0.0.1:28080", "--registration-delay", "1s",
			"--deregistration-propagation", "5s,20s,40s", "--alb-nodes", "2", "--requeue-duration", "5s", "--initial-healthy-after-one-check=false",
			"--initial-targets-in-fail-open", "--webhook-failure-policy", "Ignore", "--idle-timeout", "2m", "--log-level", "debug"},
			check: func(t *testing.T, o options) {
				s := o.settings
				if o.cfg.DataPlaneListen != "127.0.0.1:28080" || s.RegistrationDelay != time.Second ||
					s.DeregistrationPropagation != (emulator.Propagation{Min: 5 * time.Second, Mode: 20 * time.Second, Max: 40 * time.Second}) || s.ALBNodes != 2 ||
					s.RequeueDuration != 5*time.Second || s.InitialHealthyAfterOneCheck || !s.InitialTargetsInFailOpen ||
					s.WebhookFailurePolicy != admissionregistrationv1.Ignore || s.DefaultIdleTimeout != 2*time.Minute || o.logLevel.String() != "DEBUG" {
					t.Errorf("options %+v", o)
				}
			}},
		{name: "kubeconfig required", args: nil, wantErr: "--kubeconfig is required"},
		{name: "bad failure policy", args: []string{"--kubeconfig", "kc", "--webhook-failure-policy", "Sometimes"}, wantErr: "WebhookFailurePolicy"},
		{name: "bad propagation", args: []string{"--kubeconfig", "kc", "--deregistration-propagation", "20s,10s,30s"}, wantErr: "min <= mode <= max"},
		{name: "per-node checks off, all-node aggregation", args: []string{"--kubeconfig", "kc", "--per-node-health-checks=false", "--health-aggregation", "all"},
			check: func(t *testing.T, o options) {
				if o.settings.PerNodeHealthChecks || o.settings.HealthAggregation != emulator.AggregateAll {
					t.Errorf("settings %+v", o.settings)
				}
			}},
		{name: "bad aggregation", args: []string{"--kubeconfig", "kc", "--health-aggregation", "most"}, wantErr: "HealthAggregation"},
		{name: "bad status", args: []string{"--kubeconfig", "kc", "--no-usable-target-status", "200"}, wantErr: "NoUsableTargetStatus"},
		{name: "stray argument", args: []string{"--kubeconfig", "kc", "extra"}, wantErr: "unexpected arguments"},
		{name: "bad log level", args: []string{"--kubeconfig", "kc", "--log-level", "loud"}, wantErr: "--log-level"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseFlags(tc.args, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, o)
		})
	}
}

func TestRunExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{name: "help", args: []string{"--help"}, want: 0},
		{name: "usage error", args: []string{"--no-such-flag"}, want: 2},
		{name: "unreadable kubeconfig", args: []string{"--kubeconfig", "testdata-does-not-exist"}, want: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if got := run(t.Context(), tc.args, &stderr); got != tc.want {
				t.Fatalf("exit %d, want %d; stderr: %s", got, tc.want, stderr.String())
			}
		})
	}
}
