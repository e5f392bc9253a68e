package zerodowntime

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/zdt-eks/zdt/internal/lbc"
)

// Argument rules for PodArgs, Labels and the extra annotations; registered
// in argRules (validate.go). Name syntax is Kubernetes' own
// (k8s.io/apimachinery/pkg/util/validation), so the API server cannot refuse
// what passes here.

// envSources lists every environment variable the app container gets, with
// the field that sets it, for duplicate detection.
func envSources(a Args) map[string][]string {
	src := map[string][]string{"POD_NAME": {"(the component, from the downward API)"}}
	add := func(name, field string) { src[name] = append(src[name], field) }
	for _, f := range []struct{ field, name string }{{"ShutdownTimeoutEnv", a.ShutdownTimeoutEnv}, {"KeepAliveTimeoutEnv", a.KeepAliveTimeoutEnv}} {
		if f.name != "" {
			add(f.name, f.field)
		}
	}
	for k := range a.Env {
		add(k, "Env")
	}
	for k := range a.Pod.SecretEnv {
		add(k, "Pod.SecretEnv")
	}
	for k := range a.Pod.ConfigMapEnv {
		add(k, "Pod.ConfigMapEnv")
	}
	return src
}

func checkPodEnv(a Args) error {
	var errs []error
	for _, m := range []struct {
		field string
		refs  map[string]KeyRef
	}{{"Pod.SecretEnv", a.Pod.SecretEnv}, {"Pod.ConfigMapEnv", a.Pod.ConfigMapEnv}} {
		for _, k := range sortedKeys(m.refs) {
			field := fmt.Sprintf("%s[%s]", m.field, k)
			if !envNamePattern.MatchString(k) {
				errs = append(errs, fieldErr([]string{field}, "use letters, digits and '_', not starting with a digit", "%q is not a valid variable name", k))
			}
			errs = append(errs, checkKeyRef(field, m.refs[k]))
		}
	}
	sources := envSources(a)
	for _, name := range sortedKeys(sources) {
		if fields := sources[name]; len(fields) > 1 && (strings.HasPrefix(fields[0], "Pod.") || strings.HasPrefix(fields[1], "Pod.")) {
			errs = append(errs, fieldErr(fields, "set each variable in one place", "%q is set twice", name))
		}
	}
	for i, f := range a.Pod.EnvFrom {
		field := fmt.Sprintf("Pod.EnvFrom[%d]", i)
		if (f.SecretName == nil) == (f.ConfigMapName == nil) {
			errs = append(errs, fieldErr([]string{field}, "set exactly one of SecretName and ConfigMapName", "names %s", map[bool]string{true: "neither", false: "both"}[f.SecretName == nil]))
		}
		if f.Prefix != "" && !envNamePattern.MatchString(f.Prefix) {
			errs = append(errs, fieldErr([]string{field + ".Prefix"}, "use letters, digits and '_'", "%q is not a variable name prefix", f.Prefix))
		}
	}
	return errors.Join(errs...)
}

func checkKeyRef(field string, r KeyRef) error {
	var errs []error
	if r.Name == nil {
		errs = append(errs, fieldErr([]string{field + ".Name"}, "name the Secret or ConfigMap", "is not set"))
	} else if n, ok := knownString(r.Name); ok && len(validation.IsDNS1123Subdomain(n)) > 0 {
		errs = append(errs, fieldErr([]string{field + ".Name"}, "use a Kubernetes object name (lowercase, digits, '-' and '.')", "%q is not an object name", n))
	}
	if msgs := validation.IsConfigMapKey(r.Key); len(msgs) > 0 {
		errs = append(errs, fieldErr([]string{field + ".Key"}, "use the key's name (letters, digits, '-', '_' and '.')", "%q: %s", r.Key, strings.Join(msgs, "; ")))
	}
	return errors.Join(errs...)
}

