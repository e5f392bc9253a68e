package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// newTestServer returns a server with a fake clock, advanced to phase.
func newTestServer(t *testing.T, naive bool, phase Phase) (*Server, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	s, err := New(Config{
		Listen:          "127.0.0.1:0",
		ShutdownTimeout: time.Second,
		MaxDelay:        10 * time.Second,
		Version:         "v7",
		PodName:         "demo-abc",
		Naive:           naive,
		Clock:           clock,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if phase != Booting {
		if err := s.state.Advance(phase); err != nil {
			t.Fatalf("advance to %s: %v", phase, err)
		}
	}
	return s, clock
}

func TestHandlerRoutes(t *testing.T) {
	const hello = "Hello, World! version=v7 pod=demo-abc\n"
	tests := []struct {
		name       string
		naive      bool
		phase      Phase
		method     string
		target     string
		wantStatus int
		wantBody   string // exact body if not empty
	}{
		{"hello", false, Ready, http.MethodGet, "/", 200, hello},
		{"hello while draining", false, Draining, http.MethodGet, "/", 200, hello},
		{"readyz booting", false, Booting, http.MethodGet, "/readyz", 503, "booting\n"},
		{"readyz ready", false, Ready, http.MethodGet, "/readyz", 200, "ready\n"},
		{"readyz draining", false, Draining, http.MethodGet, "/readyz", 503, "draining\n"},
		{"readyz stopped", false, Stopped, http.MethodGet, "/readyz", 503, "stopped\n"},
		{"livez ready", false, Ready, http.MethodGet, "/livez", 200, "ok\n"},
		{"livez draining", false, Draining, http.MethodGet, "/livez", 200, "ok\n"},
		{"unknown path", false, Ready, http.MethodGet, "/nope", 404, ""},
		{"post hello", false, Ready, http.MethodPost, "/", 200, hello},
		{"post hello while draining", false, Draining, http.MethodPost, "/", 200, hello},
		{"put hello", false, Ready, http.MethodPut, "/", 405, ""},
		{"post readyz", false, Ready, http.MethodPost, "/readyz", 405, ""},
		{"naive hello", true, Ready, http.MethodGet, "/", 200, hello},
		{"naive readyz is hello", true, Booting, http.MethodGet, "/readyz", 200, hello},
		{"naive readyz draining is hello", true, Draining, http.MethodGet, "/readyz", 200, hello},
		{"naive livez is hello", true, Ready, http.MethodGet, "/livez", 200, hello},
		{"naive any path", true, Ready, http.MethodPost, "/anything", 200, hello},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, clock := newTestServer(t, tc.naive, tc.phase)
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, httptest.NewRequest(tc.method, tc.target, nil))
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d (body %q)", rec.Code, tc.wantStatus, rec.Body.String())
			}
			if tc.wantBody != "" && rec.Body.String() != tc.wantBody {
				t.Fatalf("body = %q, want %q", rec.Body.String(), tc.wantBody)
			}
			if got := rec.Header().Get(HeaderVersion); got != "v7" {
				t.Errorf("%s = %q, want v7", HeaderVersion, got)
			}
			if got := rec.Header().Get(HeaderPod); got != "demo-abc" {
				t.Errorf("%s = %q, want demo-abc", HeaderPod, got)
			}
			clock.expectNone(t)
		})
	}
}

func TestHandlerRejectsBadDelay(t *testing.T) {
	tests := []struct {
		query   string
		wantErr string
	}{
		{"delay=abc", "parse delay"},
		{"delay=-1s", "negative"},
		{"delay=10001ms", "exceeds the maximum"},
		{"delay_ms=x", "parse delay_ms"},
		{"delay_ms=-5", "negative"},
		{"delay_ms=10001", "exceeds the maximum"},
		{"delay_ms=9223372036854775807", "exceeds the maximum"},
		{"delay=1s&delay_ms=5", "not both"},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			s, clock := newTestServer(t, false, Ready)
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/?"+tc.query, nil))
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400", rec.Code)
			}
			if !strings.Contains(rec.Body.String(), tc.wantErr) {
				t.Fatalf("body = %q, want it to contain %q", rec.Body.String(), tc.wantErr)
			}
			clock.expectNone(t)
		})
	}
}

func TestHandlerDelay(t *testing.T) {
	tests := []struct {
		query string
		want  time.Duration
	}{
		{"delay=1500ms", 1500 * time.Millisecond},
		{"delay=10s", 10 * time.Second},
		{"delay_ms=250", 250 * time.Millisecond},
		{"delay_ms=10000", 10 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			s, clock := newTestServer(t, false, Ready)
			rec := httptest.NewRecorder()
			done := make(chan struct{})
			go func() {
				defer close(done)
				s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/?"+tc.query, nil))
			}()
			w := clock.next(t, "request delay")
			if w.d != tc.want {
				t.Fatalf("handler waited %s, want %s", w.d, tc.want)
			}
			select {
			case <-done:
				t.Fatal("handler answered before its delay elapsed")
			case <-time.After(20 * time.Millisecond):
			}
			w.fire()
			<-done
			if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Body.String(), "Hello, World!") {
				t.Fatalf("after delay: status %d body %q", rec.Code, rec.Body.String())
			}
		})
	}
}

func TestHandlerDelayClientGone(t *testing.T) {
	s, clock := newTestServer(t, false, Ready)
	ctx, cancel := context.WithCancel(context.Background())
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/?delay=5s", nil)
		s.Handler().ServeHTTP(rec, req)
	}()
	clock.next(t, "request delay")
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("handler did not return after the client went away")
	}
	if rec.Body.Len() != 0 {
		t.Fatalf("handler wrote %q for a client that went away", rec.Body.String())
	}
}

// TestHandlerPost: "POST /" reads its body and answers hello, honours the
// delay like GET, and refuses a body over MaxPostBytes.
func TestHandlerPost(t *testing.T) {
	t.Run("body read, hello", func(t *testing.T) {
		s, clock := newTestServer(t, false, Ready)
		body := &countingReader{r: strings.NewReader(strings.Repeat("x", 4096))}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", body))
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Body.String(), "Hello, World!") {
			t.Fatalf("status %d body %q, want 200 hello", rec.Code, rec.Body.String())
		}
		if body.n != 4096 {
			t.Errorf("handler read %d body bytes, want all 4096", body.n)
		}
		clock.expectNone(t)
	})
	t.Run("too large", func(t *testing.T) {
		s, clock := newTestServer(t, false, Ready)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", MaxPostBytes+1))))
		if rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413", rec.Code)
		}
		clock.expectNone(t)
	})
	t.Run("delay", func(t *testing.T) {
		s, clock := newTestServer(t, false, Ready)
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/?delay=2s", strings.NewReader("payload")))
		}()
		w := clock.next(t, "request delay")
		if w.d != 2*time.Second {
			t.Fatalf("handler waited %s, want 2s", w.d)
		}
		w.fire()
		<-done
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d, want 200", rec.Code)
		}
	})
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r *strings.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
