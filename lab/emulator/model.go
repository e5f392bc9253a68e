package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// LoadBalancerView describes one emulated ALB.
type LoadBalancerView struct {
	Name               string   `json:"name"`
	Hostname           string   `json:"hostname"`
	Ingresses          []string `json:"ingresses"`
	IdleTimeoutSeconds float64  `json:"idleTimeoutSeconds"`
}

// desiredGroup is a target group the model wants.
type desiredGroup struct {
	name         string
	namespace    string
	service      string
	port         intstr.IntOrString
	loadBalancer string
	ingresses    []string
	config       TargetGroupConfig
}

// desiredRoute is a route whose target group is known by name only.
type desiredRoute struct {
	route     Route
	groupName string // "" when the backend got no target group
}

// model is what reconcileModel derives from the Ingresses.
type model struct {
	groups   map[string]*desiredGroup
	routes   []desiredRoute
	lbs      map[string]*LoadBalancerView
	status   map[*networkingv1.Ingress]string // Ingress -> hostname
	deleting []*networkingv1.Ingress
}

// reconcileModel turns every alb Ingress into load balancers, routes and
// target groups, applies them, writes Ingress statuses and finalizers.
func (c *Controller) reconcileModel(ctx context.Context) error {
	ings, err := c.ingresses.List(labels.Everything())
	if err != nil {
		return fmt.Errorf("list ingresses: %w", err)
	}
	sort.Slice(ings, func(i, j int) bool { return ingressKey(ings[i]) < ingressKey(ings[j]) })
	m := &model{groups: map[string]*desiredGroup{}, lbs: map[string]*LoadBalancerView{}, status: map[*networkingv1.Ingress]string{}}
	var errs []error
	for _, ing := range ings {
		if err := c.buildIngress(ctx, m, ing); err != nil {
			errs = append(errs, err)
		}
	}
	removed := c.applyModel(m)
	for _, g := range removed {
		if err := c.markGatesHealthyForDeletedGroup(ctx, g); err != nil {
			errs = append(errs, err)
		}
	}
	for ing, hostname := range m.status {
		if err := c.writeStatus(ctx, ing, hostname); err != nil {
			errs = append(errs, err)
		}
	}
	for _, ing := range m.deleting {
		if err := c.removeFinalizer(ctx, ing); err != nil {
			errs = append(errs, err)
		}
	}
	c.enqueueGroups(func(*managedGroup) bool { return true })
	c.modelOnce.Do(func() { close(c.modelBuilt) })
	return errors.Join(errs...)
}

// buildIngress adds one Ingress to the model. Build errors become Events on
// the Ingress (and leave it out of the model); API errors are returned.
func (c *Controller) buildIngress(ctx context.Context, m *model, ing *networkingv1.Ingress) error {
	if !IsALBIngress(ing) {
		return nil
	}
	if ing.DeletionTimestamp != nil {
		m.deleting = append(m.deleting, ing)
		return nil
	}
	if err := c.ensureFinalizer(ctx, ing); err != nil {
		return err
	}
	lbCfg, err := ParseLoadBalancerConfig(ing.Annotations, c.settings)
	if err != nil {
		c.recorder.Event(ing, corev1.EventTypeWarning, EventReasonFailedBuildModel, "Failed build model due to "+err.Error())
		return nil
	}
	lbName := LoadBalancerName(lbCfg.GroupName, ing.Namespace, ing.Name)
	lbKey := loadBalancerKey(lbCfg.GroupName, ing.Namespace, ing.Name)
	hostname := lbName + "." + c.settings.HostnameDomain
	var routes []desiredRoute
	groups := map[string]*desiredGroup{}
	for _, b := range ingressBackends(ing) {
		dr, dg, err := c.buildBackend(ing, lbKey, b)
		if errors.Is(err, ErrUnsupportedTargetType) {
			c.recorder.Event(ing, corev1.EventTypeWarning, EventReasonUnsupportedTargetType, err.Error())
		} else if err != nil {
			c.recorder.Event(ing, corev1.EventTypeWarning, EventReasonFailedBuildModel, "Failed build model due to "+err.Error())
			return nil
		}
		dr.route.LoadBalancer, dr.route.Hostname, dr.route.IdleTimeout = lbName, hostname, lbCfg.IdleTimeout
		dr.route.Ingress = ingressKey(ing)
		routes = append(routes, dr)
		if dg != nil {
			groups[dg.name] = dg
		}
	}
	m.routes = append(m.routes, routes...)
	for name, dg := range groups {
		if prev, ok := m.groups[name]; ok {
			prev.ingresses = append(prev.ingresses, ingressKey(ing))
			continue
		}
		m.groups[name] = dg
	}
	lb, ok := m.lbs[lbName]
	if !ok {
		lb = &LoadBalancerView{Name: lbName, Hostname: hostname, IdleTimeoutSeconds: lbCfg.IdleTimeout.Seconds()}
		m.lbs[lbName] = lb
	}
	lb.Ingresses = append(lb.Ingresses, ingressKey(ing))
	m.status[ing] = hostname
	c.recorder.Event(ing, corev1.EventTypeNormal, EventReasonSuccessfullyReconciled, "Successfully reconciled")
	return nil
}

