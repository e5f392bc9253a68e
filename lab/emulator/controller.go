package emulator

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	networkinglisters "k8s.io/client-go/listers/networking/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
)

// Queue keys: the model (Ingresses -> target groups, routes, status) and one
// key per target group (registrations and readiness gates).
const (
	modelKey       = "model"
	targetGroupKey = "tg/"
	workers        = 2
)

// Kubernetes Event reasons the emulator emits on Ingresses.
const (
	// EventReasonUnsupportedTargetType: a backend's target type is not ip.
	EventReasonUnsupportedTargetType = "UnsupportedTargetType"
	// EventReasonFailedBuildModel: the LBC's reason when an Ingress cannot be
	// turned into a load balancer (invalid annotation, missing Service...).
	EventReasonFailedBuildModel = "FailedBuildModel"
	// EventReasonSuccessfullyReconciled: the LBC's reason after a reconcile.
	EventReasonSuccessfullyReconciled = "SuccessfullyReconciled"
)

// IngressFinalizer is the finalizer the LBC puts on the Ingresses it manages.
const IngressFinalizer = "ingress.k8s.aws/resources"

// ControllerOptions are the collaborators of a Controller; zero values get
// working defaults except Client, which is required.
type ControllerOptions struct {
	Client        kubernetes.Interface
	Clock         clock.WithTicker
	HealthChecker HealthChecker
	Recorder      record.EventRecorder
	Logger        *slog.Logger
	DataPlane     *DataPlane
}

// Controller is the emulated LBC: it watches Ingresses, Services,
// EndpointSlices and Pods, keeps one TargetGroup per ip backend, writes the
// Ingress status, runs health checks and maintains readiness gates.
type Controller struct {
	client    kubernetes.Interface
	settings  Settings
	clock     clock.WithTicker
	check     HealthChecker
	recorder  record.EventRecorder
	log       *slog.Logger
	dataPlane *DataPlane

	factory   informers.SharedInformerFactory
	ingresses networkinglisters.IngressLister
	services  corelisters.ServiceLister
	slices    discoverylisters.EndpointSliceLister
	pods      corelisters.PodLister
	synced    []cache.InformerSynced
	queue     workqueue.TypedRateLimitingInterface[string]

	modelOnce  sync.Once
	modelBuilt chan struct{}
	// gate holds the workers while the LBC is stopped (outage.go).
	gate runGate

	mu            sync.RWMutex
	groups        map[string]*managedGroup
	loadBalancers []LoadBalancerView
}

// managedGroup is a target group and what it was built from.
type managedGroup struct {
	tg           *TargetGroup
	namespace    string
	service      string
	port         intstr.IntOrString
	loadBalancer string
	ingresses    []string
}

// NewController wires a controller; Run starts it.
func NewController(opts ControllerOptions, s Settings) (*Controller, error) {
	if opts.Client == nil {
		return nil, fmt.Errorf("new controller: a Kubernetes client is required")
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("new controller: invalid settings: %w", err)
	}
	c := &Controller{
		client: opts.Client, settings: s, clock: opts.Clock, check: opts.HealthChecker,
		recorder: opts.Recorder, log: opts.Logger, dataPlane: opts.DataPlane,
		groups: map[string]*managedGroup{}, modelBuilt: make(chan struct{}),
	}
	c.applyDefaults()
	c.factory = informers.NewSharedInformerFactory(c.client, 0)
	c.ingresses = c.factory.Networking().V1().Ingresses().Lister()
	c.services = c.factory.Core().V1().Services().Lister()
	c.slices = c.factory.Discovery().V1().EndpointSlices().Lister()
	c.pods = c.factory.Core().V1().Pods().Lister()
	c.queue = workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "albemu", Clock: c.clock},
	)
	if err := c.addHandlers(); err != nil {
		return nil, fmt.Errorf("new controller: %w", err)
	}
	return c, nil
}