func checkPodVolumes(a Args) error {
	var errs []error
	seen := map[string]string{}
	mount := func(field, p string) {
		if !path.IsAbs(p) || path.Clean(p) != p || p == "/" {
			errs = append(errs, fieldErr([]string{field}, "use a clean absolute path other than /, e.g. /tmp", "%q is not a mount path", p))
		}
		if other, dup := seen[p]; dup {
			errs = append(errs, fieldErr([]string{other, field}, "mount each path once", "both mount %q", p))
		}
		seen[p] = field
	}
	for i, d := range a.Pod.WritableDirs {
		field := fmt.Sprintf("Pod.WritableDirs[%d]", i)
		mount(field+".MountPath", d.MountPath)
		if q, err := resource.ParseQuantity(d.SizeLimit); err != nil || q.Sign() <= 0 {
			errs = append(errs, fieldErr([]string{field + ".SizeLimit"}, "use a positive quantity such as 256Mi", "%q is not a size", d.SizeLimit))
		}
	}
	for _, kind := range []struct {
		field string
		vols  []ObjectVolumeArgs
	}{{"Pod.SecretVolumes", a.Pod.SecretVolumes}, {"Pod.ConfigMapVolumes", a.Pod.ConfigMapVolumes}} {
		for i, v := range kind.vols {
			field := fmt.Sprintf("%s[%d]", kind.field, i)
			mount(field+".MountPath", v.MountPath)
			if v.Name == nil {
				errs = append(errs, fieldErr([]string{field + ".Name"}, "name the object to mount", "is not set"))
			}
		}
	}
	return errors.Join(errs...)
}

func checkPodPlacement(a Args) error {
	var errs []error
	for _, n := range []struct{ field, v string }{{"Pod.ServiceAccountName", a.Pod.ServiceAccountName}, {"Pod.PriorityClassName", a.Pod.PriorityClassName}} {
		if n.v != "" && len(validation.IsDNS1123Subdomain(n.v)) > 0 {
			errs = append(errs, fieldErr([]string{n.field}, "use a Kubernetes object name (lowercase, digits, '-' and '.')", "%q is not an object name", n.v))
		}
	}
	errs = append(errs, checkLabelMap("Pod.NodeSelector", a.Pod.NodeSelector))
	for i, t := range a.Pod.Tolerations {
		field := fmt.Sprintf("Pod.Tolerations[%d]", i)
		switch t.Operator {
		case "", "Equal":
			if t.Key == "" {
				errs = append(errs, fieldErr([]string{field + ".Key"}, "name the taint's key, or use Operator Exists to tolerate every taint", "is empty with operator Equal"))
			}
		case "Exists":
			if t.Value != "" {
				errs = append(errs, fieldErr([]string{field + ".Value"}, "drop the value: Exists matches any", "is %q with operator Exists", t.Value))
			}
		default:
			errs = append(errs, fieldErr([]string{field + ".Operator"}, "use Equal or Exists", "%q is not an operator", t.Operator))
		}
		switch t.Effect {
		case "", "NoSchedule", "PreferNoSchedule", "NoExecute":
		default:
			errs = append(errs, fieldErr([]string{field + ".Effect"}, "use NoSchedule, PreferNoSchedule, NoExecute or empty", "%q is not a taint effect", t.Effect))
		}
	}
	return errors.Join(errs...)
}

func checkSidecars(a Args) error {
	var errs []error
	names := map[string]bool{containerName: true}
	for i, s := range a.Pod.Sidecars {
		field := fmt.Sprintf("Pod.Sidecars[%d]", i)
		if len(validation.IsDNS1123Label(s.Name)) > 0 || names[s.Name] {
			errs = append(errs, fieldErr([]string{field + ".Name"}, fmt.Sprintf("use a unique DNS-1123 label other than %q", containerName), "%q is not a free container name", s.Name))
		}
		names[s.Name] = true
		if s.Image == nil {
			errs = append(errs, fieldErr([]string{field + ".Image"}, "pass the sidecar's image", "is not set"))
		} else if img, ok := knownString(s.Image); ok && (strings.TrimSpace(img) == "" || strings.ContainsAny(img, " \t\n")) {
			errs = append(errs, fieldErr([]string{field + ".Image"}, "pass an image reference", "%q is not an image reference", img))
		}
		for _, k := range sortedKeys(s.Env) {
			if !envNamePattern.MatchString(k) {
				errs = append(errs, fieldErr([]string{field + ".Env"}, "use letters, digits and '_'", "%q is not a valid variable name", k))
			}
		}
		errs = append(errs, checkResourceQuantities(field+".Resources", s.Resources))
	}
	return errors.Join(errs...)
}

