package scenario

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/zdt-eks/zdt/verify"
)

// Env is what every scenario shares: the same cluster, emulator, load and
// app images, so that scenarios differ only in their manifests.
type Env struct {
	// Client talks to the lab's apiserver.
	Client kubernetes.Interface
	// ExternalURL is the emulated ALB's data plane (e.g. http://127.0.0.1:18080/).
	ExternalURL string
	// Images maps an app version ("v1", "v2") to its image reference.
	Images map[string]string
	// BootSeconds is the demo app's boot delay (the field report's 10 s).
	BootSeconds int
	// Rate is the verifier's open-loop rate per path (req/s).
	Rate int
	// ClosedLoop, when positive, loads each path in a closed loop instead
	// of at Rate: one request at a time, the next ClosedLoop after the
	// previous one ended (the field report's curl loop: 500 ms).
	ClosedLoop time.Duration
	// Mix is the verifier's request mix on every path: short GETs, long
	// GETs of the app's longest request, POSTs.
	Mix verify.Mix
	// Timeout is the verifier's per-request timeout (the field report's 5 s);
	// long requests get their delay on top.
	Timeout time.Duration
	// Settle is how long the new version must answer alone on every path
	// before a rollout counts as finished.
	Settle time.Duration
	// RolloutTimeout bounds one rollout.
	RolloutTimeout time.Duration
	// ALB tells whether the emulated ALB still routes to, or drains requests
	// of, a deregistered target; a rollout's measurement ends only when it
	// does not (nil: not checked). When it also implements Drainer, each
	// result records when the ALB was done with the old targets.
	ALB Settler
	// Propagation names the emulated deregistration propagation the rollout
	// runs under, for the report.
	Propagation string
	// LBC names the emulated LBC's behaviour (v3.5 or v2), for the report.
	LBC string
	// HealthChecks names the emulated ALB's health checks (per-node/any,
	// per-node/all or shared), for the report.
	HealthChecks string
	// Log receives progress lines a person can read.
	Log io.Writer
}

// Settler is the emulated ALB's view of whether deregistrations are over.
type Settler interface {
	// Settled is false, with the reason, while a deregistered target still
	// gets new requests on some ALB node or has requests in flight.
	Settled() (bool, string)
}

// Deployer deploys one version of a scenario's app and returns when the
// deployment tool considers it done (kubectl-style apply, or `pulumi up`).
type Deployer interface {
	// Deploy applies the given version.
	Deploy(ctx context.Context, version string) error
	// Namespace and Deployment name the rolled Deployment; Service names its
	// Service (for the internal path); Host is the Ingress host.
	Namespace() string
	Deployment() string
	Service() string
	Host() string
}