// backendRef is one path (or the default backend) of an Ingress.
type backendRef struct {
	host     string
	path     string
	pathType networkingv1.PathType
	backend  networkingv1.IngressBackend
}

func ingressBackends(ing *networkingv1.Ingress) []backendRef {
	var refs []backendRef
	for _, rule := range ing.Spec.Rules {
		if rule.HTTP == nil {
			continue
		}
		for _, p := range rule.HTTP.Paths {
			pt := networkingv1.PathTypePrefix
			if p.PathType != nil && *p.PathType == networkingv1.PathTypeExact {
				pt = networkingv1.PathTypeExact
			}
			path := p.Path
			if path == "" {
				path = "/"
			}
			refs = append(refs, backendRef{host: rule.Host, path: path, pathType: pt, backend: p.Backend})
		}
	}
	if ing.Spec.DefaultBackend != nil {
		refs = append(refs, backendRef{backend: *ing.Spec.DefaultBackend})
	}
	return refs
}

// buildBackend resolves a backend to its Service port and target group. A
// backend with an unsupported target type still yields a route (without a
// target group) and an error wrapping ErrUnsupportedTargetType.
func (c *Controller) buildBackend(ing *networkingv1.Ingress, lbKey string, b backendRef) (desiredRoute, *desiredGroup, error) {
	dr := desiredRoute{route: Route{Host: b.host, Path: b.path, PathType: b.pathType}}
	if b.backend.Service == nil {
		return dr, nil, fmt.Errorf("backend of %s%s: only service backends are supported", b.host, b.path)
	}
	name := b.backend.Service.Name
	svc, err := c.services.Services(ing.Namespace).Get(name)
	if err != nil {
		return dr, nil, fmt.Errorf("get service %s/%s: %w", ing.Namespace, name, err)
	}
	port := servicePortRef(b.backend.Service.Port)
	svcPort, err := lookupServicePort(svc, port)
	if err != nil {
		return dr, nil, err
	}
	cfg, err := ParseTargetGroupConfig(ing.Annotations, svc.Annotations, c.settings)
	if err != nil {
		return dr, nil, fmt.Errorf("backend service %s/%s: %w", ing.Namespace, name, err)
	}
	portKey := svcPort.Name
	if portKey == "" {
		portKey = strconv.Itoa(int(svcPort.Port))
	}
	tgName := TargetGroupName(lbKey, ing.Namespace, name, portKey)
	dr.groupName = tgName
	return dr, &desiredGroup{
		name: tgName, namespace: ing.Namespace, service: name, port: port,
		loadBalancer: lbKey, ingresses: []string{ingressKey(ing)}, config: cfg,
	}, nil
}

func servicePortRef(p networkingv1.ServiceBackendPort) intstr.IntOrString {
	if p.Name != "" {
		return intstr.FromString(p.Name)
	}
	return intstr.FromInt32(p.Number)
}

// lookupServicePort finds the Service port an Ingress backend names.
func lookupServicePort(svc *corev1.Service, port intstr.IntOrString) (corev1.ServicePort, error) {
	for _, p := range svc.Spec.Ports {
		if (port.Type == intstr.String && p.Name == port.StrVal) || (port.Type == intstr.Int && p.Port == port.IntVal) {
			return p, nil
		}
	}
	return corev1.ServicePort{}, fmt.Errorf("unable to find port %s on service %s/%s", port.String(), svc.Namespace, svc.Name)
}

