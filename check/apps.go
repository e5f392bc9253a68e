package check

import (
	"fmt"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/zdt-eks/zdt/components/zerodowntime"
	"github.com/zdt-eks/zdt/internal/lbc"
)

// App is one Deployment and what routes to it, with the timing model for its
// inputs. A Service or backend that routes to no Deployment forms an app of
// its own (Deployment nil).
type App struct {
	Name      string
	Namespace string
	// Deployment is nil for an app made of a dangling Service or backend.
	Deployment *appsv1.Deployment
	DeployObj  Object
	// Services select the pod template (Selects) or, when none does, are
	// the nearest Service whose selector misses it (a typo).
	Services []ServiceRef
	Backends []Backend
	// NamespaceObj is the app's Namespace, nil when not among the inputs.
	NamespaceObj *corev1.Namespace
	NamespaceRef Object
	// NamespaceKnown: the namespace's labels are known (among the inputs,
	// or read from a live cluster where its absence is a fact).
	NamespaceKnown bool
	PDBs           []PDBRef
	HPAs           []HPARef

	// Inputs are the timing inputs after flags and annotations, and
	// InputSources says where each came from.
	Inputs       zerodowntime.TimingArgs
	InputSources map[string]string
	// Timing is the model derived from Inputs (zero if they are invalid).
	Timing zerodowntime.Timing
}

// ServiceRef is a Service of an app.
type ServiceRef struct {
	Obj     Object
	Service *corev1.Service
	// Selects: the selector matches the pod template's labels.
	Selects bool
}

// Backend is an Ingress backend or a TargetGroupBinding routing to a Service.
type Backend struct {
	Obj     Object
	Service string
	// Field is where the Service is named.
	Field string
	// Ingress is set for Ingress backends, nil for TargetGroupBindings.
	Ingress *networkingv1.Ingress
	// ALB: the LBC manages this backend (an ALB Ingress or a TGB).
	ALB bool
	// TargetType is ip or instance; TargetTypeSet tells whether the
	// manifest says so (else the LBC default applies).
	TargetType    string
	TargetTypeSet bool
	// annotations resolves LBC annotations: Service first, then Ingress.
	annotations lbc.AnnotationSource
}

// PDBRef is a PodDisruptionBudget selecting an app's pods.
type PDBRef struct {
	Obj Object
	PDB *pdb
}

// HPARef is a HorizontalPodAutoscaler scaling an app's Deployment.
type HPARef struct {
	Obj Object
	HPA *hpa
}

// index holds the inputs by kind.
type index struct {
	defaultNS   string
	deployments []Object
	services    []Object
	ingresses   []Object
	tgbs        []Object
	namespaces  map[string]Object
	pdbs        []Object
	hpas        []Object
}

func newIndex(objs []Object, defaultNS string) *index {
	ix := &index{defaultNS: defaultNS, namespaces: map[string]Object{}}
	for _, o := range objs {
		switch o.typed.(type) {
		case *appsv1.Deployment:
			ix.deployments = append(ix.deployments, o)
		case *corev1.Service:
			ix.services = append(ix.services, o)
		case *networkingv1.Ingress:
			ix.ingresses = append(ix.ingresses, o)
		case *targetGroupBinding:
			ix.tgbs = append(ix.tgbs, o)
		case *corev1.Namespace:
			ix.namespaces[o.meta.Name] = o
		case *pdb:
			ix.pdbs = append(ix.pdbs, o)
		case *hpa:
			ix.hpas = append(ix.hpas, o)
		}
	}
	return ix
}

func (ix *index) ns(o Object) string {
	if o.meta.Namespace != "" {
		return o.meta.Namespace
	}
	return ix.defaultNS
}

// groupApps builds the apps: one per Deployment, then one per Service or
// backend that reaches none.
func groupApps(ix *index) []*App {
	var apps []*App
	for _, d := range ix.deployments {
		apps = append(apps, &App{Name: d.meta.Name, Namespace: ix.ns(d), Deployment: d.typed.(*appsv1.Deployment), DeployObj: d})
	}
	attached := attachServices(ix, apps)
	for _, s := range ix.services {
		if !attached[s.Location] {
			apps = append(apps, &App{Name: s.meta.Name, Namespace: ix.ns(s),
				Services: []ServiceRef{{Obj: s, Service: s.typed.(*corev1.Service)}}})
		}
	}
	apps = attachBackends(ix, apps)
	for _, a := range apps {
		attachNamespace(ix, a)
		if a.Deployment != nil {
			attachPDBs(ix, a)
			attachHPAs(ix, a)
		}
	}
	sort.SliceStable(apps, func(i, j int) bool {
		if apps[i].Namespace != apps[j].Namespace {
			return apps[i].Namespace < apps[j].Namespace
		}
		return apps[i].Name < apps[j].Name
	})
	return apps
}

// attachServices gives each app the Services selecting its pods; a Service
// selecting no pod goes to the nearest Deployment (see nearestApp).
func attachServices(ix *index, apps []*App) map[Location]bool {
	attached := map[Location]bool{}
	for _, s := range ix.services {
		svc := s.typed.(*corev1.Service)
		if len(svc.Spec.Selector) == 0 {
			continue // headless by design or endpoints managed by hand
		}
		sel := labels.SelectorFromSet(svc.Spec.Selector)
		for _, a := range apps {
			if a.Namespace == ix.ns(s) && sel.Matches(labels.Set(a.Deployment.Spec.Template.Labels)) {
				a.Services = append(a.Services, ServiceRef{Obj: s, Service: svc, Selects: true})
				attached[s.Location] = true
			}
		}
		if attached[s.Location] {
			continue
		}
		if a := nearestApp(apps, ix.ns(s), s.meta.Name, svc.Spec.Selector); a != nil {
			a.Services = append([]ServiceRef{{Obj: s, Service: svc}}, a.Services...)
			attached[s.Location] = true
		}
	}
	return attached
}