func (c *Controller) applyDefaults() {
	if c.clock == nil {
		c.clock = clock.RealClock{}
	}
	if c.check == nil {
		c.check = HTTPHealthChecker()
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.recorder == nil {
		c.recorder = &record.FakeRecorder{}
	}
	if c.dataPlane == nil {
		c.dataPlane = NewDataPlane(c.settings, c.log)
	}
}

func (c *Controller) addHandlers() error {
	type source struct {
		name     string
		informer cache.SharedIndexInformer
		handle   func(obj any)
	}
	for _, s := range []source{
		{"ingresses", c.factory.Networking().V1().Ingresses().Informer(), func(any) { c.queue.Add(modelKey) }},
		{"services", c.factory.Core().V1().Services().Informer(), c.onService},
		{"endpointslices", c.factory.Discovery().V1().EndpointSlices().Informer(), c.onEndpointSlice},
		{"pods", c.factory.Core().V1().Pods().Informer(), c.onPod},
	} {
		handle := s.handle
		if _, err := s.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    handle,
			UpdateFunc: func(_, obj any) { handle(obj) },
			DeleteFunc: func(obj any) { handle(untombstone(obj)) },
		}); err != nil {
			return fmt.Errorf("watch %s: %w", s.name, err)
		}
		c.synced = append(c.synced, s.informer.HasSynced)
	}
	return nil
}

func untombstone(obj any) any {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		return t.Obj
	}
	return obj
}

func (c *Controller) onService(obj any) {
	svc, ok := obj.(*corev1.Service)
	if !ok {
		return
	}
	c.queue.Add(modelKey)
	c.enqueueGroups(func(g *managedGroup) bool { return g.namespace == svc.Namespace && g.service == svc.Name })
}

func (c *Controller) onEndpointSlice(obj any) {
	slice, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok {
		return
	}
	svc := slice.Labels[discoveryv1.LabelServiceName]
	c.enqueueGroups(func(g *managedGroup) bool { return g.namespace == slice.Namespace && g.service == svc })
}

// onPod reconciles the target groups whose Service selects the pod or whose
// gate the pod carries (the LBC reconciles on pod updates since v3.4.0;
// Settings.ReconcileOnPodEvents false is the earlier behaviour).
func (c *Controller) onPod(obj any) {
	pod, ok := obj.(*corev1.Pod)
	if !ok || !c.settings.ReconcileOnPodEvents {
		return
	}
	c.enqueueGroups(func(g *managedGroup) bool {
		if g.namespace != pod.Namespace {
			return false
		}
		if hasReadinessGate(pod, GateConditionType(g.tg.Name())) {
			return true
		}
		svc, err := c.services.Services(g.namespace).Get(g.service)
		return err == nil && selects(svc, pod.Labels)
	})
}

func (c *Controller) enqueueGroups(match func(*managedGroup) bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for name, g := range c.groups {
		if match(g) {
			c.queue.Add(targetGroupKey + name)
		}
	}
}

// onTargetEvent logs a target state change and, when configured, re-checks
// the group's readiness gates at once.
func (c *Controller) onTargetEvent(ev TargetEvent) {
	c.log.Info("target state changed", "targetGroup", ev.TargetGroup, "target", ev.Target.ID(),
		"pod", ev.Target.Pod.String(), "from", string(ev.From), "to", string(ev.To),
		"reason", ev.Reason, "description", ev.Description, "at", ev.At)
	if c.settings.GateRecheckOnTargetChange {
		c.queue.Add(targetGroupKey + ev.TargetGroup)
	}
}

// Start starts the informers and waits for their caches.
func (c *Controller) Start(ctx context.Context) error {
	c.factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return fmt.Errorf("wait for informer caches: %w", context.Cause(ctx))
	}
	c.queue.Add(modelKey)
	return nil
}

// Run starts the informers, the workers and the health-check loop, and
// blocks until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	defer c.factory.Shutdown()
	defer c.queue.ShutDown()
	if err := c.Start(ctx); err != nil {
		return err
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for c.processNext(ctx) {
			}
		})
	}
	wg.Go(func() { c.runTargetGroups(ctx) })
	<-ctx.Done()
	c.queue.ShutDown()
	wg.Wait()
	return nil
}

