package main

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/zdt-eks/zdt/app/server"
)

// mapEnv turns a map into an env lookup.
func mapEnv(m map[string]string) env {
	return func(k string) string { return m[k] }
}

func hostnameOK() (string, error)  { return "host-1", nil }
func hostnameErr() (string, error) { return "", errors.New("no hostname") }

func TestParseConfig(t *testing.T) {
	defaults := server.Config{
		Listen:          ":8080",
		BootDelay:       10 * time.Second,
		Drain:           5 * time.Second,
		ShutdownTimeout: 15 * time.Second,
		MaxDelay:        10 * time.Second,
		IdleTimeout:     75 * time.Second,
		Version:         version,
		PodName:         "host-1",
	}
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		hostname func() (string, error)
		modify   func(*server.Config)
	}{
		{"defaults", nil, nil, hostnameOK, func(*server.Config) {}},
		{
			"environment",
			nil,
			map[string]string{
				"LISTEN": "127.0.0.1:9000", "BOOT_DELAY": "300ms", "DRAIN": "3",
				"SHUTDOWN_TIMEOUT": "1m", "MAX_DELAY": "2s", "VERSION": "v2",
				"POD_NAME": "demo-xyz", "NAIVE": "true", "IDLE_TIMEOUT": "125s",
			},
			hostnameOK,
			func(c *server.Config) {
				c.Listen, c.BootDelay, c.Drain = "127.0.0.1:9000", 300*time.Millisecond, 3*time.Second
				c.ShutdownTimeout, c.MaxDelay, c.Version = time.Minute, 2*time.Second, "v2"
				c.PodName, c.Naive, c.IdleTimeout = "demo-xyz", true, 125*time.Second
			},
		},
		{
			"flags win over environment",
			[]string{"--listen", ":1", "--boot-delay", "1s", "--drain", "2s", "--shutdown-timeout", "4s",
				"--max-delay", "8s", "--version", "v3", "--pod-name", "flag-pod", "--naive=false", "--idle-timeout", "90s"},
			map[string]string{"IDLE_TIMEOUT": "61s", "LISTEN": ":2", "BOOT_DELAY": "9s", "VERSION": "v2", "POD_NAME": "env-pod", "NAIVE": "1"},
			hostnameOK,
			func(c *server.Config) {
				c.Listen, c.BootDelay, c.Drain, c.ShutdownTimeout = ":1", time.Second, 2*time.Second, 4*time.Second
				c.MaxDelay, c.Version, c.PodName, c.IdleTimeout = 8*time.Second, "v3", "flag-pod", 90*time.Second
			},
		},
		{"no hostname", nil, nil, hostnameErr, func(c *server.Config) { c.PodName = "unknown" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseConfig(tc.args, mapEnv(tc.env), tc.hostname, io.Discard)
			if err != nil {
				t.Fatalf("parseConfig: %v", err)
			}
			want := defaults
			tc.modify(&want)
			if o.cfg != want {
				t.Fatalf("config =\n%+v\nwant\n%+v", o.cfg, want)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad env duration", nil, map[string]string{"DRAIN": "soon"}, "DRAIN"},
		{"bad env bool", nil, map[string]string{"NAIVE": "maybe"}, "NAIVE"},
		{"bad flag duration", []string{"--boot-delay", "x"}, nil, "boot-delay"},
		{"unknown flag", []string{"--nope"}, nil, "nope"},
		{"extra argument", []string{"serve"}, nil, "unexpected arguments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseConfig(tc.args, mapEnv(tc.env), hostnameOK, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("parseConfig = %v, want error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestRunExitCodes(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
	}{
		{"help", []string{"-h"}, 0, ""},
		{"print version", []string{"--print-version", "--version", "v9"}, 0, "v9\n"},
		{"bad flag", []string{"--boot-delay", "x"}, 2, ""},
		{"invalid config", []string{"--shutdown-timeout", "0s", "--print-version=false"}, 2, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout strings.Builder
			code := run(tc.args, mapEnv(nil), &stdout, io.Discard)
			if code != tc.wantCode {
				t.Fatalf("exit code = %d, want %d", code, tc.wantCode)
			}
			if stdout.String() != tc.wantStdout {
				t.Fatalf("stdout = %q, want %q", stdout.String(), tc.wantStdout)
			}
		})
	}
}

// TestHelpIsErrHelp pins the flag package behaviour run relies on.
func TestHelpIsErrHelp(t *testing.T) {
	_, err := parseConfig([]string{"-help"}, mapEnv(nil), hostnameOK, io.Discard)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("parseConfig(-help) = %v, want flag.ErrHelp", err)
	}
}
