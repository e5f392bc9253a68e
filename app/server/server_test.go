package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// runResult is what a background Run returned.
type runResult struct{ err error }

// startRun starts s.Run in the background; cancel plays the termination
// signal.
func startRun(t *testing.T, s *Server) (cancel context.CancelFunc, done <-chan runResult) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan runResult, 1)
	go func() { ch <- runResult{s.Run(ctx)} }()
	t.Cleanup(cancel)
	return cancel, ch
}

// waitPhase polls until s reaches want.
func waitPhase(t *testing.T, s *Server, want Phase) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for s.Phase() != want {
		if time.Now().After(deadline) {
			t.Fatalf("phase = %s, want %s", s.Phase(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitRun returns Run's error, failing the test if Run does not return soon.
func waitRun(t *testing.T, done <-chan runResult) error {
	t.Helper()
	select {
	case r := <-done:
		return r.err
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
		return nil
	}
}

// get fetches path from s with a fresh connection.
func get(t *testing.T, s *Server, path string) (*http.Response, string) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	return getWith(t, client, s, path)
}

// getWith fetches path from s with client.
func getWith(t *testing.T, client *http.Client, s *Server, path string) (*http.Response, string) {
	t.Helper()
	resp, err := client.Get("http://" + s.Addr().String() + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return resp, string(body)
}

// slowGet sends GET /?delay=... in the background and returns its outcome.
func slowGet(s *Server, delay string) <-chan error {
	out := make(chan error, 1)
	go func() {
		resp, err := http.Get("http://" + s.Addr().String() + "/?delay=" + delay)
		if err != nil {
			out <- err
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		switch {
		case err != nil:
			out <- err
		case resp.StatusCode != http.StatusOK:
			out <- errors.New("status " + resp.Status)
		case !strings.HasPrefix(string(body), "Hello, World!"):
			out <- errors.New("body " + string(body))
		default:
			out <- nil
		}
	}()
	return out
}

func newRunServer(t *testing.T, naive bool, shutdownTimeout time.Duration) (*Server, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	s, err := New(Config{
		Listen:          "127.0.0.1:0",
		BootDelay:       10 * time.Second,
		Drain:           7 * time.Second,
		ShutdownTimeout: shutdownTimeout,
		MaxDelay:        time.Minute,
		Version:         "v1",
		PodName:         "p",
		Naive:           naive,
		Clock:           clock,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, clock
}

// TestRunGracefulLifecycle walks boot -> ready -> signal -> drain ->
// shutdown, checking that the drain keeps serving with readiness failing and
// that shutdown waits for the in-flight request.
func TestRunGracefulLifecycle(t *testing.T) {
	s, clock := newRunServer(t, false, 5*time.Second)
	signal, done := startRun(t, s)

	boot := clock.next(t, "boot delay")
	if boot.d != 10*time.Second {
		t.Fatalf("boot wait = %s, want 10s", boot.d)
	}
	if s.Phase() != Booting || s.Addr() != nil {
		t.Fatalf("during boot: phase %s addr %v, want booting and no listener", s.Phase(), s.Addr())
	}
	boot.fire()
	waitPhase(t, s, Ready)
	if resp, _ := get(t, s, "/readyz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz when ready = %d, want 200", resp.StatusCode)
	}
	keepAlive := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}
	defer keepAlive.CloseIdleConnections()
	if resp, _ := getWith(t, keepAlive, s, "/"); resp.Close {
		t.Fatal("response when ready asked to close the connection; want keep-alive")
	}

	idle := openIdle(t, s)
	inFlight := slowGet(s, "30s")
	held := clock.next(t, "in-flight request delay")

	signal()
	drain := clock.next(t, "drain window")
	if drain.d != 7*time.Second {
		t.Fatalf("drain wait = %s, want 7s", drain.d)
	}
	if s.Phase() != Draining {
		t.Fatalf("phase after signal = %s, want draining", s.Phase())
	}
	if resp, _ := get(t, s, "/readyz"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz while draining = %d, want 503", resp.StatusCode)
	}
	resp, body := getWith(t, keepAlive, s, "/")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "Hello, World!") {
		t.Fatalf("request while draining: %d %q, want 200 hello", resp.StatusCode, body)
	}
	if !resp.Close {
		t.Error("response while draining did not carry Connection: close; keep-alives still enabled")
	}
	// A connection that was idle at the signal is not closed under a
	// client that may be writing to it: it still answers, then closes.
	time.Sleep(200 * time.Millisecond) // room for a wrong close to land first
	if status, closeAfter := idle.request(t); status != http.StatusOK || !closeAfter {
		t.Errorf("connection idle at the signal, used while draining: status %d, Connection: close %v; want 200 and close", status, closeAfter)
	}

	drain.fire()
	select {
	case r := <-done:
		t.Fatalf("Run returned (%v) while a request was still in flight", r.err)
	case <-time.After(100 * time.Millisecond):
	}
	held.fire()
	if err := <-inFlight; err != nil {
		t.Fatalf("in-flight request across shutdown: %v", err)
	}
	if err := waitRun(t, done); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if s.Phase() != Stopped {
		t.Fatalf("phase after Run = %s, want stopped", s.Phase())
	}
	clock.expectNone(t)
}

func TestRunSignalDuringBoot(t *testing.T) {
	tests := []struct {
		naive   bool
		wantErr error
	}{
		{false, nil},
		{true, ErrNaiveExit},
	}
	for _, tc := range tests {
		t.Run(map[bool]string{false: "graceful", true: "naive"}[tc.naive], func(t *testing.T) {
			s, clock := newRunServer(t, tc.naive, time.Second)
			signal, done := startRun(t, s)
			clock.next(t, "boot delay") // never fired
			signal()
			if err := waitRun(t, done); !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("Run = %v, want %v", err, tc.wantErr)
			}
			if s.Addr() != nil {
				t.Fatalf("listener opened (%v) although boot never finished", s.Addr())
			}
			if s.Phase() != Stopped {
				t.Fatalf("phase = %s, want stopped", s.Phase())
			}
			clock.expectNone(t)
		})
	}
}

// TestRunNaiveCutsInFlight checks that naive mode neither drains nor waits:
// the in-flight request fails and Run returns ErrNaiveExit at once.
func TestRunNaiveCutsInFlight(t *testing.T) {
	s, clock := newRunServer(t, true, 5*time.Second)
	signal, done := startRun(t, s)
	clock.next(t, "boot delay").fire()
	waitPhase(t, s, Ready)

	inFlight := slowGet(s, "30s")
	clock.next(t, "in-flight request delay") // never fired
	signal()
	if err := waitRun(t, done); !errors.Is(err, ErrNaiveExit) {
		t.Fatalf("Run = %v, want ErrNaiveExit", err)
	}
	select {
	case err := <-inFlight:
		if err == nil {
			t.Fatal("in-flight request succeeded; naive mode must cut it")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("in-flight request still hanging after naive exit")
	}
	clock.expectNone(t) // no drain window was waited for
}

func TestRunShutdownTimeout(t *testing.T) {
	s, clock := newRunServer(t, false, 100*time.Millisecond)
	signal, done := startRun(t, s)
	clock.next(t, "boot delay").fire()
	waitPhase(t, s, Ready)

	inFlight := slowGet(s, "30s")
	clock.next(t, "in-flight request delay") // never fired: outlives the timeout
	signal()
	clock.next(t, "drain window").fire()
	err := waitRun(t, done)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run = %v, want a wrapped context.DeadlineExceeded", err)
	}
	if got := <-inFlight; got == nil {
		t.Fatal("request that outlived the shutdown timeout succeeded")
	}
}

func TestRunListenError(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer busy.Close()
	clock := newFakeClock()
	s, err := New(Config{Listen: busy.Addr().String(), ShutdownTimeout: time.Second, Clock: clock})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	_, done := startRun(t, s)
	clock.next(t, "boot delay").fire()
	if err := waitRun(t, done); err == nil || !strings.Contains(err.Error(), "listen on") {
		t.Fatalf("Run = %v, want a listen error", err)
	}
}

func TestRunOnlyOnce(t *testing.T) {
	s, clock := newRunServer(t, false, time.Second)
	signal, done := startRun(t, s)
	clock.next(t, "boot delay")
	if err := s.Run(context.Background()); err == nil {
		t.Fatal("second Run succeeded, want error")
	}
	signal()
	if err := waitRun(t, done); err != nil {
		t.Fatalf("Run = %v", err)
	}
}

func TestNewValidates(t *testing.T) {
	valid := Config{Listen: ":8080", ShutdownTimeout: time.Second}
	tests := []struct {
		name   string
		modify func(*Config)
		want   string
	}{
		{"valid", func(*Config) {}, ""},
		{"empty listen", func(c *Config) { c.Listen = "" }, "listen address"},
		{"negative boot", func(c *Config) { c.BootDelay = -time.Second }, "boot delay"},
		{"negative drain", func(c *Config) { c.Drain = -time.Second }, "drain"},
		{"negative max delay", func(c *Config) { c.MaxDelay = -time.Second }, "max delay"},
		{"zero shutdown timeout", func(c *Config) { c.ShutdownTimeout = 0 }, "shutdown timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := valid
			tc.modify(&cfg)
			_, err := New(cfg)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("New = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, want error mentioning %q", err, tc.want)
			}
		})
	}
}

// idleConn is a raw keep-alive connection to the server, to see what the
// server does with a connection idle at the signal.
type idleConn struct {
	conn net.Conn
	r    *bufio.Reader
}

// openIdle opens a connection, makes one keep-alive request on it and
// leaves it idle.
func openIdle(t *testing.T, s *Server) *idleConn {
	t.Helper()
	conn, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &idleConn{conn: conn, r: bufio.NewReader(conn)}
	if status, closeAfter := c.request(t); status != http.StatusOK || closeAfter {
		t.Fatalf("keep-alive request when ready: status %d, close %v", status, closeAfter)
	}
	return c
}

// request sends GET / on the connection and returns the status and whether
// the server said it closes the connection afterwards (0 when the
// connection failed).
func (c *idleConn) request(t *testing.T) (int, bool) {
	t.Helper()
	_ = c.conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c.conn, "GET / HTTP/1.1\r\nHost: app\r\n\r\n"); err != nil {
		t.Logf("write on the idle connection: %v", err)
		return 0, false
	}
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		t.Logf("read on the idle connection: %v", err)
		return 0, false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Close
}
