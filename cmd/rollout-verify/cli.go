package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/zdt-eks/zdt/verify"
)

// Exit codes.
const (
	exitOK     = 0 // failures within --max-failures
	exitFailed = 1 // too many failures, or no request completed
	exitUsage  = 2 // bad flags or arguments, or an unbounded non-interactive run
)

// env is the process environment the command runs in (injected for tests).
type env struct {
	stdout, stderr io.Writer
	// stdinTerminal tells whether someone can press Ctrl-C; without one a
	// run must be bounded.
	stdinTerminal bool
	// stderrTerminal enables the live progress line.
	stderrTerminal bool
}

// options are the parsed command-line flags.
type options struct {
	targets       []verify.Target
	host          string
	rootCAs       *x509.CertPool
	rate          int
	maxWorkers    uint64
	timeout       time.Duration
	duration      time.Duration
	stopFile      string
	jsonPath      string
	maxFailures   int64
	versionHeader string
	keepAlive     bool
	mix           verify.Mix
	closedLoop    time.Duration
	// explicit holds the flags given on the command line.
	explicit map[string]bool
}

// usageError is a problem with the command line (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usagef returns a usageError.
func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// run is the whole command; it returns the exit status.
func run(ctx context.Context, args []string, e env) int {
	opts, err := parseArgs(args, e.stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err == nil {
		err = checkBounded(opts, e)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "rollout-verify: %v\n", err)
		return exitUsage
	}
	jsonOut, closeJSON, err := openJSON(opts.jsonPath, e.stdout)
	if err != nil {
		fmt.Fprintf(e.stderr, "rollout-verify: %v\n", err)
		return exitUsage
	}
	defer closeJSON()
	human := e.stdout
	if opts.jsonPath == "-" {
		human = e.stderr // keep stdout pure JSON
	}
	return verifyAndReport(ctx, opts, e, human, jsonOut)
}

// verifyAndReport runs the verification, writes the outputs and returns the
// exit status.
func verifyAndReport(ctx context.Context, opts options, e env, human, jsonOut io.Writer) int {
	d := &display{out: human, progress: e.stderr, live: e.stderrTerminal, prefix: len(opts.targets) > 1}
	fmt.Fprintf(e.stderr, "rollout-verify: %s\n", describe(opts))
	rep, err := verify.Run(ctx, config(opts, d))
	d.clear()
	if err != nil {
		fmt.Fprintf(e.stderr, "rollout-verify: %v\n", err)
		return exitUsage
	}
	if err := verify.WriteTable(human, rep); err != nil {
		fmt.Fprintf(e.stderr, "rollout-verify: %v\n", err)
	}
	if jsonOut != nil {
		if err := writeJSON(jsonOut, rep); err != nil {
			fmt.Fprintf(e.stderr, "rollout-verify: %v\n", err)
			return exitFailed
		}
	}
	return verdict(rep, opts.maxFailures, human)
}

// verdict prints and returns the outcome. A run without a single completed
// request proves nothing and fails.
func verdict(rep *verify.Report, maxFailures int64, w io.Writer) int {
	switch {
	case rep.Requests == 0:
		fmt.Fprintln(w, "\nFAIL: no request completed, nothing was verified")
		return exitFailed
	case rep.Failures > maxFailures:
		fmt.Fprintf(w, "\nFAIL: %d failed requests (allowed: %d)\n", rep.Failures, maxFailures)
		return exitFailed
	default:
		fmt.Fprintf(w, "\nPASS: %d failed requests (allowed: %d)\n", rep.Failures, maxFailures)
		return exitOK
	}
}

// config translates the options into a verify.Config wired to the display.
func config(opts options, d *display) verify.Config {
	cfg := verify.Config{
		Targets:          opts.targets,
		Host:             opts.host,
		RootCAs:          opts.rootCAs,
		Rate:             opts.rate,
		MaxWorkers:       opts.maxWorkers,
		Timeout:          opts.timeout,
		Duration:         opts.duration,
		StopFile:         opts.stopFile,
		DisableKeepAlive: !opts.keepAlive,
		VersionHeader:    opts.versionHeader,
		Mix:              opts.mix,
		ClosedLoop:       opts.closedLoop,
		OnFailure:        d.failure,
	}
	if d.live {
		cfg.OnProgress = d.update
	}
	return cfg
}

