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
	Report    *verify.Report      `json:"report"`
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
	res := Result{Name: name, Propagation: env.Propagation}
	if !alreadyDeployed {
		logf(env, "[%s] deploying %s", name, from)
		if err := d.Deploy(ctx, from); err != nil {
			return res, fmt.Errorf("%s: deploying %s: %w", name, from, err)
		}
	}
	if _, err := waitRolledOut(ctx, env.Client, d.Namespace(), d.Deployment(), env.RolloutTimeout); err != nil {
		return res, fmt.Errorf("%s: %s: %w", name, from, err)
	}
	internalURL, err := serviceURL(ctx, env.Client, d.Namespace(), d.Service())
	if err != nil {
		return res, fmt.Errorf("%s: %w", name, err)
	}
	targets := []verify.Target{{Name: PathExternal, URL: env.ExternalURL}, {Name: PathInternal, URL: internalURL}}
	for _, t := range targets {
		if err := waitServing(ctx, t.URL, d.Host(), from, env.RolloutTimeout); err != nil {
			return res, fmt.Errorf("%s: %s never served on the %s path: %w", name, from, t.Name, err)
		}
	}
	pods, err := watchPods(ctx, env.Client, d.Namespace(), d.Deployment())
	if err != nil {
		return res, fmt.Errorf("%s: %w", name, err)
	}
	defer pods.stop()
	logf(env, "[%s] %s serving on both paths; starting load (%s per path) and rolling to %s", name, from, env.describeLoad(), to)

	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	failures := &failureLog{}
	var (
		wg      sync.WaitGroup
		report  *verify.Report
		loadErr error
		mu      sync.Mutex
		last    verify.Progress
	)
	load := env.loadConfig(targets, d.Host())
	load.OnProgress = func(p verify.Progress) { mu.Lock(); last = p; mu.Unlock() }
	load.OnFailure = failures.add
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Stopping (stopLoad) sends no new request; those in flight, long
		// ones included, complete and are counted before Run returns.
		report, loadErr = verify.Run(loadCtx, load)
	}()
	stopFailureLog := failures.logEverySecond(env, name)
	defer stopFailureLog()
	time.Sleep(2 * time.Second) // a baseline of old-version traffic before the rollout

	before, err := generation(ctx, env.Client, d.Namespace(), d.Deployment())
	if err != nil {
		stopLoad()
		wg.Wait()
		return res, fmt.Errorf("%s: %w", name, err)
	}
	start := time.Now()
	stopWatch := watchComplete(ctx, env.Client, d.Namespace(), d.Deployment(), before)
	deployErr := d.Deploy(ctx, to)
	res.DeploySeconds = time.Since(start).Seconds()
	if deployErr != nil {
		res.DeployError = deployErr.Error()
		logf(env, "[%s] deploy of %s failed after %.1fs: %v", name, to, res.DeploySeconds, deployErr)
	} else {
		logf(env, "[%s] deploy tool returned after %.1fs; waiting for the old pods to go", name, res.DeploySeconds)
		st, err := waitRolledOut(ctx, env.Client, d.Namespace(), d.Deployment(), env.RolloutTimeout)
		if err != nil {
			stopLoad()
			wg.Wait()
			return res, fmt.Errorf("%s: %s: %w", name, to, err)
		}
		res.RolloutSeconds = st.OldPodsGone.Sub(start).Seconds()
		logf(env, "[%s] rollout finished: %.1fs after the deploy started; settling", name, res.RolloutSeconds)
	}
	if done := stopWatch(); !done.IsZero() {
		res.CompleteSeconds = done.Sub(start).Seconds()
	}
	want := to
	if deployErr != nil {
		want = from
	}
	var why string
	settleErr := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, env.RolloutTimeout, true, func(context.Context) (bool, error) {
		mu.Lock()
		p := last
		mu.Unlock()
		var ok bool
		ok, why = Settled(time.Now(), p, len(targets), want, env.Settle, load.LongestTimeout(), env.ALB)
		return ok, nil
	})
	stopLoad()
	wg.Wait()
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
