package emulator

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/clock"
)

// Default loopback addresses of the emulator's servers.
const (
	DefaultDataPlaneListen = "127.0.0.1:18080"
	DefaultWebhookListen   = "127.0.0.1:19443"
	DefaultDebugListen     = "127.0.0.1:19080"
	eventComponent         = "albemu"
	shutdownTimeout        = 5 * time.Second
)

// Config wires an Emulator. Client is required; the rest has defaults.
type Config struct {
	// Client talks to the apiserver.
	Client kubernetes.Interface
	// Logger receives JSON logs (target state changes, errors...).
	Logger *slog.Logger
	// Clock drives target groups and the controller (default: real clock).
	Clock clock.WithTicker
	// HealthChecker runs the ALB health checks (default: HTTPHealthChecker).
	HealthChecker HealthChecker
	// Recorder emits Kubernetes Events (default: to the apiserver).
	Recorder record.EventRecorder
	// DataPlaneListen, WebhookListen and DebugListen are host:port to listen
	// on (defaults DefaultDataPlaneListen, ...); port 0 picks a free port.
	DataPlaneListen string
	WebhookListen   string
	DebugListen     string
	// WebhookConfigurationName names the MutatingWebhookConfiguration
	// (default DefaultWebhookConfigurationName).
	WebhookConfigurationName string
}

// Emulator is the whole LBC/ALB emulation: controller, data plane, webhook
// and debug servers. New binds the listeners; Run serves until its context ends.
type Emulator struct {
	cfg        Config
	settings   Settings
	log        *slog.Logger
	controller *Controller
	dataPlane  *DataPlane
	certs      certBundle
	webhookURL string

	dataLn, webhookLn, debugLn net.Listener
	broadcaster                record.EventBroadcaster
	ready                      chan struct{}
	closeOnce                  sync.Once

	// webhook serves the pod webhook from Run on; StopLBC and StartLBC
	// stop and restart it.
	webhook *webhookServer
	// policyMu guards settings.WebhookFailurePolicy (SetWebhookFailurePolicy).
	policyMu sync.Mutex
}

// New validates settings, generates the webhook's CA and serving
// certificate, builds the controller and binds the three listeners.
func New(cfg Config, s Settings) (*Emulator, error) {
	if cfg.Client == nil {
		return nil, errors.New("new emulator: Config.Client is required")
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("new emulator: invalid settings: %w", err)
	}
	applyConfigDefaults(&cfg)
	e := &Emulator{cfg: cfg, settings: s, log: cfg.Logger, ready: make(chan struct{})}
	if cfg.Recorder == nil {
		e.broadcaster = record.NewBroadcaster()
		e.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: cfg.Client.CoreV1().Events("")})
		cfg.Recorder = e.broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: eventComponent})
	}
	e.dataPlane = NewDataPlane(s, cfg.Logger)
	ctrl, err := NewController(ControllerOptions{
		Client: cfg.Client, Clock: cfg.Clock, HealthChecker: cfg.HealthChecker,
		Recorder: cfg.Recorder, Logger: cfg.Logger, DataPlane: e.dataPlane,
	}, s)
	if err != nil {
		return nil, fmt.Errorf("new emulator: %w", err)
	}
	e.controller = ctrl
	if err := e.listen(); err != nil {
		e.closeListeners()
		return nil, fmt.Errorf("new emulator: %w", err)
	}
	return e, nil
}

func applyConfigDefaults(cfg *Config) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.HealthChecker == nil {
		cfg.HealthChecker = HTTPHealthChecker()
	}
	if cfg.DataPlaneListen == "" {
		cfg.DataPlaneListen = DefaultDataPlaneListen
	}
	if cfg.WebhookListen == "" {
		cfg.WebhookListen = DefaultWebhookListen
	}
	if cfg.DebugListen == "" {
		cfg.DebugListen = DefaultDebugListen
	}
	if cfg.WebhookConfigurationName == "" {
		cfg.WebhookConfigurationName = DefaultWebhookConfigurationName
	}
}

