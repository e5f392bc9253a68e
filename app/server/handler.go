package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Response headers set on every answer, so a client can tell which version
// and which pod served it.
const (
	// HeaderVersion carries Config.Version.
	HeaderVersion = "X-App-Version"
	// HeaderPod carries Config.PodName.
	HeaderPod = "X-Pod-Name"
)

// Query parameters of "/" that make the answer slow, so tests and load
// generators can keep requests in flight across a shutdown.
const (
	// DelayParam takes a Go duration, e.g. "?delay=1500ms".
	DelayParam = "delay"
	// DelayMsParam takes whole milliseconds, e.g. "?delay_ms=1500".
	DelayMsParam = "delay_ms"
)

// Handler returns the HTTP handler of the server.
//
// In normal mode it serves "GET /" and "POST /" (hello), "GET /readyz" and
// "GET /livez"; other paths answer 404. In naive mode every method and path
// is the hello handler, as in the field report's server: health paths are
// not special.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	if s.cfg.Naive {
		mux.HandleFunc("/", s.handleHello)
	} else {
		mux.HandleFunc("GET /{$}", s.handleHello)
		mux.HandleFunc("POST /{$}", s.handlePost)
		mux.HandleFunc("GET /readyz", s.handleReadyz)
		mux.HandleFunc("GET /livez", s.handleLivez)
	}
	return s.identify(mux)
}

// identify sets the version and pod headers on every response.
//
// While draining it also answers "Connection: close", so the server closes
// each connection a client still uses right after an answer. It does not
// close idle connections at the signal (http.Server.SetKeepAlivesEnabled
// would): a client may be writing a request onto one at that instant, and
// gets a reset for it, which Go's client, like most, retries only for
// idempotent methods (measured in the lab: one internal POST reset during a
// sustained rollout at 100 req/s). Connections idle through the whole drain
// still close at Shutdown.
func (s *Server) identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(HeaderVersion, s.cfg.Version)
		w.Header().Set(HeaderPod, s.cfg.PodName)
		if s.state.Phase() == Draining {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}

// handleHello answers "Hello, World!" with version and pod, after the
// requested delay (if any).
func (s *Server) handleHello(w http.ResponseWriter, r *http.Request) {
	delay, err := parseDelay(r.URL.Query(), s.cfg.MaxDelay)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if delay > 0 {
		select {
		case <-s.clock.After(delay):
		case <-r.Context().Done():
			return // the client went away; nobody to answer
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "Hello, World! version=%s pod=%s\n", s.cfg.Version, s.cfg.PodName)
}

// MaxPostBytes bounds the body of "POST /": a load generator's small
// payload, not an upload.
const MaxPostBytes = 1 << 20

// handlePost reads the request body (at most MaxPostBytes, else 413) and
// then answers like handleHello, delay included: a write a load generator
// can send next to its reads.
func (s *Server) handlePost(w http.ResponseWriter, r *http.Request) {
	if _, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, MaxPostBytes)); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			http.Error(w, fmt.Sprintf("body larger than %d bytes", MaxPostBytes), http.StatusRequestEntityTooLarge)
			return
		}
		return // the client went away mid-body; nobody to answer
	}
	s.handleHello(w, r)
}

// handleReadyz answers 200 only in phase Ready, 503 otherwise (booting,
// draining, stopped), so a load balancer stops sending traffic as soon as
// SIGTERM arrives.
func (s *Server) handleReadyz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	phase := s.state.Phase()
	if phase != Ready {
		http.Error(w, phase.String(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, phase.String())
}

// handleLivez answers 200 whenever the process can answer at all: draining
// is healthy, and restarting a draining pod would only cut requests.
func (s *Server) handleLivez(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// parseDelay reads the optional delay of a hello request from q. At most one
// of DelayParam and DelayMsParam may be given; the delay must lie in
// [0, maxDelay].
func parseDelay(q url.Values, maxDelay time.Duration) (time.Duration, error) {
	raw, rawMs := q.Get(DelayParam), q.Get(DelayMsParam)
	var (
		d   time.Duration
		err error
	)
	switch {
	case raw != "" && rawMs != "":
		return 0, fmt.Errorf("give %s or %s, not both", DelayParam, DelayMsParam)
	case raw != "":
		d, err = time.ParseDuration(raw)
		if err != nil {
			return 0, fmt.Errorf("parse %s: %w", DelayParam, err)
		}
	case rawMs != "":
		var n int64
		n, err = strconv.ParseInt(rawMs, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse %s: %w", DelayMsParam, err)
		}
		if n < 0 {
			return 0, errors.New("delay must not be negative")
		}
		if n > int64(maxDelay/time.Millisecond) {
			return 0, fmt.Errorf("%s=%d exceeds the maximum %s", DelayMsParam, n, maxDelay)
		}
		d = time.Duration(n) * time.Millisecond
	default:
		return 0, nil
	}
	return d, checkDelay(d, maxDelay)
}

// checkDelay rejects negative delays and delays above maxDelay.
func checkDelay(d, maxDelay time.Duration) error {
	if d < 0 {
		return errors.New("delay must not be negative")
	}
	if d > maxDelay {
		return fmt.Errorf("delay %s exceeds the maximum %s", d, maxDelay)
	}
	return nil
}