func checkLabels(a Args) error {
	errs := []error{checkLabelMap("Labels", a.Labels)}
	for _, k := range reservedLabels {
		if _, set := a.Labels[k]; set {
			errs = append(errs, fieldErr([]string{"Labels"}, fmt.Sprintf("remove %s: the component sets it (AppName, Version)", k), "%q is the component's own label", k))
		}
	}
	return errors.Join(errs...)
}

// checkLabelMap checks label (or node selector) syntax.
func checkLabelMap(field string, m map[string]string) error {
	var errs []error
	for _, k := range sortedKeys(m) {
		for _, msg := range append(validation.IsQualifiedName(k), validation.IsValidLabelValue(m[k])...) {
			errs = append(errs, fieldErr([]string{fmt.Sprintf("%s[%s]", field, k)}, "use a valid Kubernetes label key and value", "%s", msg))
		}
	}
	return errors.Join(errs...)
}

func checkAnnotations(a Args) error {
	var errs []error
	for _, m := range []struct {
		field string
		ann   map[string]string
	}{{"Pod.Annotations", a.Pod.Annotations}, {"ServiceAnnotations", a.ServiceAnnotations}, {"Ingress.Annotations", a.Ingress.Annotations}} {
		for _, k := range sortedKeys(m.ann) {
			field := fmt.Sprintf("%s[%s]", m.field, k)
			for _, msg := range validation.IsQualifiedName(strings.ToLower(k)) {
				errs = append(errs, fieldErr([]string{field}, "use a valid annotation key", "%s", msg))
			}
			if strings.HasPrefix(k, pulumiAnnotationPrefix) {
				errs = append(errs, fieldErr([]string{field},
					"remove it: the component sets how Pulumi awaits its objects (e.g. pulumi.com/skipAwait on the Ingress would let the Deployment create the first pods before the LBC is set up for them, and they would get no readiness gate)",
					"%q changes how pulumi-kubernetes awaits the object", k))
			}
		}
	}
	errs = append(errs, checkIngressAnnotations(a.Ingress.Annotations))
	return errors.Join(errs...)
}

// checkIngressAnnotations refuses annotations and attributes the component
// derives from the timing model or from other fields.
func checkIngressAnnotations(ann map[string]string) error {
	var errs []error
	for _, k := range sortedKeys(ann) {
		if use, owned := ownedIngressAnnotations[k]; owned {
			errs = append(errs, fieldErr([]string{fmt.Sprintf("Ingress.Annotations[%s]", k)}, "remove it and set "+use,
				"the component derives %q; a different value would reopen a failure window the model closes", k))
		}
	}
	for _, key := range []string{lbc.AnnotationTargetGroupAttrs, lbc.AnnotationLoadBalancerAttrs} {
		attrs, err := lbc.ParseAttributes(ann[key])
		field := fmt.Sprintf("Ingress.Annotations[%s]", key)
		if err != nil {
			errs = append(errs, fieldErr([]string{field}, "use comma-separated key=value pairs", "%v", err))
			continue
		}
		for _, attr := range sortedKeys(attrs) {
			if use, owned := ownedAttributes[attr]; owned {
				errs = append(errs, fieldErr([]string{field}, fmt.Sprintf("remove %s and set %s", attr, use),
					"the timing model derives %s", attr))
			}
		}
	}
	return errors.Join(errs...)
}
