package verify

import (
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"net/url"
	"time"
)

// Defaults applied by Run to zero-valued Config fields.
const (
	// DefaultRate is the request rate per target, in requests per second.
	DefaultRate = 20
	// DefaultTimeout is the per-request timeout, as in the field report's
	// `curl --max-time 5` loop.
	DefaultTimeout = 5 * time.Second
	// DefaultVersionHeader is the response header that names the version of
	// the application that answered (set by the demo app).
	DefaultVersionHeader = "X-App-Version"
	// DefaultProgressInterval is how often OnProgress and StopWhen are called.
	DefaultProgressInterval = 250 * time.Millisecond
	// stopFilePoll is how often Config.StopFile is checked.
	stopFilePoll = 200 * time.Millisecond
	// catchUpGrace is how long past Duration an attack may run to send the
	// requests it is behind on (a scheduler hiccup, a full worker pool);
	// requests still unsent after that are missing from the report
	// (TargetReport.Requests < TargetReport.Planned).
	catchUpGrace = time.Second
	// initialWorkers is how many workers vegeta starts with; it adds more
	// when all are busy, up to MaxWorkers.
	initialWorkers = 10
)

// Target is one URL to load, with a name for the report ("external" for the
// ALB, "internal" for the Service...).
type Target struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Config describes one verification run. The zero value of every field but
// Targets is usable.
type Config struct {
	// Targets are loaded concurrently, each at Rate. At least one is needed;
	// names must be unique.
	Targets []Target
	// Host, when set, is sent as the Host header (e.g. to reach an Ingress
	// rule by name through an IP address) and, for https targets, is the
	// TLS server name: SNI and the certificate check use it, not the URL's
	// host (an ALB serves the certificate of the host, not of its own DNS
	// name). A port in Host is not part of the server name.
	Host string
	// RootCAs, when set, replaces the system's roots for verifying https
	// targets (a private CA). Verification is never turned off.
	RootCAs *x509.CertPool
	// Rate is the open-loop request rate per target in requests per second
	// (default DefaultRate). Requests are started on schedule whether or not
	// earlier ones have answered.
	Rate int
	// Mix is the request mix (default: short GETs only).
	Mix Mix
	// ClosedLoop, when positive, replaces the open-loop rate by one
	// request at a time per target, the next one sent ClosedLoop after the
	// previous one ended: the field report's `while true; do curl -m 5 ...;
	// sleep 0.5; done` is ClosedLoop 500 ms with Timeout 5 s. Rate and
	// MaxWorkers are then unused. See closedloop.go for why it is not vegeta.
	ClosedLoop time.Duration
	// MaxWorkers caps the requests in flight per target. Zero means
	// Rate × the longest request's timeout (in seconds) + 1: enough to stay
	// open-loop even if every request hangs until its timeout. When the cap is reached, new
	// requests wait for a free worker and the load stops being open-loop.
	MaxWorkers uint64
	// Timeout is the per-request timeout covering connect, headers and body
	// (default DefaultTimeout). A long request of the Mix gets
	// Mix.LongDuration on top: Timeout is the budget beyond what the request
	// asks the server to take.
	Timeout time.Duration
	// Duration bounds the run. Zero runs until ctx is cancelled or a stop
	// condition holds. With a Duration, each target gets exactly
	// floor(Rate × Duration) requests unless stopped earlier (open loop);
	// a closed loop sends no request after Duration.
	Duration time.Duration
	// StopFile, when set, ends the run as soon as a file appears at this
	// path. It must not exist when the run starts.
	StopFile string
	// StopWhen, when set, is called every ProgressInterval with the progress
	// so far; returning true ends the run (e.g. "the new version has
	// answered alone for 10 s").
	StopWhen func(Progress) bool
	// DisableKeepAlive opens a new connection per request. By default
	// connections are reused, as browsers and ALBs do; then the server's
	// handling of idle connections during shutdown matters too.
	DisableKeepAlive bool
	// VersionHeader is the response header naming the application version
	// (default DefaultVersionHeader).
	VersionHeader string
	// OnFailure, when set, is called for every failed request as its result
	// arrives. Calls are serialized.
	OnFailure func(Failure)
	// OnProgress, when set, is called every ProgressInterval.
	OnProgress func(Progress)
	// ProgressInterval is the period of OnProgress and StopWhen (default
	// DefaultProgressInterval).
	ProgressInterval time.Duration
}

// withDefaults returns a copy of c with defaults filled in.
func (c Config) withDefaults() Config {
	if c.Rate == 0 {
		c.Rate = DefaultRate
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.VersionHeader == "" {
		c.VersionHeader = DefaultVersionHeader
	}
	if c.ProgressInterval == 0 {
		c.ProgressInterval = DefaultProgressInterval
	}
	if c.MaxWorkers == 0 {
		c.MaxWorkers = uint64(math.Ceil(float64(c.Rate)*c.LongestTimeout().Seconds())) + 1
	}
	return c
}

// LongestTimeout is the longest a request of the run may take before it
// counts as a timeout: Timeout plus the Mix's long request, if any. A
// request's failure can show up that long after it was sent (callers that
// wait for quiet after the last failure need it); call it on a Config
// with Timeout set, or it counts DefaultTimeout.
func (c Config) LongestTimeout() time.Duration {
	t := c.Timeout
	if t == 0 {
		t = DefaultTimeout
	}
	return t + c.Mix.longest()
}

// validate reports the first problem with a defaulted configuration.
func (c Config) validate() error {
	if len(c.Targets) == 0 {
		return errors.New("no targets")
	}
	seen := make(map[string]bool, len(c.Targets))
	for _, t := range c.Targets {
		if err := validateTarget(t); err != nil {
			return err
		}
		if seen[t.Name] {
			return fmt.Errorf("duplicate target name %q", t.Name)
		}
		seen[t.Name] = true
	}
	switch {
	case c.Rate < 0:
		return fmt.Errorf("rate %d: must be positive", c.Rate)
	case c.Timeout < 0:
		return fmt.Errorf("timeout %s: must be positive", c.Timeout)
	case c.Duration < 0:
		return fmt.Errorf("duration %s: must not be negative", c.Duration)
	case c.ProgressInterval < 0:
		return fmt.Errorf("progress interval %s: must be positive", c.ProgressInterval)
	case c.ClosedLoop < 0:
		return fmt.Errorf("ClosedLoop %s: must not be negative (0: open loop at Rate)", c.ClosedLoop)
	}
	if err := c.Mix.Validate(); err != nil {
		return err
	}
	return nil
}

// validateTarget checks a target's name and URL.
func validateTarget(t Target) error {
	if t.Name == "" {
		return fmt.Errorf("target %q: empty name", t.URL)
	}
	u, err := url.Parse(t.URL)
	if err != nil {
		return fmt.Errorf("target %q: %w", t.Name, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("target %q: URL %q: scheme must be http or https", t.Name, t.URL)
	}
	if u.Host == "" {
		return fmt.Errorf("target %q: URL %q: no host", t.Name, t.URL)
	}
	return nil
}

// planned returns how many requests each target gets: floor(Rate ×
// Duration), or 0 when the run is unbounded or closed-loop (the count then
// depends on how fast the server answers).
func (c Config) planned() uint64 {
	if c.Duration <= 0 || c.ClosedLoop > 0 {
		return 0
	}
	rate, d := uint64(c.Rate), uint64(c.Duration)
	sec := uint64(time.Second)
	return rate*(d/sec) + rate*(d%sec)/sec // integer math: no float rounding, no overflow
}
