// Package server is the demo application of the zero-downtime lab: an HTTP
// server that boots slowly, reports readiness honestly and drains gracefully
// on SIGTERM, or, in naive mode, behaves like the field report's server that
// made rolling updates fail.
//
// Lifecycle (normal mode):
//
//	boot delay (no listener: connections refused)
//	-> listen, Ready (/readyz 200)
//	-> termination signal: Draining (/readyz 503, every request still
//	   served and answered with Connection: close; idle connections kept)
//	   for Config.Drain
//	-> http.Server.Shutdown, bounded by Config.ShutdownTimeout, waits for
//	   in-flight requests
//	-> Stopped; Run returns nil.
//
// In naive mode a termination signal closes every connection at once and Run
// returns ErrNaiveExit; the caller is expected to exit the process at once.
package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// NaiveExitCode is the exit status of the process in naive mode after a
// termination signal: 128+SIGTERM, what a runtime reports for a process that
// SIGTERM killed, like the field report's server that handled no signals.
const NaiveExitCode = 143

// ErrNaiveExit is returned by Run in naive mode when the termination signal
// arrives. The caller must exit at once (os.Exit(NaiveExitCode)).
var ErrNaiveExit = errors.New("naive mode: termination signal, exiting at once")

// Timeouts of the http.Server that are not part of the lifecycle.
const (
	// readHeaderTimeout bounds how long a client may take to send headers.
	readHeaderTimeout = 10 * time.Second
)

// DefaultMaxDelay is the command's default for Config.MaxDelay (flag
// --max-delay, env MAX_DELAY): the longest "?delay=" a request may ask for,
// the model's default longest request (10 s). The lab's long requests must
// fit in it where it is not set.
const DefaultMaxDelay = 10 * time.Second

// DefaultIdleTimeout is Config.IdleTimeout's default: longer than the ALB's
// default idle timeout of 60 s.
const DefaultIdleTimeout = 75 * time.Second

// Config is the complete configuration of a Server.
type Config struct {
	// Listen is the TCP address to listen on, e.g. ":8080".
	Listen string
	// BootDelay is how long the server waits before it opens its listener.
	BootDelay time.Duration
	// Drain is how long the server keeps serving after the termination
	// signal, with readiness failing, before it shuts down.
	Drain time.Duration
	// ShutdownTimeout bounds http.Server.Shutdown (waiting for in-flight
	// requests) after the drain window.
	ShutdownTimeout time.Duration
	// MaxDelay is the largest delay a request may ask for with ?delay=.
	MaxDelay time.Duration
	// IdleTimeout closes keep-alive connections idle this long. It must be
	// longer than the load balancer's idle timeout, so the load balancer,
	// not the app, closes idle connections (an app closing first races with
	// a request the ALB is sending: 502). ZeroDowntimeApp passes it through
	// KeepAliveTimeoutEnv. Zero means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// Version is reported in the hello body and the X-App-Version header.
	Version string
	// PodName is reported in the hello body and the X-Pod-Name header.
	PodName string
	// Naive selects the field report's behaviour: no health endpoints, no
	// drain, no graceful shutdown.
	Naive bool
	// Logger receives the lifecycle events; nil discards them.
	Logger *slog.Logger
	// Clock drives the boot delay, the drain window and slow requests; nil
	// means RealClock.
	Clock Clock
}

// Server is the demo HTTP server. Create it with New and start it with Run.
type Server struct {
	cfg     Config
	log     *slog.Logger
	clock   Clock
	state   State
	addr    atomic.Pointer[net.TCPAddr]
	started atomic.Bool
}

// New validates cfg and returns a Server in phase Booting.
func New(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("invalid server config: %w", err)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, clock: cfg.Clock}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.clock == nil {
		s.clock = RealClock{}
	}
	return s, nil
}

// validate reports the first invalid field of c.
func (c Config) validate() error {
	if c.Listen == "" {
		return errors.New("listen address is empty")
	}
	for _, d := range []struct {
		name string
		val  time.Duration
	}{
		{"boot delay", c.BootDelay},
		{"drain", c.Drain},
		{"max delay", c.MaxDelay},
	} {
		if d.val < 0 {
			return fmt.Errorf("%s %s is negative", d.name, d.val)
		}
	}
	if c.ShutdownTimeout <= 0 {
		return fmt.Errorf("shutdown timeout %s must be positive", c.ShutdownTimeout)
	}
	if c.IdleTimeout < 0 {
		return fmt.Errorf("idle timeout %s is negative", c.IdleTimeout)
	}
	return nil
}

// Phase returns the current lifecycle phase.
func (s *Server) Phase() Phase { return s.state.Phase() }