// applyModel creates, updates and deletes target groups and swaps the
// routing table. It returns the deleted groups.
func (c *Controller) applyModel(m *model) []*managedGroup {
	c.mu.Lock()
	var removed []*managedGroup
	for name, g := range c.groups {
		if _, ok := m.groups[name]; !ok {
			removed = append(removed, g)
			delete(c.groups, name)
		}
	}
	for name, d := range m.groups {
		g, ok := c.groups[name]
		if !ok {
			g = &managedGroup{tg: NewTargetGroup(name, d.config, c.settings, c.clock, c.onTargetEvent)}
			c.groups[name] = g
			c.log.Info("target group created", "targetGroup", name, "service", d.namespace+"/"+d.service, "port", d.port.String())
		} else {
			g.tg.SetConfig(d.config)
		}
		g.namespace, g.service, g.port, g.loadBalancer = d.namespace, d.service, d.port, d.loadBalancer
		g.ingresses = d.ingresses
	}
	routes := make([]Route, 0, len(m.routes))
	for _, dr := range m.routes {
		r := dr.route
		if g, ok := c.groups[dr.groupName]; ok {
			r.TargetGroup = g.tg
		}
		routes = append(routes, r)
	}
	c.loadBalancers = c.loadBalancers[:0]
	for _, lb := range m.lbs {
		c.loadBalancers = append(c.loadBalancers, *lb)
	}
	sort.Slice(c.loadBalancers, func(i, j int) bool { return c.loadBalancers[i].Name < c.loadBalancers[j].Name })
	c.mu.Unlock()

	c.dataPlane.SetRoutes(routes)
	for _, g := range removed {
		c.log.Info("target group deleted", "targetGroup", g.tg.Name())
		g.tg.Close()
	}
	return removed
}

// writeStatus sets status.loadBalancer.ingress to the ALB's hostname.
func (c *Controller) writeStatus(ctx context.Context, ing *networkingv1.Ingress, hostname string) error {
	cur := ing.Status.LoadBalancer.Ingress
	if len(cur) == 1 && cur[0].Hostname == hostname && cur[0].IP == "" && len(cur[0].Ports) == 0 {
		return nil
	}
	// A merge patch of the status subresource: no conflict with the
	// finalizer patch made from the same cached object.
	patch, err := json.Marshal(map[string]any{"status": map[string]any{"loadBalancer": map[string]any{
		"ingress": []networkingv1.IngressLoadBalancerIngress{{Hostname: hostname}},
	}}})
	if err != nil {
		return fmt.Errorf("encode status patch: %w", err)
	}
	if _, err := c.client.NetworkingV1().Ingresses(ing.Namespace).Patch(ctx, ing.Name, types.MergePatchType, patch, metav1.PatchOptions{}, "status"); err != nil {
		return fmt.Errorf("update status of ingress %s: %w", ingressKey(ing), err)
	}
	c.log.Info("ingress status updated", "ingress", ingressKey(ing), "hostname", hostname)
	return nil
}

func (c *Controller) ensureFinalizer(ctx context.Context, ing *networkingv1.Ingress) error {
	if c.settings.SkipIngressFinalizer || slices.Contains(ing.Finalizers, IngressFinalizer) {
		return nil
	}
	return c.patchFinalizers(ctx, ing, append(slices.Clone(ing.Finalizers), IngressFinalizer))
}

func (c *Controller) removeFinalizer(ctx context.Context, ing *networkingv1.Ingress) error {
	if !slices.Contains(ing.Finalizers, IngressFinalizer) {
		return nil
	}
	kept := slices.DeleteFunc(slices.Clone(ing.Finalizers), func(f string) bool { return f == IngressFinalizer })
	return c.patchFinalizers(ctx, ing, kept)
}

// patchFinalizers sets the finalizer list with a merge patch guarded by the
// resourceVersion the list was computed from.
func (c *Controller) patchFinalizers(ctx context.Context, ing *networkingv1.Ingress, finalizers []string) error {
	if finalizers == nil {
		finalizers = []string{}
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"finalizers": finalizers, "resourceVersion": ing.ResourceVersion,
	}})
	if err != nil {
		return fmt.Errorf("encode finalizer patch: %w", err)
	}
	_, err = c.client.NetworkingV1().Ingresses(ing.Namespace).Patch(ctx, ing.Name, types.MergePatchType, patch, metav1.PatchOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("set finalizers of ingress %s: %w", ingressKey(ing), err)
	}
	return nil
}
