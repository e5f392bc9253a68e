package verify

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Stop reasons reported in Report.StopReason.
const (
	StopDuration  = "duration"
	StopFile      = "stop-file"
	StopWhen      = "stop-when"
	StopCancelled = "cancelled"
)

// Run loads every target at cfg.Rate (or in a closed loop, cfg.ClosedLoop)
// with cfg.Mix until cfg.Duration elapses, ctx is cancelled, cfg.StopFile
// appears or cfg.StopWhen returns true, then waits for the requests in
// flight (each at most its timeout) and returns the report. Cancelling ctx
// is a normal way to end a run: the report is still returned. Errors are
// returned only for an invalid configuration.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("verify: invalid config: %w", err)
	}
	if err := checkStopFileAbsent(cfg.StopFile); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	r, err := newRun(cfg)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	r.start()
	reason := r.watch(ctx)
	r.wait()
	return r.report(reason), nil
}

// checkStopFileAbsent refuses a stop file that already exists: a leftover
// from an earlier run would end this one at once and prove nothing.
func checkStopFileAbsent(path string) error {
	if path == "" {
		return nil
	}
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return fmt.Errorf("stop file %s already exists; remove it before starting", path)
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("stop file: %w", err)
	}
	return nil
}

// run is one verification in progress.
type run struct {
	cfg       Config
	began     time.Time
	targets   []*targetRun
	done      chan struct{} // closed when every target's results are consumed
	stopped   atomic.Bool   // set when a stop condition ended the run
	stopCh    chan struct{} // closed with stopped set (wakes closed loops)
	stopOnce  sync.Once
	failureMu sync.Mutex // serializes cfg.OnFailure
}

// targetRun is the load on one target.
type targetRun struct {
	target    Target
	plan      *mixPlan
	attacker  *vegeta.Attacker
	client    *http.Client
	transport *classifyingTransport
	agg       *aggregator
}

// newRun prepares the mix, attackers and aggregators for every target.
func newRun(cfg Config) (*run, error) {
	r := &run{cfg: cfg, began: time.Now(), done: make(chan struct{}), stopCh: make(chan struct{})}
	for _, t := range cfg.Targets {
		plan, err := newMixPlan(cfg.Mix, t.URL, cfg.Host, cfg.Timeout)
		if err != nil {
			return nil, fmt.Errorf("target %q: %w", t.Name, err)
		}
		tr := newTransport(!cfg.DisableKeepAlive, cfg.Timeout, tlsConfig(cfg), plan)
		client := newClient(tr)
		r.targets = append(r.targets, &targetRun{
			target:    t,
			plan:      plan,
			transport: tr,
			client:    client,
			attacker:  newAttacker(cfg, client),
			agg:       newAggregator(t, r.began, cfg.VersionHeader),
		})
	}
	return r, nil
}