// describe summarizes the run for the start banner.
func describe(opts options) string {
	names := make([]string, len(opts.targets))
	for i, t := range opts.targets {
		names[i] = t.Name + "=" + t.URL
	}
	var until []string
	if opts.duration > 0 {
		until = append(until, "for "+opts.duration.String())
	}
	if opts.stopFile != "" {
		until = append(until, "until "+opts.stopFile+" exists")
	}
	until = append(until, "until Ctrl-C")
	load := fmt.Sprintf("at %d req/s each", opts.rate)
	if opts.closedLoop > 0 {
		load = fmt.Sprintf("in a closed loop (one request at a time each, %s between)", opts.closedLoop)
	}
	return fmt.Sprintf("%s %s, %s, %s", strings.Join(names, ", "), load, opts.mix, strings.Join(until, " or "))
}

// parseArgs parses flags and positional URLs, which may be interleaved.
func parseArgs(args []string, stderr io.Writer) (options, error) {
	opts := options{}
	fs := newFlagSet(&opts, stderr)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return opts, err
			}
			return opts, usagef("%v", err)
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	for _, raw := range positional {
		opts.targets = append(opts.targets, verify.Target{Name: positionalName(raw, opts.targets), URL: raw})
	}
	opts.explicit = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { opts.explicit[f.Name] = true })
	return opts, validateOptions(opts)
}

// newFlagSet declares the flags into opts.
func newFlagSet(opts *options, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("rollout-verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Func("target", "`name=URL` to load (repeatable), e.g. external=http://my-alb.example/", func(s string) error {
		t, err := parseTarget(s)
		if err == nil {
			opts.targets = append(opts.targets, t)
		}
		return err
	})
	fs.StringVar(&opts.host, "host", "", "Host header to send, and for https the TLS server name the certificate is verified for (default: the URL's host)")
	fs.Func("cacert", "PEM `file` of CA certificates to verify https targets with instead of the system's", func(path string) error {
		pool, err := loadCACerts(path)
		opts.rootCAs = pool
		return err
	})
	fs.IntVar(&opts.rate, "rate", verify.DefaultRate, "requests per second per target, open loop")
	fs.Uint64Var(&opts.maxWorkers, "max-workers", 0, "max requests in flight per target (default rate × timeout + 1)")
	fs.DurationVar(&opts.timeout, "timeout", verify.DefaultTimeout, "per-request timeout (connect, headers and body)")
	fs.DurationVar(&opts.duration, "duration", 0, "how long to run (default: until --stop-file appears or Ctrl-C)")
	fs.StringVar(&opts.stopFile, "stop-file", "", "stop as soon as this file exists (it must not exist at start)")
	fs.StringVar(&opts.jsonPath, "json", "", "write the full report as JSON to this `file` (- for stdout; the table then goes to stderr)")
	fs.Int64Var(&opts.maxFailures, "max-failures", 0, "failed requests allowed before the exit status is 1")
	fs.StringVar(&opts.versionHeader, "version-header", verify.DefaultVersionHeader, "response header naming the app version")
	fs.BoolVar(&opts.keepAlive, "keepalive", true, "reuse connections (--keepalive=false: one connection per request)")
	fs.IntVar(&opts.mix.LongPercent, "long-percent", 0, "share of long GETs in percent: GET URL?delay=<--long-duration> (the demo app's slow request)")
	fs.DurationVar(&opts.mix.LongDuration, "long-duration", 0, "how long a long GET asks the server to take: the app's longest request (its timeout is this plus --timeout)")
	fs.IntVar(&opts.mix.PostPercent, "post-percent", 0, "share of POSTs in percent (a small JSON body; never retried)")
	fs.DurationVar(&opts.closedLoop, "closed-loop", 0, "closed loop instead of --rate: one request at a time per target, the next this long after the previous one ended (the field report's curl loop: 500ms)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: rollout-verify [flags] [URL...]\n\n"+
			"Sends open-loop load (or a closed loop, --closed-loop) to every target: short GETs,\n"+
			"and long GETs and POSTs in the shares given, and reports each failed request.\n"+
			"Exit status: 0 failures <= --max-failures, 1 more (or no request completed), 2 usage error.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	return fs
}

// loadCACerts reads a PEM file of CA certificates.
func loadCACerts(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}

// parseTarget parses a name=URL pair.
func parseTarget(s string) (verify.Target, error) {
	name, u, ok := strings.Cut(s, "=")
	if !ok || name == "" || u == "" {
		return verify.Target{}, fmt.Errorf("want name=URL, got %q", s)
	}
	return verify.Target{Name: name, URL: u}, nil
}