// Result is one scenario's measurement.
type Result struct {
	Name string `json:"name"`
	// Propagation is the emulated ALB's deregistration propagation setting
	// the row was measured at.
	Propagation string `json:"propagation,omitempty"`
	// LBC is the emulated LBC behaviour the row was measured with (v3.5:
	// reconciles on pod events; v2: requeue and EndpointSlice events only).
	LBC string `json:"lbc,omitempty"`
	// HealthChecks is how the emulated ALB checked targets: per-node/any
	// (each node on its own, the gate on the first node's pass),
	// per-node/all or shared (one view for every node).
	HealthChecks string `json:"healthChecks,omitempty"`
	// RolloutSeconds runs from the start of the v2 deploy until no old pod
	// is left.
	RolloutSeconds float64 `json:"rolloutSeconds"`
	// CompleteSeconds runs from the start of the v2 deploy until a watcher
	// started with it first saw the Deployment's status complete for the
	// new generation (all replicas updated and available, no old one): what
	// the deploy tool should wait for. 0 when it never completed.
	CompleteSeconds float64 `json:"completeSeconds"`
	// DeploySeconds is how long the deploy tool itself took for v2.
	DeploySeconds float64 `json:"deploySeconds"`
	// BoundarySeconds is the timing model's predicted boundary for the app
	// as deployed, in the scenarios that test it (0 elsewhere).
	BoundarySeconds int `json:"boundarySeconds,omitempty"`
	// MeasuredSeconds runs from the start of the v2 deploy until the load
	// stopped: the rollout was over on every path and in the emulated ALB.
	MeasuredSeconds float64 `json:"measuredSeconds"`
	// ALBDoneSeconds runs from the start of the v2 deploy until the last
	// old pod's target left draining on the emulated ALB (the end of its
	// deregistration delay, the emulator's record); ALBDonePending says it
	// had not yet when the measurement ended, so the time is the
	// emulator's schedule. 0 when not known (an old pod's target was never
	// deregistered, or the ALB keeps no record).
	ALBDoneSeconds float64 `json:"albDoneSeconds,omitempty"`
	ALBDonePending bool    `json:"albDonePending,omitempty"`
	// Batches break the rollout down per batch of new pods (batches.go).
	Batches []Batch `json:"batches,omitempty"`
	// Floor is the timing model's least time for the rollout, computed by
	// the lab from the live objects (nil when not computed).
	Floor *Floor `json:"floor,omitempty"`
	// DeployError is the deploy tool's error for v2, if any (expected in
	// fault scenarios).
	DeployError string `json:"deployError,omitempty"`
	// Predicted are the failure classes `zdt check` predicts per path for
	// the app's objects as deployed, with the lab's inputs (the demo app's
	// boot, the emulated propagation's longest draw); Findings names its
	// findings at warning or above.
	Predicted map[string][]string `json:"predicted"`
	Findings  []string            `json:"findings,omitempty"`
	// Fault is what a fault scenario observed beside the load (nil in the
	// others).
	Fault  *Fault         `json:"fault,omitempty"`
	Report *verify.Report `json:"report"`
}

// Paths of the verifier.
const (
	PathExternal = "external"
	PathInternal = "internal"
)

// Rollout measures one rollout under load: deploy `from` (unless the
// scenario already runs it) and wait until both paths serve it, start the
// verifier on the external (emulated ALB) and internal (ClusterIP) paths,
// deploy `to`, wait until no old pod is left and `to` alone has answered on
// both paths for env.Settle, then stop the load. When deploying `to` fails
// (a fault scenario), it waits instead until `from` alone has answered for
// env.Settle: a failed rollout must leave the old version serving.
func Rollout(ctx context.Context, env Env, name string, d Deployer, from, to string, alreadyDeployed bool) (Result, error) {
	return UnderLoad(ctx, env, name, d, from, alreadyDeployed, RollTo(env, name, d, from, to, nil))
}

// Action is what UnderLoad measures: a change to the running app.
type Action struct {
	// What says what it does, for the progress lines ("rolling to v2").
	What string
	// Run makes the change while the load runs, records its timings in res
	// and returns the version that must then answer alone on every path; an
	// error means it could not finish (the measurement stops).
	Run func(ctx context.Context, res *Result) (want string, err error)
}