// nearestApp finds the Deployment a non-matching Service was most likely
// meant for: same namespace, the most selector keys among its template
// labels (at least one), then the same name.
func nearestApp(apps []*App, ns, name string, selector map[string]string) *App {
	var best *App
	bestScore := 0
	for _, a := range apps {
		if a.Namespace != ns {
			continue
		}
		score := 0
		for k := range selector {
			if _, ok := a.Deployment.Spec.Template.Labels[k]; ok {
				score += 2
			}
		}
		if score > 0 && a.Name == name {
			score++
		}
		if score > bestScore {
			best, bestScore = a, score
		}
	}
	return best
}

// attachBackends adds each Ingress backend and TargetGroupBinding to the
// apps of the Service it names; a backend naming no Service forms an app.
func attachBackends(ix *index, apps []*App) []*App {
	for _, b := range backends(ix) {
		found := false
		for _, a := range apps {
			for _, s := range a.Services {
				if s.Obj.meta.Name == b.Service && ix.ns(s.Obj) == ix.ns(b.Obj) {
					b.annotations.Service = s.Service.Annotations
					a.Backends = append(a.Backends, b)
					found = true
				}
			}
		}
		if !found {
			apps = append(apps, &App{Name: b.Obj.meta.Name, Namespace: ix.ns(b.Obj), Backends: []Backend{b}})
		}
	}
	return apps
}

// backends lists the Service references of every Ingress and TGB.
func backends(ix *index) []Backend {
	var out []Backend
	for _, o := range ix.ingresses {
		ing := o.typed.(*networkingv1.Ingress)
		base := Backend{Obj: o, Ingress: ing, ALB: lbc.IsALBIngress(ing), annotations: lbc.AnnotationSource{Ingress: ing.Annotations}}
		seen := map[string]bool{}
		add := func(svc *networkingv1.IngressServiceBackend, field string) {
			if svc == nil || seen[svc.Name] {
				return
			}
			seen[svc.Name] = true
			b := base
			b.Service, b.Field = svc.Name, field
			out = append(out, b)
		}
		if ing.Spec.DefaultBackend != nil {
			add(ing.Spec.DefaultBackend.Service, "spec.defaultBackend.service.name")
		}
		for i, r := range ing.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for j, p := range r.HTTP.Paths {
				add(p.Backend.Service, fmt.Sprintf("spec.rules[%d].http.paths[%d].backend.service.name", i, j))
			}
		}
	}
	for _, o := range ix.tgbs {
		t := o.typed.(*targetGroupBinding)
		out = append(out, Backend{Obj: o, Service: t.Spec.ServiceRef.Name, Field: "spec.serviceRef.name", ALB: true,
			TargetType: t.Spec.TargetType, TargetTypeSet: t.Spec.TargetType != ""})
	}
	for i := range out {
		if out[i].Ingress != nil {
			out[i].TargetType, out[i].TargetTypeSet = out[i].annotations.Get(lbc.AnnotationTargetType)
		}
		if !out[i].TargetTypeSet {
			out[i].TargetType = lbc.DefaultTargetType
		}
	}
	return out
}

func attachNamespace(ix *index, a *App) {
	if o, ok := ix.namespaces[a.Namespace]; ok {
		a.NamespaceObj, a.NamespaceRef, a.NamespaceKnown = o.typed.(*corev1.Namespace), o, true
	}
}

func attachPDBs(ix *index, a *App) {
	for _, o := range ix.pdbs {
		p := o.typed.(*pdb)
		if ix.ns(o) != a.Namespace || p.Spec.Selector == nil {
			continue
		}
		if selectorMatches(p.Spec.Selector, a.Deployment.Spec.Template.Labels) {
			a.PDBs = append(a.PDBs, PDBRef{Obj: o, PDB: p})
		}
	}
}

func attachHPAs(ix *index, a *App) {
	for _, o := range ix.hpas {
		h := o.typed.(*hpa)
		if ix.ns(o) == a.Namespace && h.Spec.ScaleTargetRef.Kind == "Deployment" && h.Spec.ScaleTargetRef.Name == a.Name {
			a.HPAs = append(a.HPAs, HPARef{Obj: o, HPA: h})
		}
	}
}

func selectorMatches(sel *metav1.LabelSelector, set map[string]string) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && !s.Empty() && s.Matches(labels.Set(set))
}

// ALBBackends are the app's backends the LBC manages.
func (a *App) ALBBackends() []Backend {
	var out []Backend
	for _, b := range a.Backends {
		if b.ALB {
			out = append(out, b)
		}
	}
	return out
}

// Objects lists the references of the app's objects.
func (a *App) Objects() []string {
	var out []string
	if a.Deployment != nil {
		out = append(out, a.DeployObj.Ref())
	}
	for _, s := range a.Services {
		out = append(out, s.Obj.Ref())
	}
	seen := map[string]bool{}
	for _, b := range a.Backends {
		if r := b.Obj.Ref(); !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	if a.NamespaceObj != nil {
		out = append(out, a.NamespaceRef.Ref())
	}
	for _, p := range a.PDBs {
		out = append(out, p.Obj.Ref())
	}
	for _, h := range a.HPAs {
		out = append(out, h.Obj.Ref())
	}
	return out
}
