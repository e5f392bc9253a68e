package main

// Real-process tests: the binary is built once in TestMain and driven with
// real signals over real TCP, the way a kubelet and a load balancer see it.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// appBinary is the app built by TestMain.
var appBinary string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "zdt-app-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	appBinary = filepath.Join(dir, "app")
	build := exec.Command("go", "build", "-o", appBinary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build app:", err)
		return 1
	}
	return m.Run()
}

// logEvent is one JSON log line of the app, with when the test read it.
type logEvent struct {
	Msg  string `json:"msg"`
	seen time.Time
}

// proc is a running app process.
type proc struct {
	cmd    *exec.Cmd
	addr   string
	events chan logEvent
	exited chan struct{}
	err    error // Wait's result, valid once exited is closed

	mu  sync.Mutex
	log strings.Builder // all of stderr, for failure messages
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startApp runs the app on a free port with args and the environment env.
func startApp(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{addr: freeAddr(t), events: make(chan logEvent, 64), exited: make(chan struct{})}
	p.cmd = exec.Command(appBinary, append([]string{"--listen", p.addr}, args...)...)
	p.cmd.Env = append(os.Environ(), env...)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatalf("stderr pipe: %v", err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start app: %v", err)
	}
	logsDone := make(chan struct{})
	go p.readLogs(stderr, logsDone)
	go func() {
		<-logsDone // Wait closes the pipe; read it to the end first
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("app stderr:\n%s", p.logs())
		}
	})
	return p
}

// readLogs parses the app's JSON log lines into events.
func (p *proc) readLogs(r io.Reader, done chan<- struct{}) {
	defer close(done)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		p.mu.Lock()
		p.log.WriteString(line + "\n")
		p.mu.Unlock()
		var ev logEvent
		if json.Unmarshal([]byte(line), &ev) == nil {
			ev.seen = time.Now()
			select {
			case p.events <- ev:
			default: // nobody is waiting for this many events
			}
		}
	}
}

func (p *proc) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// waitEvent waits for the log message msg, skipping earlier messages.
func (p *proc) waitEvent(t *testing.T, msg string, within time.Duration) time.Time {
	t.Helper()
	timeout := time.After(within)
	for {
		select {
		case ev := <-p.events:
			if ev.Msg == msg {
				return ev.seen
			}
		case <-timeout:
			t.Fatalf("no %q log within %s", msg, within)
			return time.Time{}
		}
	}
}

// signal sends sig to the app and returns when it was sent.
func (p *proc) signal(t *testing.T, sig os.Signal) time.Time {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
	return time.Now()
}

// waitExit waits for the process to end and returns its exit code and when
// the test saw it end.
func (p *proc) waitExit(t *testing.T, within time.Duration) (int, time.Time) {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(within):
		t.Fatalf("app still running %s later", within)
	}
	at := time.Now()
	var exitErr *exec.ExitError
	switch {
	case p.err == nil:
		return 0, at
	case errors.As(p.err, &exitErr):
		return exitErr.ExitCode(), at
	default:
		t.Fatalf("wait: %v", p.err)
		return -1, at
	}
}

// fresh is a client that opens a new connection for every request.
var fresh = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// get fetches path and returns status, headers and body.
func (p *proc) get(path string) (int, http.Header, string, error) {
	resp, err := fresh.Get("http://" + p.addr + path)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body), err
}

// pollStatus polls path until it answers want, returning when it did.
func (p *proc) pollStatus(t *testing.T, path string, want int, within time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(within)
	var last string
	for time.Now().Before(deadline) {
		code, _, body, err := p.get(path)
		if err == nil && code == want {
			return time.Now()
		}
		last = fmt.Sprintf("status %d body %q err %v", code, body, err)
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s did not answer %d within %s; last: %s", path, want, within, last)
	return time.Time{}
}

// slowRequest is a GET /?delay=... sent in the background.
type slowRequest struct {
	done chan struct{}
	code int
	body string
	err  error
}

// startSlow sends GET /?delay=delay and returns once the request is on the
// wire, plus a little time for the server to read it.
func (p *proc) startSlow(t *testing.T, delay string) *slowRequest {
	t.Helper()
	r := &slowRequest{done: make(chan struct{})}
	wrote := make(chan struct{})
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { close(wrote) }}
	ctx := httptrace.WithClientTrace(context.Background(), trace)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.addr+"/?delay="+delay, nil)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	go func() {
		defer close(r.done)
		resp, err := fresh.Do(req)
		if err != nil {
			r.err = err
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		r.code, r.body, r.err = resp.StatusCode, string(b), err
	}()
	select {
	case <-wrote:
	case <-r.done:
		t.Fatalf("slow request ended before it was sent: %v", r.err)
	case <-time.After(5 * time.Second):
		t.Fatal("slow request not sent")
	}
	time.Sleep(100 * time.Millisecond)
	return r
}

// wait returns once the slow request has ended.
func (r *slowRequest) wait(t *testing.T, within time.Duration) time.Time {
	t.Helper()
	select {
	case <-r.done:
		return time.Now()
	case <-time.After(within):
		t.Fatalf("slow request still running %s later", within)
		return time.Time{}
	}
}

