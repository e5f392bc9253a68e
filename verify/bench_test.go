package verify

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// BenchmarkOverhead measures the verifier's own cost against a server running
// in a separate process (the test binary re-executed as helperServer), so the
// process's rusage is the verifier's alone. One op is one request; the run
// lasts b.N / rate seconds. Metrics: req/s achieved and cpu-cores used by
// this process (user + system CPU time / wall time). ns/op is suppressed: it
// is just 1/rate.
//
//	go test -run '^$' -bench Overhead -benchtime 5s ./verify/
func BenchmarkOverhead(b *testing.B) {
	url := startHelperServer(b)
	for _, rate := range []int{1000, 2000} {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) { benchRate(b, url, rate) })
	}
}

// benchRate sends b.N requests at rate and reports the metrics.
func benchRate(b *testing.B, url string, rate int) {
	cfg := Config{
		Targets:  []Target{{Name: "bench", URL: url}},
		Rate:     rate,
		Duration: time.Duration(b.N) * time.Second / time.Duration(rate),
	}
	before := cpuTime(b)
	b.ResetTimer()
	rep := mustRun(b, cfg)
	b.StopTimer()
	used := cpuTime(b) - before
	if rep.Failures != 0 || rep.Requests != int64(b.N) {
		b.Fatalf("%d requests (want %d), %d failures: %v %v", rep.Requests, b.N, rep.Failures,
			rep.Targets[0].Classes, rep.Targets[0].Errors)
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(rep.Requests)/rep.DurationSeconds, "req/s")
	b.ReportMetric(used.Seconds()/rep.DurationSeconds, "cpu-cores")
}

// cpuTime returns the user + system CPU time this process has used.
func cpuTime(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startHelperServer starts the helper server process and returns its URL;
// it stops when the benchmark ends.
func startHelperServer(b *testing.B) string {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperServerEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatalf("start helper server: %v", err)
	}
	b.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	addr, err := readAddr(stdout)
	if err != nil {
		b.Fatal(err)
	}
	return "http://" + addr + "/"
}