// UnderLoad measures an action under load: deploy `from` (unless the
// scenario already runs it) and wait until both paths serve it, start the
// verifier on the external (emulated ALB) and internal (ClusterIP) paths,
// run the action after a baseline of `from` traffic, wait until the version
// it names has answered alone with no failure as Settled requires, then
// stop the load. Every measurement of the lab goes through here, so each
// ends by the same rule.
func UnderLoad(ctx context.Context, env Env, name string, d Deployer, from string, alreadyDeployed bool, act Action) (Result, error) {
	res := Result{Name: name, Propagation: env.Propagation, LBC: env.LBC, HealthChecks: env.HealthChecks}
	targets, err := prepare(ctx, env, name, d, from, alreadyDeployed)
	if err != nil {
		return res, err
	}
	pods, err := watchPods(ctx, env.Client, d.Namespace(), d.Deployment())
	if err != nil {
		return res, fmt.Errorf("%s: %w", name, err)
	}
	defer pods.stop()
	logf(env, "[%s] %s serving on both paths; starting load (%s per path) and %s", name, from, env.describeLoad(), act.What)
	l := startLoad(ctx, env, name, d, targets)
	defer l.stopFailureLog()
	time.Sleep(2 * time.Second) // a baseline of old-version traffic before the action

	start := time.Now()
	want, actErr := act.Run(ctx, &res)
	if actErr != nil {
		_, _ = l.stop()
		return res, fmt.Errorf("%s: %w", name, actErr)
	}
	var why string
	settleErr := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, env.RolloutTimeout, true, func(context.Context) (bool, error) {
		var ok bool
		ok, why = Settled(time.Now(), l.progress(), len(targets), want, env.Settle, l.longestTimeout, env.ALB)
		return ok, nil
	})
	report, loadErr := l.stop()
	res.MeasuredSeconds = time.Since(start).Seconds()
	if loadErr != nil {
		return res, fmt.Errorf("%s: load: %w", name, loadErr)
	}
	res.Report = report
	if err := pods.finish(ctx, env, d, start, &res); err != nil {
		return res, fmt.Errorf("%s: %w", name, err)
	}
	if settleErr != nil {
		// The measurement is kept (it shows what clients saw), but a rollout
		// whose expected version never answered alone did not finish.
		return res, fmt.Errorf("%s: the rollout's traffic never settled (%s): %w", name, why, settleErr)
	}
	logf(env, "[%s] done: %d requests, %d failed", name, report.Requests, report.Failures)
	return res, nil
}

// prepare deploys `from` unless the app runs it already, waits until it is
// rolled out and answers on both paths, and returns the verifier's targets.
func prepare(ctx context.Context, env Env, name string, d Deployer, from string, alreadyDeployed bool) ([]verify.Target, error) {
	if !alreadyDeployed {
		logf(env, "[%s] deploying %s", name, from)
		if err := d.Deploy(ctx, from); err != nil {
			return nil, fmt.Errorf("%s: deploying %s: %w", name, from, err)
		}
	}
	if _, err := waitRolledOut(ctx, env.Client, d.Namespace(), d.Deployment(), env.RolloutTimeout); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", name, from, err)
	}
	internalURL, err := serviceURL(ctx, env.Client, d.Namespace(), d.Service())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	targets := []verify.Target{{Name: PathExternal, URL: env.ExternalURL}, {Name: PathInternal, URL: internalURL}}
	for _, t := range targets {
		if err := waitServing(ctx, t.URL, d.Host(), from, env.RolloutTimeout); err != nil {
			return nil, fmt.Errorf("%s: %s never served on the %s path: %w", name, from, t.Name, err)
		}
	}
	if err := waitALBSettled(ctx, env.ALB, env.RolloutTimeout); err != nil {
		return nil, fmt.Errorf("%s: before the load: %w", name, err)
	}
	return targets, nil
}

// waitALBSettled waits until the emulated ALB (nil: none) neither routes to
// a deregistered target on any node nor drains one with requests in flight,
// so that a measurement starts from a settled ALB. Deploying `from` can
// itself be a rollout (an app left at another version by an earlier run):
// its old targets would otherwise still be routed when the load starts, and
// their failures counted against the rollout being measured.
func waitALBSettled(ctx context.Context, alb Settler, timeout time.Duration) error {
	if alb == nil {
		return nil
	}
	last := ""
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		ok, why := alb.Settled()
		last = why
		return ok, nil
	})
	if err != nil {
		return fmt.Errorf("the ALB never settled (%s): %w", last, err)
	}
	return nil
}

// load is the verifier running on every path.
type load struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	report *verify.Report
	err    error
	mu     sync.Mutex
	last   verify.Progress
	// longestTimeout is the timeout of the load's longest request.
	longestTimeout time.Duration
	stopFailureLog func()
}