func (e *Emulator) listen() error {
	var err error
	if e.dataLn, err = net.Listen("tcp", e.cfg.DataPlaneListen); err != nil {
		return fmt.Errorf("listen for the data plane on %s: %w", e.cfg.DataPlaneListen, err)
	}
	if e.webhookLn, err = net.Listen("tcp", e.cfg.WebhookListen); err != nil {
		return fmt.Errorf("listen for the webhook on %s: %w", e.cfg.WebhookListen, err)
	}
	if e.debugLn, err = net.Listen("tcp", e.cfg.DebugListen); err != nil {
		return fmt.Errorf("listen for the debug server on %s: %w", e.cfg.DebugListen, err)
	}
	host, port, err := net.SplitHostPort(e.webhookLn.Addr().String())
	if err != nil {
		return fmt.Errorf("webhook address: %w", err)
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	e.webhookURL = (&url.URL{Scheme: "https", Host: net.JoinHostPort(host, port), Path: WebhookPath}).String()
	if e.certs, err = generateCerts(uniq(host, "127.0.0.1", "localhost"), time.Now()); err != nil {
		return fmt.Errorf("webhook certificates: %w", err)
	}
	return nil
}

func uniq(items ...string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range items {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// DataPlaneAddr is the data plane's host:port (send traffic here, with the
// Ingress rule's host or the Ingress status hostname as Host header).
func (e *Emulator) DataPlaneAddr() string { return e.dataLn.Addr().String() }

// WebhookURL is the URL the MutatingWebhookConfiguration points at.
func (e *Emulator) WebhookURL() string { return e.webhookURL }

// DebugURL is the debug server's base URL; DebugPathTargets lives below it.
func (e *Emulator) DebugURL() string { return "http://" + e.debugLn.Addr().String() }

// CABundle is the PEM CA that signed the webhook's serving certificate.
func (e *Emulator) CABundle() []byte { return append([]byte(nil), e.certs.caPEM...) }

// Ready is closed once the informer caches are synced and every server serves.
func (e *Emulator) Ready() <-chan struct{} { return e.ready }

// Snapshot returns load balancers, routes, target groups and targets.
func (e *Emulator) Snapshot() Snapshot { return e.controller.Snapshot() }

// SetPropagation changes the deregistration propagation distribution of
// every target group, existing and future, from their next deregistration on.
func (e *Emulator) SetPropagation(p Propagation) error {
	if err := p.validate(); err != nil {
		return err
	}
	e.controller.setPropagation(p)
	return nil
}

// Settled tells whether every target group's deregistrations are over as
// far as clients can tell (TargetGroup.Settled); otherwise it names the first
// target that is not done.
func (e *Emulator) Settled() (bool, string) {
	for _, tg := range e.controller.targetGroups() {
		if ok, why := tg.Settled(); !ok {
			return false, why
		}
	}
	return true, ""
}

// Controller returns the emulated LBC (target groups, gate source).
func (e *Emulator) Controller() *Controller { return e.controller }

// EnsureWebhookConfiguration creates or updates the MutatingWebhookConfiguration
// that sends pod CREATEs in namespaces labelled
// elbv2.k8s.aws/pod-readiness-gate-inject=enabled to this emulator's webhook.
func (e *Emulator) EnsureWebhookConfiguration(ctx context.Context) error {
	cfg := WebhookConfiguration(e.cfg.WebhookConfigurationName, e.webhookURL, e.certs.caPEM, e.WebhookFailurePolicy())
	return EnsureWebhookConfiguration(ctx, e.cfg.Client, cfg)
}

// DeleteWebhookConfiguration removes the MutatingWebhookConfiguration (with
// failurePolicy Fail, pods in labelled namespaces cannot be created while
// the emulator is down and the configuration exists).
func (e *Emulator) DeleteWebhookConfiguration(ctx context.Context) error {
	return DeleteWebhookConfiguration(ctx, e.cfg.Client, e.cfg.WebhookConfigurationName)
}

// Close releases the listeners when Run was never called.
func (e *Emulator) Close() error {
	e.closeListeners()
	return nil
}

func (e *Emulator) closeListeners() {
	e.closeOnce.Do(func() {
		for _, ln := range []net.Listener{e.dataLn, e.webhookLn, e.debugLn} {
			if ln != nil {
				_ = ln.Close()
			}
		}
	})
}

// Run serves the data plane and the debug server at once, starts the
// controller, serves the webhook once the caches are synced and the first model is built, and blocks until
// ctx ends or a server fails.
func (e *Emulator) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	defer e.closeListeners()
	if e.broadcaster != nil {
		defer e.broadcaster.Shutdown()
	}
	servers := []*http.Server{
		{Handler: e.dataPlane, ReadHeaderTimeout: 10 * time.Second},
		{Handler: debugHandler(e.Snapshot, e.certs.caPEM, e.ready), ReadHeaderTimeout: 10 * time.Second},
	}
	e.webhook = &webhookServer{
		addr:    e.webhookLn.Addr().String(),
		handler: webhookMux(NewWebhook(e.controller, e.log)),
		tls:     &tls.Config{Certificates: []tls.Certificate{e.certs.serving}, MinVersion: tls.VersionTLS12},
		onError: func(err error) { cancel(err) },
	}
	var wg sync.WaitGroup
	serve := func(srv *http.Server, ln net.Listener, name string) {
		wg.Go(func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				cancel(fmt.Errorf("%s server: %w", name, err))
			}
		})
	}
	serve(servers[0], e.dataLn, "data plane")
	serve(servers[1], e.debugLn, "debug")
	wg.Go(func() {
		if err := e.controller.Run(ctx); err != nil {
			cancel(fmt.Errorf("controller: %w", err))
		}
	})
	if err := e.waitForCaches(ctx); err == nil {
		if err := e.webhook.serve(e.webhookLn); err != nil {
			cancel(err)
		} else {
			close(e.ready)
			e.log.Info("emulator ready", "dataPlane", e.DataPlaneAddr(), "webhook", e.webhookURL, "debug", e.DebugURL())
		}
	}
	<-ctx.Done()
	shutdownCtx, stop := context.WithTimeout(context.Background(), shutdownTimeout)
	defer stop()
	_ = e.webhook.shutdown(shutdownCtx)
	for _, srv := range servers {
		_ = srv.Shutdown(shutdownCtx)
	}
	e.dataPlane.Close()
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// waitForCaches waits until the controller has synced its caches and built
// its first model.
func (e *Emulator) waitForCaches(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-e.controller.ModelBuilt():
		return nil
	}
}

func webhookMux(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(WebhookPath, h)
	return mux
}