// TestProcessRefusesDuringBoot checks that nothing listens during the boot
// delay and that a SIGTERM during boot ends the process cleanly.
func TestProcessRefusesDuringBoot(t *testing.T) {
	p := startApp(t, nil, "--boot-delay", "1500ms")
	bootAt := p.waitEvent(t, "boot started", 10*time.Second)
	for time.Since(bootAt) < 800*time.Millisecond {
		conn, err := net.DialTimeout("tcp", p.addr, time.Second)
		if err == nil {
			conn.Close()
			t.Fatalf("connection accepted %s into a 1.5s boot; want refused", time.Since(bootAt))
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial during boot: %v, want connection refused", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.signal(t, syscall.SIGTERM)
	p.waitEvent(t, "termination signal during boot; exiting without listening", 2*time.Second)
	if code, _ := p.waitExit(t, 2*time.Second); code != 0 {
		t.Fatalf("exit code after SIGTERM during boot = %d, want 0", code)
	}
}

// TestProcessGracefulShutdown is the behaviour a rolling update needs:
// readiness fails at once on SIGTERM, new and in-flight requests are served
// through the drain window, and the process then exits 0.
func TestProcessGracefulShutdown(t *testing.T) {
	const drain = 2 * time.Second
	p := startApp(t, []string{"POD_NAME=pod-under-test"},
		"--boot-delay", "300ms", "--drain", drain.String(), "--shutdown-timeout", "5s", "--version", "v-test")
	bootAt := p.waitEvent(t, "boot started", 10*time.Second)
	readyAt := p.pollStatus(t, "/readyz", http.StatusOK, 5*time.Second)
	if booted := readyAt.Sub(bootAt); booted < 150*time.Millisecond {
		t.Fatalf("ready %s after boot started; the 300ms boot delay was not honoured", booted)
	}
	code, hdr, body, err := p.get("/")
	if err != nil || code != http.StatusOK {
		t.Fatalf("GET / = %d %v", code, err)
	}
	if hdr.Get("X-App-Version") != "v-test" || hdr.Get("X-Pod-Name") != "pod-under-test" {
		t.Fatalf("headers X-App-Version=%q X-Pod-Name=%q, want v-test and pod-under-test",
			hdr.Get("X-App-Version"), hdr.Get("X-Pod-Name"))
	}
	if want := "Hello, World! version=v-test pod=pod-under-test\n"; body != want {
		t.Fatalf("body = %q, want %q", body, want)
	}

	// Outlives the drain window: only a graceful Shutdown lets it finish.
	inFlight := p.startSlow(t, "2500ms")
	sigAt := p.signal(t, syscall.SIGTERM)

	p.pollStatus(t, "/readyz", http.StatusServiceUnavailable, 500*time.Millisecond)
	time.Sleep(time.Until(sigAt.Add(drain / 2)))
	code, _, _, err = p.get("/")
	if err != nil || code != http.StatusOK {
		t.Fatalf("new request %s into the %s drain window: status %d err %v, want 200", drain/2, drain, code, err)
	}

	inFlight.wait(t, 5*time.Second)
	if inFlight.err != nil || inFlight.code != http.StatusOK || !strings.HasPrefix(inFlight.body, "Hello, World!") {
		t.Fatalf("in-flight request across SIGTERM: status %d body %q err %v, want 200 hello",
			inFlight.code, inFlight.body, inFlight.err)
	}
	exitCode, exitAt := p.waitExit(t, 5*time.Second)
	if exitCode != 0 {
		t.Fatalf("exit code = %d, want 0", exitCode)
	}
	if served := exitAt.Sub(sigAt); served < drain-100*time.Millisecond {
		t.Fatalf("process exited %s after SIGTERM, before the %s drain window ended", served, drain)
	}
	for _, msg := range []string{"termination signal received", "drain started", "drain finished", "shutdown complete"} {
		if !strings.Contains(p.logs(), `"msg":"`+msg+`"`) {
			t.Errorf("no %q log", msg)
		}
	}
}

// TestProcessNaive reproduces the field report's server: health paths are
// not special and SIGTERM cuts the in-flight request and ends the process.
func TestProcessNaive(t *testing.T) {
	p := startApp(t, []string{"NAIVE=true"}, "--boot-delay", "300ms")
	p.pollStatus(t, "/", http.StatusOK, 5*time.Second)
	if code, _, body, err := p.get("/readyz"); err != nil || code != http.StatusOK || !strings.HasPrefix(body, "Hello, World!") {
		t.Fatalf("naive /readyz = %d %q %v, want the hello answer", code, body, err)
	}

	inFlight := p.startSlow(t, "5s")
	sigAt := p.signal(t, syscall.SIGTERM)
	cutAt := inFlight.wait(t, 3*time.Second)
	if inFlight.err == nil && inFlight.code == http.StatusOK {
		t.Fatalf("in-flight request succeeded (%q); naive mode must cut it", inFlight.body)
	}
	if cut := cutAt.Sub(sigAt); cut > 2*time.Second {
		t.Fatalf("in-flight request cut only %s after SIGTERM", cut)
	}
	if code, _ := p.waitExit(t, 2*time.Second); code != 143 {
		t.Fatalf("naive exit code = %d, want 143", code)
	}
}