// newClient is the HTTP client of one target. The request timeout is
// enforced by the transport (see classifyingTransport), so the client has
// none. Redirects are not followed: a 3xx is what the client got.
func newClient(tr *classifyingTransport) *http.Client {
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// newAttacker builds a vegeta Attacker around the target's client. Bodies
// are read to the end (so connections can be reused) but not kept.
func newAttacker(cfg Config, client *http.Client) *vegeta.Attacker {
	return vegeta.NewAttacker(
		vegeta.Client(client),
		vegeta.Redirects(vegeta.NoFollow),
		vegeta.Workers(min(initialWorkers, cfg.MaxWorkers)),
		vegeta.MaxWorkers(cfg.MaxWorkers),
		vegeta.MaxBody(0),
	)
}

// start begins the attack on every target and the consumers of the results.
func (r *run) start() {
	var wg sync.WaitGroup
	for _, t := range r.targets {
		results := r.load(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.consume(t, results)
		}()
	}
	go func() {
		wg.Wait()
		close(r.done)
	}()
}

// load starts the target's load, open loop (vegeta) or closed loop, and
// returns its results.
func (r *run) load(t *targetRun) <-chan *vegeta.Result {
	if r.cfg.ClosedLoop > 0 {
		return r.closedLoop(t)
	}
	return t.attacker.Attack(r.targeter(t), r.pacer(), r.attackDuration(), t.target.Name)
}

// errStopped is returned by the targeter once the run is stopping.
var errStopped = errors.New("verify: run stopped before this request was sent")

// targeter returns a vegeta Targeter that yields the target's mix, in its
// fixed pattern (vegeta's round-robin static targeter), until the run is
// stopped. Attacker.Stop is not immediate: the attack loop selects at
// random between handing one more tick to an idle worker and noticing the
// stop, so a request could still be sent after a stop condition held (seconds
// later at low rates). Failing the targeter instead makes vegeta emit a
// result that was never sent, which consume drops.
func (r *run) targeter(t *targetRun) vegeta.Targeter {
	static, err := t.plan.targeter()
	if err != nil {
		return func(*vegeta.Target) error { return err }
	}
	return func(out *vegeta.Target) error {
		if r.stopped.Load() {
			return errStopped
		}
		return static(out)
	}
}

// pacer returns the constant-rate pacer, capped at the planned number of
// requests when the run has a duration, and ended by a stop condition.
// vegeta alone sends one request past the duration for some rate/duration
// pairs and one fewer when the clock overshoots; the cap plus
// attackDuration's grace make the count exact.
func (r *run) pacer() vegeta.Pacer {
	rate := vegeta.Rate{Freq: r.cfg.Rate, Per: time.Second}
	limit := r.cfg.planned()
	return boundedPacer{ConstantPacer: rate, limit: limit, stopped: &r.stopped}
}

// boundedPacer is a constant pacer that stops after limit hits (0: no
// limit) or once the run is stopped, so that the attack loop ends without
// waiting for its random select to notice Attacker.Stop. vegeta has no pacer
// with a hit limit.
type boundedPacer struct {
	vegeta.ConstantPacer
	limit   uint64
	stopped *atomic.Bool
}

// Pace implements vegeta.Pacer.
func (p boundedPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if (p.limit > 0 && hits >= p.limit) || p.stopped.Load() {
		return 0, true
	}
	return p.ConstantPacer.Pace(elapsed, hits)
}

// attackDuration is the hard time bound given to vegeta: Duration plus the
// catch-up grace, or 0 (unbounded) without a Duration.
func (r *run) attackDuration() time.Duration {
	if r.cfg.Duration <= 0 {
		return 0
	}
	return r.cfg.Duration + catchUpGrace
}

// consume classifies and aggregates one target's results until the attack
// ends.
func (r *run) consume(t *targetRun, results <-chan *vegeta.Result) {
	defer t.transport.close()
	for res := range results {
		if res.Code == 0 && res.URL == "" && res.Error == errStopped.Error() {
			continue // never sent, see targeter
		}
		o := r.classify(t, res)
		t.agg.add(o)
		if o.class.Failed() && r.cfg.OnFailure != nil {
			r.failureMu.Lock()
			r.cfg.OnFailure(Failure{
				Target: t.target.Name, Kind: o.kind, Class: o.class, Time: o.sent,
				Latency: o.latency, Error: o.err,
			})
			r.failureMu.Unlock()
		}
	}
}

// classify turns a vegeta result into an outcome. vegeta sets Code only when
// a complete response was read; Code 0 means a transport or body error, whose
// typed class the transport recorded under the result's sequence number.
func (r *run) classify(t *targetRun, res *vegeta.Result) outcome {
	o := outcome{sent: res.Timestamp, latency: res.Latency, kind: KindGet}
	if pr, ok := t.plan.lookup(res.Method, res.URL); ok {
		o.kind = pr.kind
	}
	recorded, ok := t.transport.take(res.Seq)
	switch {
	case res.Code != 0:
		o.class = StatusClass(int(res.Code))
		o.version = res.Headers.Get(r.cfg.VersionHeader)
	case ok:
		o.class, o.err = recorded, res.Error
	default: // the request could not even be built
		o.class, o.err = ClassOther, res.Error
	}
	return o
}

// watch waits for the end of the run and returns why it ended. On a stop
// condition it stops every attacker; in-flight requests still complete.
func (r *run) watch(ctx context.Context) string {
	var tick <-chan time.Time
	if r.cfg.OnProgress != nil || r.cfg.StopWhen != nil {
		t := time.NewTicker(r.cfg.ProgressInterval)
		defer t.Stop()
		tick = t.C
	}
	var poll <-chan time.Time
	if r.cfg.StopFile != "" {
		t := time.NewTicker(stopFilePoll)
		defer t.Stop()
		poll = t.C
	}
	rate := newRateMeter(r.began)
	for {
		select {
		case <-r.done:
			return StopDuration
		case <-ctx.Done():
			return r.stop(StopCancelled)
		case <-poll:
			if _, err := os.Stat(r.cfg.StopFile); err == nil {
				return r.stop(StopFile)
			}
		case now := <-tick:
			p := r.progress(now, rate)
			if r.cfg.OnProgress != nil {
				r.cfg.OnProgress(p)
			}
			if r.cfg.StopWhen != nil && r.cfg.StopWhen(p) {
				return r.stop(StopWhen)
			}
		}
	}
}

// stop tells every attacker and closed loop to stop sending and returns
// reason. Requests in flight are not cancelled: they complete (at most their
// timeout) and are counted.
func (r *run) stop(reason string) string {
	r.stopped.Store(true)
	r.stopOnce.Do(func() { close(r.stopCh) })
	for _, t := range r.targets {
		t.attacker.Stop()
	}
	return reason
}

// wait blocks until every result has been consumed.
func (r *run) wait() { <-r.done }

// progress snapshots every target.
func (r *run) progress(now time.Time, rate *rateMeter) Progress {
	p := Progress{Elapsed: now.Sub(r.began)}
	for _, t := range r.targets {
		tp := t.agg.progress()
		p.Requests += tp.Requests
		p.Failures += tp.Failures
		p.Targets = append(p.Targets, tp)
	}
	p.Rate = rate.update(now, p.Requests)
	return p
}

// report assembles the final report.
func (r *run) report(reason string) *Report {
	ended := time.Now()
	rep := &Report{
		Started:         r.began,
		Ended:           ended,
		DurationSeconds: ended.Sub(r.began).Seconds(),
		StopReason:      reason,
		Settings:        r.settings(),
	}
	for _, t := range r.targets {
		tr := t.agg.report(r.cfg.planned())
		rep.Requests += tr.Requests
		rep.Failures += tr.Failures
		rep.Targets = append(rep.Targets, tr)
	}
	return rep
}

// settings echoes the effective configuration.
func (r *run) settings() Settings {
	return Settings{
		Rate:              r.cfg.Rate,
		MaxWorkers:        r.cfg.MaxWorkers,
		Mix:               mixSettings(r.cfg.Mix),
		ClosedLoopSeconds: r.cfg.ClosedLoop.Seconds(),
		TimeoutSeconds:    r.cfg.Timeout.Seconds(),
		DurationSeconds:   r.cfg.Duration.Seconds(),
		StopFile:          r.cfg.StopFile,
		Host:              r.cfg.Host,
		KeepAlive:         !r.cfg.DisableKeepAlive,
		VersionHeader:     r.cfg.VersionHeader,
	}
}

// rateMeter computes the completion rate between successive snapshots.
type rateMeter struct {
	last     time.Time
	lastSeen int64
}

// newRateMeter starts measuring at t.
func newRateMeter(t time.Time) *rateMeter { return &rateMeter{last: t} }

// update returns the requests per second completed since the last update.
func (m *rateMeter) update(now time.Time, total int64) float64 {
	dt := now.Sub(m.last).Seconds()
	if dt <= 0 {
		return 0
	}
	rate := float64(total-m.lastSeen) / dt
	m.last, m.lastSeen = now, total
	return rate
}
