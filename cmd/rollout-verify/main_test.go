package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/zdt-eks/zdt/verify"
)

// runAsCLI makes the test binary behave as the command when re-executed by
// the tests that need a real process (exit status, stdin, signals).
const runAsCLI = "ROLLOUT_VERIFY_TEST_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runAsCLI) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// server answers 503 on every k-th request (k = 0: never), 200 otherwise.
func server(t *testing.T, k int64) string {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if i := n.Add(1); k > 0 && i%k == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("X-App-Version", "v1")
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// result is what an in-process run of the command produced.
type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the command in-process with a non-interactive environment.
func runCLI(t *testing.T, e env, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e.stdout, e.stderr = &stdout, &stderr
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := run(ctx, args, e)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

var failureLine = regexp.MustCompile(`^(?:(\S+) )?(503|timeout|refused|reset|other) \d\d:\d\d:\d\d$`)

// failureLines returns the lines of out that look like failure lines.
func failureLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if failureLine.MatchString(l) {
			lines = append(lines, l)
		}
	}
	return lines
}

func TestExitStatus(t *testing.T) {
	t.Parallel()
	// In args, OK and BAD stand for the URLs of servers started for each
	// case (counters must not be shared): OK never fails, BAD answers 503 to
	// every 4th request, so 5 of 20.
	const ok, bad = "OK", "BAD"
	tests := []struct {
		name      string
		args      []string
		code      int
		failures  int
		prefix    string // target name before each failure line
		inStdout  []string
		inStderr  []string
		noFailure bool
	}{
		{name: "no failures", args: []string{"--rate", "20", "--duration", "1s", ok}, code: 0, inStdout: []string{"PASS", "20 requests, 0 failed"}},
		{name: "failures over the threshold", args: []string{"--rate", "20", "--duration", "1s", bad}, code: 1, failures: 5, inStdout: []string{"FAIL: 5 failed", "seconds with failures"}},
		{name: "failures at the threshold", args: []string{"--max-failures", "5", "--rate", "20", "--duration", "1s", bad}, code: 0, failures: 5, inStdout: []string{"PASS: 5 failed"}},
		{name: "one under the threshold", args: []string{"--max-failures", "4", "--rate", "20", "--duration", "1s", bad}, code: 1, failures: 5},
		{
			name: "two targets prefix lines", code: 1, failures: 5, prefix: "external",
			args:     []string{"--target", "external=" + bad, "--target", "internal=" + ok, "--rate", "20", "--duration", "1s"},
			inStdout: []string{"external", "internal"},
		},
		{name: "flags after the URL", args: []string{ok, "--duration", "1s", "--rate", "10"}, code: 0, inStdout: []string{"10 requests, 0 failed"}},
		{name: "no target", args: []string{"--duration", "1s"}, code: 2, inStderr: []string{"no target"}},
		{name: "unknown flag", args: []string{"--nope", ok}, code: 2, inStderr: []string{"flag provided but not defined"}},
		{name: "bad target flag", args: []string{"--target", "noequals", "--duration", "1s"}, code: 2, inStderr: []string{"want name=URL"}},
		{name: "not a URL", args: []string{"--duration", "1s", "localhost:8080"}, code: 2, inStderr: []string{"not an http(s) URL"}},
		{name: "zero rate", args: []string{"--rate", "0", "--duration", "1s", ok}, code: 2, inStderr: []string{"--rate"}},
		{name: "duplicate names", args: []string{"--target", "a=" + ok, "--target", "a=" + ok, "--duration", "1s"}, code: 2, inStderr: []string{"duplicate target name"}},
		{name: "unbounded, not interactive", args: []string{ok}, code: 2, inStderr: []string{"refusing to run without --duration or --stop-file"}},
		{name: "help", args: []string{"-h"}, code: 0, inStderr: []string{"Usage: rollout-verify"}},
		{
			name: "mix", args: []string{"--long-percent", "20", "--long-duration", "50ms", "--post-percent", "10", "--rate", "20", "--duration", "1s", ok},
			code: 0, inStdout: []string{"20 requests, 0 failed", "70% get, 20% long 0.05s, 10% post", "per kind of request:", "long", "post"},
			inStderr: []string{"70% get, 20% long 50ms, 10% post"},
		},
		{
			name: "closed loop", args: []string{"--closed-loop", "100ms", "--duration", "1s", ok},
			code: 0, inStdout: []string{"closed loop (one request at a time per target, 0.1s between)", "PASS"}, inStderr: []string{"in a closed loop"},
		},
		{name: "closed loop with a rate", args: []string{"--closed-loop", "1s", "--rate", "5", "--duration", "1s", ok}, code: 2, inStderr: []string{"drop --rate"}},
		{name: "negative closed loop", args: []string{"--closed-loop", "-1s", "--duration", "1s", ok}, code: 2, inStderr: []string{"--closed-loop -1s"}},
		{name: "long without its duration", args: []string{"--long-percent", "20", "--duration", "1s", ok}, code: 2, inStderr: []string{"--long-duration: required"}},
		{name: "shares over 100", args: []string{"--long-percent", "60", "--long-duration", "1s", "--post-percent", "50", "--duration", "1s", ok}, code: 2, inStderr: []string{"--long-percent 60 + --post-percent 50"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				a = strings.ReplaceAll(a, ok, server(t, 0))
				args[i] = strings.ReplaceAll(a, bad, server(t, 4))
			}
			r := runCLI(t, env{}, args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.stdout, r.stderr)
			}
			lines := failureLines(r.stdout)
			if len(lines) != tt.failures {
				t.Errorf("%d failure lines, want %d:\n%s", len(lines), tt.failures, r.stdout)
			}
			for _, l := range lines {
				if got := failureLine.FindStringSubmatch(l)[1]; got != tt.prefix {
					t.Errorf("failure line %q: prefix %q, want %q", l, got, tt.prefix)
				}
			}
			for _, s := range tt.inStdout {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
				}
			}
			for _, s := range tt.inStderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
		})
	}
}