// Addr returns the address the server listens on, or nil before the boot
// delay is over.
func (s *Server) Addr() net.Addr {
	if a := s.addr.Load(); a != nil {
		return a
	}
	return nil
}

// Run boots, serves and, once ctx is done (the termination signal), drains
// and shuts down. It returns nil after a clean shutdown, ErrNaiveExit in
// naive mode, or an error if listening, serving or shutting down failed.
// Run may be called only once.
func (s *Server) Run(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("server already started")
	}
	bootAt := s.clock.Now()
	if !s.boot(ctx) {
		return s.stopDuringBoot()
	}
	srv, serveErr, err := s.listenAndServe(bootAt)
	if err != nil {
		return err
	}
	select {
	case err := <-serveErr:
		s.advance(Stopped)
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	signalAt := s.clock.Now()
	s.log.Info("termination signal received", "phase", s.Phase().String(), "naive", s.cfg.Naive)
	if s.cfg.Naive {
		return s.exitAbruptly(srv)
	}
	return s.drainAndShutdown(srv, serveErr, signalAt)
}

// boot waits out the boot delay; it reports false if ctx ended first.
func (s *Server) boot(ctx context.Context) bool {
	s.log.Info("boot started",
		"boot_delay", s.cfg.BootDelay.String(),
		"version", s.cfg.Version,
		"pod", s.cfg.PodName,
		"naive", s.cfg.Naive,
		"listen", s.cfg.Listen)
	select {
	case <-ctx.Done():
		return false
	case <-s.clock.After(s.cfg.BootDelay):
		return true
	}
}

// stopDuringBoot handles a termination signal that arrived before the
// listener was opened: there is nothing to drain.
func (s *Server) stopDuringBoot() error {
	s.advance(Stopped)
	s.log.Info("termination signal during boot; exiting without listening")
	if s.cfg.Naive {
		return ErrNaiveExit
	}
	return nil
}

// listenAndServe opens the listener, marks the server Ready and serves in
// the background; Serve's result arrives on the returned channel. bootAt is
// when the boot started, for the log.
func (s *Server) listenAndServe(bootAt time.Time) (*http.Server, <-chan error, error) {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		s.advance(Stopped)
		return nil, nil, fmt.Errorf("listen on %s: %w", s.cfg.Listen, err)
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok {
		s.addr.Store(tcp)
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       cmp.Or(s.cfg.IdleTimeout, DefaultIdleTimeout),
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	s.advance(Ready)
	s.log.Info("listening and ready", "addr", ln.Addr().String(), "boot_ms", s.sinceMs(bootAt))
	go func() { serveErr <- srv.Serve(ln) }()
	return srv, serveErr, nil
}

// exitAbruptly is naive mode's answer to the termination signal: every
// connection, in flight or not, is closed without waiting.
func (s *Server) exitAbruptly(srv *http.Server) error {
	err := srv.Close()
	s.advance(Stopped)
	s.log.Info("naive mode: exiting at once; in-flight requests are cut")
	if err != nil {
		return errors.Join(ErrNaiveExit, fmt.Errorf("close: %w", err))
	}
	return ErrNaiveExit
}

// drainAndShutdown fails readiness, keeps serving for the drain window
// (closing each connection after its next answer, see identify), then shuts
// down gracefully.
func (s *Server) drainAndShutdown(srv *http.Server, serveErr <-chan error, signalAt time.Time) error {
	s.advance(Draining)
	s.log.Info("drain started", "drain", s.cfg.Drain.String())
	select {
	case <-s.clock.After(s.cfg.Drain):
	case err := <-serveErr:
		s.advance(Stopped)
		return fmt.Errorf("serve during drain: %w", err)
	}
	s.log.Info("drain finished", "elapsed_ms", s.sinceMs(signalAt))

	shutdownAt := s.clock.Now()
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(ctx)
	s.advance(Stopped)
	if err != nil {
		closeErr := srv.Close()
		return errors.Join(fmt.Errorf("graceful shutdown within %s: %w", s.cfg.ShutdownTimeout, err), closeErr)
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	s.log.Info("shutdown complete",
		"shutdown_ms", s.sinceMs(shutdownAt),
		"since_signal_ms", s.sinceMs(signalAt))
	return nil
}

// advance moves to next, logging (never failing on) a repeated transition,
// which can only happen on an error path.
func (s *Server) advance(next Phase) {
	if err := s.state.Advance(next); err != nil {
		s.log.Debug("phase transition skipped", "error", err.Error())
	}
}

// sinceMs returns the milliseconds elapsed since t on the server's clock.
func (s *Server) sinceMs(t time.Time) int64 {
	return s.clock.Now().Sub(t).Milliseconds()
}