// positionalName names a positional URL after its host, made unique.
func positionalName(raw string, existing []verify.Target) string {
	name := raw
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		name = u.Host
	}
	taken := func(n string) bool {
		for _, t := range existing {
			if t.Name == n {
				return true
			}
		}
		return false
	}
	unique := name
	for i := 2; taken(unique); i++ {
		unique = fmt.Sprintf("%s#%d", name, i)
	}
	return unique
}

// validateOptions checks what the flag package cannot.
func validateOptions(opts options) error {
	switch {
	case len(opts.targets) == 0:
		return usagef("no target: give URLs or --target name=URL (see -h)")
	case opts.rate <= 0:
		return usagef("--rate %d: must be at least 1", opts.rate)
	case opts.timeout <= 0:
		return usagef("--timeout %s: must be positive", opts.timeout)
	case opts.duration < 0:
		return usagef("--duration %s: must not be negative", opts.duration)
	case opts.maxFailures < 0:
		return usagef("--max-failures %d: must not be negative", opts.maxFailures)
	case opts.closedLoop < 0:
		return usagef("--closed-loop %s: must not be negative", opts.closedLoop)
	case opts.closedLoop > 0 && (opts.explicit["rate"] || opts.explicit["max-workers"]):
		return usagef("--closed-loop sends one request at a time: drop --rate and --max-workers (they set the open loop)")
	}
	if err := opts.mix.Validate(); err != nil {
		return usagef("%s", mixFlagNames.Replace(err.Error()))
	}
	for _, t := range opts.targets {
		u, err := url.Parse(t.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("target %s: %q is not an http(s) URL", t.Name, t.URL)
		}
	}
	if opts.stopFile != "" {
		if _, err := os.Stat(opts.stopFile); err == nil {
			return usagef("--stop-file %s already exists; remove it first", opts.stopFile)
		}
	}
	return nil
}

// mixFlagNames renames verify.Mix's fields to their flags in errors.
var mixFlagNames = strings.NewReplacer(
	"Mix.LongPercent", "--long-percent", "Mix.LongDuration", "--long-duration", "Mix.PostPercent", "--post-percent")

// checkBounded refuses an unbounded run when nobody can press Ctrl-C, so a
// CI job can never hang on it.
func checkBounded(opts options, e env) error {
	if opts.duration > 0 || opts.stopFile != "" || e.stdinTerminal {
		return nil
	}
	return usagef("refusing to run without --duration or --stop-file: stdin is not a terminal, so nothing could stop the run")
}

// openJSON opens the JSON destination before the run so that a bad path is a
// usage error, not a lost report. It returns a nil writer when none is wanted.
func openJSON(path string, stdout io.Writer) (io.Writer, func(), error) {
	switch path {
	case "":
		return nil, func() {}, nil
	case "-":
		return stdout, func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, usagef("--json: %v", err)
	}
	return f, func() { _ = f.Close() }, nil
}

// writeJSON writes the report, indented.
func writeJSON(w io.Writer, rep *verify.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}

// display prints failure lines and, on a terminal, a live progress line.
type display struct {
	out      io.Writer // failure lines
	progress io.Writer // the live line (stderr)
	live     bool
	prefix   bool // several targets: prefix failure lines with the name

	mu      sync.Mutex
	showing bool // a progress line is on screen
}

// failure prints one failure line, clearing the progress line first.
func (d *display) failure(f verify.Failure) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.clearLocked()
	fmt.Fprintln(d.out, verify.FailureLine(f, d.prefix))
}

// update redraws the progress line.
func (d *display) update(p verify.Progress) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fmt.Fprintf(d.progress, "\r\x1b[K%s", progressLine(p))
	d.showing = true
}

// clear removes the progress line.
func (d *display) clear() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.clearLocked()
}

// clearLocked removes the progress line; d.mu must be held.
func (d *display) clearLocked() {
	if d.showing {
		fmt.Fprint(d.progress, "\r\x1b[K")
		d.showing = false
	}
}

// progressLine formats a progress snapshot on one line.
func progressLine(p verify.Progress) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%6.1fs  %d requests  %d failed  %.0f req/s", p.Elapsed.Seconds(), p.Requests, p.Failures, p.Rate)
	if len(p.Targets) > 1 {
		for _, t := range p.Targets {
			fmt.Fprintf(&b, "  | %s %d/%d", t.Name, t.Failures, t.Requests)
		}
	}
	if len(p.Targets) > 0 && p.Targets[0].LastVersion != "" {
		fmt.Fprintf(&b, "  | version %s", p.Targets[0].LastVersion)
	}
	return b.String()
}