// startLoad starts the verifier on targets with env's load (loadConfig),
// its failures logged once a second.
func startLoad(ctx context.Context, env Env, name string, d Deployer, targets []verify.Target) *load {
	loadCtx, cancel := context.WithCancel(ctx)
	l := &load{cancel: cancel}
	failures := &failureLog{}
	cfg := env.loadConfig(targets, d.Host())
	cfg.OnProgress = func(p verify.Progress) { l.mu.Lock(); l.last = p; l.mu.Unlock() }
	cfg.OnFailure = failures.add
	l.longestTimeout = cfg.LongestTimeout()
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		// Stopping sends no new request; those in flight, long ones
		// included, complete and are counted before Run returns.
		l.report, l.err = verify.Run(loadCtx, cfg)
	}()
	l.stopFailureLog = failures.logEverySecond(env, name)
	return l
}

// progress is the verifier's latest progress.
func (l *load) progress() verify.Progress {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}

// stop ends the load and returns the verifier's report.
func (l *load) stop() (*verify.Report, error) {
	l.cancel()
	l.wg.Wait()
	return l.report, l.err
}

// RollTo is the Action of a rollout from -> to: deploy `to` and wait until
// no old pod is left; when the deploy tool fails, `from` must go on serving
// alone. during, when not nil, runs beside the deploy tool from its start
// (a fault the rollout goes through); deployed is closed when the tool has
// returned. The rollout fails when during does.
func RollTo(env Env, name string, d Deployer, from, to string, during func(ctx context.Context, deployed <-chan struct{}) error) Action {
	return Action{What: "rolling to " + to, Run: func(ctx context.Context, res *Result) (string, error) {
		before, err := generation(ctx, env.Client, d.Namespace(), d.Deployment())
		if err != nil {
			return "", err
		}
		start := time.Now()
		stopWatch := watchComplete(ctx, env.Client, d.Namespace(), d.Deployment(), before)
		defer func() {
			if done := stopWatch(); !done.IsZero() {
				res.CompleteSeconds = done.Sub(start).Seconds()
			}
		}()
		returned, deployErr, duringErr := deployBeside(ctx, d, to, during)
		res.DeploySeconds = returned.Sub(start).Seconds()
		if deployErr != nil {
			res.DeployError = deployErr.Error()
			logf(env, "[%s] deploy of %s failed after %.1fs: %v", name, to, res.DeploySeconds, deployErr)
		}
		if duringErr != nil {
			return "", duringErr
		}
		if deployErr != nil {
			return from, nil
		}
		logf(env, "[%s] deploy tool returned after %.1fs; waiting for the old pods to go", name, res.DeploySeconds)
		st, err := waitRolledOut(ctx, env.Client, d.Namespace(), d.Deployment(), env.RolloutTimeout)
		if err != nil {
			return "", fmt.Errorf("%s: %w", to, err)
		}
		res.RolloutSeconds = st.OldPodsGone.Sub(start).Seconds()
		logf(env, "[%s] rollout finished: %.1fs after the deploy started; settling", name, res.RolloutSeconds)
		return to, nil
	}}
}

// deployBeside deploys version with during (when not nil) running beside
// the deploy tool, and returns, once both are over, when the tool returned,
// its error and during's.
func deployBeside(ctx context.Context, d Deployer, version string, during func(ctx context.Context, deployed <-chan struct{}) error) (returned time.Time, deployErr, duringErr error) {
	if during == nil {
		err := d.Deploy(ctx, version)
		return time.Now(), err, nil
	}
	deployed := make(chan struct{})
	go func() {
		defer close(deployed)
		deployErr = d.Deploy(ctx, version)
		returned = time.Now()
	}()
	duringErr = during(ctx, deployed)
	<-deployed
	return returned, deployErr, duringErr
}

// loadConfig is the verifier's configuration for a rollout's load on targets.
func (env Env) loadConfig(targets []verify.Target, host string) verify.Config {
	return verify.Config{
		Targets: targets, Host: host, Rate: env.Rate, ClosedLoop: env.ClosedLoop, Mix: env.Mix, Timeout: env.Timeout,
	}
}

// describeLoad names the load for progress lines ("20 req/s, 70% get, ...").
func (env Env) describeLoad() string {
	if env.ClosedLoop > 0 {
		return fmt.Sprintf("closed loop, %s between requests, %s", env.ClosedLoop, env.Mix)
	}
	return fmt.Sprintf("%d req/s, %s", env.Rate, env.Mix)
}