func (c *Controller) processNext(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	if c.gate.wait(ctx) != nil {
		return false
	}
	if err := c.reconcile(ctx, key); err != nil {
		c.log.Warn("reconcile failed, retrying", "key", key, "error", err.Error())
		c.queue.AddRateLimited(key)
		return true
	}
	c.queue.Forget(key)
	return true
}

func (c *Controller) reconcile(ctx context.Context, key string) error {
	if key == modelKey {
		return c.reconcileModel(ctx)
	}
	return c.reconcileTargetGroup(ctx, strings.TrimPrefix(key, targetGroupKey))
}

// runTargetGroups advances every target group each tick and runs the due
// health checks concurrently (each ALB check is independent).
func (c *Controller) runTargetGroups(ctx context.Context) {
	ticker := c.clock.NewTicker(c.settings.TickInterval)
	defer ticker.Stop()
	var checks sync.WaitGroup
	defer checks.Wait()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C():
		}
		for _, tg := range c.targetGroups() {
			for _, p := range tg.Advance() {
				checks.Go(func() { tg.RecordResult(p, c.check(ctx, p.Target, p.HealthCheck)) })
			}
		}
	}
}

func (c *Controller) targetGroups() []*TargetGroup {
	c.mu.RLock()
	defer c.mu.RUnlock()
	names := make([]string, 0, len(c.groups))
	for n := range c.groups {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]*TargetGroup, 0, len(names))
	for _, n := range names {
		out = append(out, c.groups[n].tg)
	}
	return out
}

// TargetGroup returns the target group of that name, if the model has it.
func (c *Controller) TargetGroup(name string) (*TargetGroup, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	g, ok := c.groups[name]
	if !ok {
		return nil, false
	}
	return g.tg, true
}

// GatesFor implements GateSource like the LBC's pod mutator: one gate per ip
// target group in the namespace whose Service exists and selects the labels.
func (c *Controller) GatesFor(namespace string, podLabels map[string]string) ([]corev1.PodConditionType, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	names := make([]string, 0, len(c.groups))
	for n := range c.groups {
		names = append(names, n)
	}
	sort.Strings(names)
	var gates []corev1.PodConditionType
	for _, name := range names {
		g := c.groups[name]
		if g.namespace != namespace || g.tg.Config().TargetType != TargetTypeIP {
			continue
		}
		svc, err := c.services.Services(namespace).Get(g.service)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("get service %s/%s: %w", namespace, g.service, err)
		}
		if selects(svc, podLabels) {
			gates = append(gates, GateConditionType(name))
		}
	}
	return gates, nil
}

// selects tells whether a Service's selector matches labels; an empty
// selector selects nothing (as in the LBC).
func selects(svc *corev1.Service, podLabels map[string]string) bool {
	if len(svc.Spec.Selector) == 0 {
		return false
	}
	return labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(podLabels))
}

func hasReadinessGate(pod *corev1.Pod, cond corev1.PodConditionType) bool {
	for _, g := range pod.Spec.ReadinessGates {
		if g.ConditionType == cond {
			return true
		}
	}
	return false
}

// ingressKey is namespace/name.
func ingressKey(ing *networkingv1.Ingress) string { return ing.Namespace + "/" + ing.Name }

// nowTime is the controller's clock as a time (for conditions).
func (c *Controller) nowTime() time.Time { return c.clock.Now() }

// ModelBuilt is closed once the first model reconcile has run: from then on
// GatesFor knows the target groups of the Ingresses that existed at start.
func (c *Controller) ModelBuilt() <-chan struct{} { return c.modelBuilt }

// HasSynced tells whether every informer cache has synced.
func (c *Controller) HasSynced() bool {
	for _, s := range c.synced {
		if !s() {
			return false
		}
	}
	return true
}

// setPropagation changes the propagation distribution for every target group,
// and for the groups created later (applyModel reads c.settings under c.mu).
func (c *Controller) setPropagation(p Propagation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.settings.DeregistrationPropagation = p
	for _, g := range c.groups {
		g.tg.SetPropagation(p)
	}
}