func TestFailureLineFormat(t *testing.T) {
	at := time.Date(2024, 5, 1, 13, 57, 17, 420_000_000, time.Local)
	tests := []struct {
		f      verify.Failure
		prefix bool
		want   string
	}{
		{verify.Failure{Target: "external", Class: "502", Time: at}, false, "502 13:57:17"},
		{verify.Failure{Target: "external", Class: verify.ClassTimeout, Time: at.Add(time.Second)}, false, "timeout 13:57:18"},
		{verify.Failure{Target: "external", Class: "503", Time: at}, true, "external 503 13:57:17"},
		{verify.Failure{Target: "internal", Class: verify.ClassRefused, Time: at}, true, "internal refused 13:57:17"},
		{verify.Failure{Target: "internal", Kind: verify.KindGet, Class: "502", Time: at}, false, "502 13:57:17"},
		{verify.Failure{Target: "internal", Kind: verify.KindPost, Class: verify.ClassReset, Time: at}, true, "internal reset 13:57:17 post"},
		{verify.Failure{Target: "external", Kind: verify.KindLong, Class: "502", Time: at}, false, "502 13:57:17 long"},
	}
	for _, tt := range tests {
		if got := verify.FailureLine(tt.f, tt.prefix); got != tt.want {
			t.Errorf("FailureLine(%+v, %v) = %q, want %q", tt.f, tt.prefix, got, tt.want)
		}
	}
}

func TestJSONOutput(t *testing.T) {
	t.Parallel()
	t.Run("file", func(t *testing.T) {
		t.Parallel()
		url := server(t, 4)
		path := filepath.Join(t.TempDir(), "report.json")
		r := runCLI(t, env{}, "--json", path, "--max-failures", "100", "--rate", "20", "--duration", "1s", url)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		checkReportJSON(t, data)
		if !strings.Contains(r.stdout, "PASS") {
			t.Errorf("table missing from stdout:\n%s", r.stdout)
		}
	})
	t.Run("stdout", func(t *testing.T) {
		t.Parallel()
		url := server(t, 4)
		r := runCLI(t, env{}, "--json", "-", "--rate", "20", "--duration", "1s", url)
		if r.code != 1 {
			t.Fatalf("exit %d, want 1: %s", r.code, r.stderr)
		}
		checkReportJSON(t, []byte(r.stdout)) // stdout is only JSON
		if len(failureLines(r.stderr)) != 5 || !strings.Contains(r.stderr, "FAIL") {
			t.Errorf("human output should be on stderr:\n%s", r.stderr)
		}
	})
	t.Run("unwritable", func(t *testing.T) {
		t.Parallel()
		url := server(t, 4)
		path := filepath.Join(t.TempDir(), "missing-dir", "report.json")
		if r := runCLI(t, env{}, "--json", path, "--duration", "1s", url); r.code != 2 {
			t.Errorf("exit %d, want 2", r.code)
		}
	})
}