// Settled decides when a rollout's measurement may end, so that no failure
// goes uncounted: every path has answered with the expected version alone
// for the settle window, no failure was sent within the settle window plus
// the longest request's timeout (a failure restarts the window, and a
// request sent just before it, a long one especially, may still fail: its
// failure shows up only when it ends, up to that long after it was sent),
// and the emulated ALB neither routes
// new requests to a deregistered target on any node nor has requests in
// flight on one. It returns the reason when not.
func Settled(now time.Time, p verify.Progress, paths int, want string, settle, timeout time.Duration, alb Settler) (bool, string) {
	if len(p.Targets) != paths {
		return false, "no progress on every path yet"
	}
	for _, t := range p.Targets {
		switch {
		case t.LastVersion != want:
			return false, fmt.Sprintf("%s path last answered %q, want %q", t.Name, t.LastVersion, want)
		case now.Sub(t.VersionSince) < settle:
			return false, fmt.Sprintf("%s path answered %s alone for %s only", t.Name, want, now.Sub(t.VersionSince).Round(time.Millisecond))
		case !t.LastFailure.IsZero() && now.Sub(t.LastFailure) < settle+timeout:
			return false, fmt.Sprintf("%s path failed a request %s ago", t.Name, now.Sub(t.LastFailure).Round(time.Millisecond))
		}
	}
	if alb != nil {
		if ok, why := alb.Settled(); !ok {
			return false, "ALB: " + why
		}
	}
	return true, ""
}

// serviceURL is the Service's ClusterIP address, reachable from the host
// through kube-proxy's rules (the internal path).
func serviceURL(ctx context.Context, cs kubernetes.Interface, ns, name string) (string, error) {
	svc, err := cs.CoreV1().Services(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("reading service %s/%s: %w", ns, name, err)
	}
	if svc.Spec.ClusterIP == "" || len(svc.Spec.Ports) == 0 {
		return "", fmt.Errorf("service %s/%s has no ClusterIP or port", ns, name)
	}
	return fmt.Sprintf("http://%s:%d/", svc.Spec.ClusterIP, svc.Spec.Ports[0].Port), nil
}

// waitServing polls url until it answers 200 from the given version five
// times in a row.
func waitServing(ctx context.Context, url, host, version string, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	streak := 0
	return wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false, err
		}
		if host != "" {
			req.Host = host
		}
		resp, err := client.Do(req)
		if err != nil {
			streak = 0
			return false, nil
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK && resp.Header.Get(verify.DefaultVersionHeader) == version {
			streak++
		} else {
			streak = 0
		}
		return streak >= 5, nil
	})
}

func logf(env Env, format string, args ...any) {
	if env.Log == nil {
		return
	}
	fmt.Fprintf(env.Log, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// failureLog condenses the verifier's failure lines (one per request, in the
// field report's style) into one line per second and path, so a rollout that
// fails hundreds of requests stays readable.
type failureLog struct {
	mu     sync.Mutex
	counts map[string]map[string]int // "15:04:05 path" -> class -> count
	order  []string
}

func (l *failureLog) add(f verify.Failure) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.counts == nil {
		l.counts = map[string]map[string]int{}
	}
	key := f.Time.Format("15:04:05") + " " + f.Target
	if l.counts[key] == nil {
		l.counts[key] = map[string]int{}
		l.order = append(l.order, key)
	}
	l.counts[key][string(f.Class)]++
}

func (l *failureLog) flush(env Env, name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, key := range l.order {
		byClass := map[string]int64{}
		for c, n := range l.counts[key] {
			byClass[c] = int64(n)
		}
		logf(env, "[%s]   failed at %s: %s", name, key, classes(byClass))
	}
	l.counts, l.order = nil, nil
}

// logEverySecond flushes the log every second until the returned func is called.
func (l *failureLog) logEverySecond(env Env, name string) func() {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				l.flush(env, name)
			case <-done:
				l.flush(env, name)
				return
			}
		}
	}()
	return func() { close(done); <-stopped }
}