// checkReportJSON decodes a report and checks the counts of a 1 s run at
// 20 req/s against a server failing every 4th request.
func checkReportJSON(t *testing.T, data []byte) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var rep verify.Report
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("decode report: %v\n%s", err, data)
	}
	if rep.Requests != 20 || rep.Failures != 5 || len(rep.Targets) != 1 {
		t.Fatalf("report: %d requests, %d failures, %d targets", rep.Requests, rep.Failures, len(rep.Targets))
	}
	tr := rep.Targets[0]
	if tr.Classes["503"] != 5 || tr.Classes[verify.ClassOK] != 15 || len(tr.Versions) != 1 || tr.Versions[0].Name != "v1" {
		t.Errorf("target report: %+v", tr)
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"started", "ended", "duration_seconds", "stop_reason", "settings", "requests", "failures", "targets"} {
		if _, ok := raw[key]; !ok {
			t.Errorf("JSON lacks %q", key)
		}
	}
}

func TestInteractiveRunEndsOnCancel(t *testing.T) {
	t.Parallel()
	url := server(t, 0)
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	code := run(ctx, []string{"--rate", "20", url}, env{stdout: &stdout, stderr: &stderr, stdinTerminal: true, stderrTerminal: true})
	if code != 0 || !strings.Contains(stdout.String(), "stopped: cancelled") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "req/s") || !strings.Contains(stderr.String(), "\r\x1b[K") {
		t.Errorf("no live progress line on a terminal stderr: %q", stderr.String())
	}
}

func TestNoProgressLineWithoutTerminal(t *testing.T) {
	t.Parallel()
	r := runCLI(t, env{}, "--rate", "20", "--duration", "1s", server(t, 0))
	if strings.Contains(r.stderr, "\r") {
		t.Errorf("progress line written to a non-terminal stderr: %q", r.stderr)
	}
}

// cliProcess starts the test binary as the command with stdin not a
// terminal (os/exec connects it to the null device).
func cliProcess(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runAsCLI+"=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return cmd, &stdout, &stderr
}

// exitCode returns the exit status of a finished command.
func exitCode(t *testing.T, err error) int {
	t.Helper()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exitErr):
		return exitErr.ExitCode()
	default:
		t.Fatalf("run command: %v", err)
		return -1
	}
}

func TestProcessRefusesUnboundedRun(t *testing.T) {
	t.Parallel()
	cmd, _, stderr := cliProcess(t, server(t, 0))
	if code := exitCode(t, cmd.Run()); code != 2 || !strings.Contains(stderr.String(), "refusing to run") {
		t.Errorf("exit %d, stderr %q; want 2 and a refusal", code, stderr.String())
	}
}

func TestProcessExitStatusOnFailures(t *testing.T) {
	t.Parallel()
	cmd, stdout, _ := cliProcess(t, "--rate", "20", "--duration", "1s", server(t, 2))
	if code := exitCode(t, cmd.Run()); code != 1 || len(failureLines(stdout.String())) != 10 {
		t.Errorf("exit %d, stdout:\n%s\nwant 1 and 10 failure lines", code, stdout.String())
	}
}

// TestProcessSIGINTPrintsReport stops a run bounded only by a stop file with
// SIGINT: the report is still printed.
func TestProcessSIGINTPrintsReport(t *testing.T) {
	t.Parallel()
	stop := filepath.Join(t.TempDir(), "stop")
	cmd, stdout, stderr := cliProcess(t, "--stop-file", stop, "--rate", "20", server(t, 0))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	code := exitCode(t, cmd.Wait())
	if code != 0 || !strings.Contains(stdout.String(), "stopped: cancelled") || !strings.Contains(stdout.String(), "PASS") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
}

func TestProcessStopFile(t *testing.T) {
	t.Parallel()
	stop := filepath.Join(t.TempDir(), "stop")
	cmd, stdout, stderr := cliProcess(t, "--stop-file", stop, "--rate", "20", server(t, 0))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if err := os.WriteFile(stop, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	code := exitCode(t, cmd.Wait())
	if code != 0 || !strings.Contains(stdout.String(), "stopped: stop-file") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
}

func TestProcessRefusesExistingStopFile(t *testing.T) {
	t.Parallel()
	stop := filepath.Join(t.TempDir(), "stop")
	if err := os.WriteFile(stop, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd, _, stderr := cliProcess(t, "--stop-file", stop, server(t, 0))
	if code := exitCode(t, cmd.Run()); code != 2 || !strings.Contains(stderr.String(), "already exists") {
		t.Errorf("exit %d, stderr %q; want 2", code, stderr.String())
	}
}

func TestNoCompletedRequestFails(t *testing.T) {
	t.Parallel()
	// A run cancelled before its first request proves nothing.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"--rate", "1", "--duration", "10s", "http://" + l.Addr().String() + "/"}, env{stdout: &stdout, stderr: &stderr})
	if code != 1 || !strings.Contains(stdout.String(), "no request completed") {
		t.Errorf("exit %d, stdout:\n%s", code, stdout.String())
	}
}
