package check

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

// Object is one decoded Kubernetes object and where it came from.
type Object struct {
	Location Location
	GVK      schema.GroupVersionKind
	meta     metav1.ObjectMeta
	// typed is the decoded object for the kinds the checks read (see
	// decoders), nil for the others.
	typed any
}

// Ref renders Kind/namespace/name (Kind/name for cluster-scoped objects).
func (o Object) Ref() string {
	if o.meta.Namespace == "" {
		return o.GVK.Kind + "/" + o.meta.Name
	}
	return o.GVK.Kind + "/" + o.meta.Namespace + "/" + o.meta.Name
}

// ParseError is input that is not a Kubernetes object: it names the file and
// the document.
type ParseError struct {
	Location Location
	Reason   string
}

// Error implements error.
func (e *ParseError) Error() string {
	return fmt.Sprintf("%s: %s", e.Location, e.Reason)
}

// document is one YAML document of a file and the line it starts on.
type document struct {
	body []byte
	line int
}

// splitDocuments splits a multi-document YAML stream at "---" lines (a
// separator always starts a line: block scalars are indented).
func splitDocuments(data []byte) []document {
	var docs []document
	var cur bytes.Buffer
	start, n := 1, 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), len(data)+1)
	for sc.Scan() {
		n++
		line := sc.Text()
		if line == "---" || strings.HasPrefix(line, "--- ") || strings.HasPrefix(line, "---\t") {
			docs = append(docs, document{body: bytes.Clone(cur.Bytes()), line: start})
			cur.Reset()
			start = n + 1
			if rest := strings.TrimSpace(line[3:]); rest != "" && !strings.HasPrefix(rest, "#") {
				cur.WriteString(rest + "\n")
				start = n
			}
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
	}
	return append(docs, document{body: cur.Bytes(), line: start})
}

// isBlank tells whether a document holds nothing but comments and space.
func isBlank(body []byte) bool {
	for _, l := range strings.Split(string(body), "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") && t != "..." {
			return false
		}
	}
	return true
}

// Parse decodes every object of a YAML or JSON stream: multi-document YAML,
// and List kinds (kubectl get -o yaml) expanded into their items. file names
// the input in errors and locations.
func Parse(file string, data []byte) ([]Object, error) {
	var out []Object
	for i, doc := range splitDocuments(data) {
		if isBlank(doc.body) {
			continue
		}
		loc := Location{File: file, Document: i + 1, Line: doc.line}
		js, err := yaml.YAMLToJSON(doc.body)
		if err != nil {
			return nil, &ParseError{Location: loc, Reason: fmt.Sprintf("not YAML: %v", err)}
		}
		objs, err := decodeJSON(loc, js)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

// header is what every Kubernetes object (and a List) carries.
type header struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Items      []json.RawMessage `json:"items"`
}

func decodeJSON(loc Location, js []byte) ([]Object, error) {
	if t := bytes.TrimSpace(js); bytes.Equal(t, []byte("null")) {
		return nil, nil
	} else if len(t) == 0 || t[0] != '{' {
		return nil, &ParseError{Location: loc, Reason: "not a Kubernetes object (expected a mapping with apiVersion and kind)"}
	}
	var h header
	if err := json.Unmarshal(js, &h); err != nil {
		return nil, &ParseError{Location: loc, Reason: fmt.Sprintf("not a Kubernetes object: %v", err)}
	}
	if h.APIVersion == "" || h.Kind == "" {
		return nil, &ParseError{Location: loc, Reason: fmt.Sprintf("not a Kubernetes object: apiVersion %q, kind %q (both are required)", h.APIVersion, h.Kind)}
	}
	gv, err := schema.ParseGroupVersion(h.APIVersion)
	if err != nil {
		return nil, &ParseError{Location: loc, Reason: fmt.Sprintf("apiVersion %q: %v", h.APIVersion, err)}
	}
	if strings.HasSuffix(h.Kind, "List") && h.Items != nil {
		return decodeList(loc, h.Items)
	}
	obj := Object{Location: loc, GVK: gv.WithKind(h.Kind), meta: h.Metadata}
	if dec, ok := decoders[obj.GVK.GroupKind()]; ok {
		typed, err := dec(js)
		if err != nil {
			return nil, &ParseError{Location: loc, Reason: fmt.Sprintf("%s %q: %v", h.Kind, h.Metadata.Name, err)}
		}
		obj.typed = typed
	}
	return []Object{obj}, nil
}

func decodeList(loc Location, items []json.RawMessage) ([]Object, error) {
	var out []Object
	for j, item := range items {
		objs, err := decodeJSON(loc, item)
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				pe.Reason = fmt.Sprintf("items[%d]: %s", j, pe.Reason)
			}
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

// decoders decode the kinds the checks read, by group and kind (any version
// of the same shape).
var decoders = map[schema.GroupKind]func([]byte) (any, error){
	{Group: "apps", Kind: "Deployment"}:                               decodeInto[appsv1.Deployment],
	{Group: "", Kind: "Service"}:                                      decodeInto[corev1.Service],
	{Group: "", Kind: "Namespace"}:                                    decodeInto[corev1.Namespace],
	{Group: "networking.k8s.io", Kind: "Ingress"}:                     decodeInto[networkingv1.Ingress],
	{Group: "policy", Kind: "PodDisruptionBudget"}:                    decodeInto[pdb],
	{Group: "autoscaling", Kind: "HorizontalPodAutoscaler"}:           decodeInto[hpa],
	{Group: "elbv2.k8s.aws", Kind: "TargetGroupBinding"}:              decodeInto[targetGroupBinding],
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}: decodeInto[crd],
}

func decodeInto[T any](js []byte) (any, error) {
	v := new(T)
	if err := json.Unmarshal(js, v); err != nil {
		return nil, err
	}
	return v, nil
}

// knownKind tells whether the Kubernetes API (client-go's scheme) or the
// checks know the kind.
func knownKind(gvk schema.GroupVersionKind) bool {
	if _, ok := decoders[gvk.GroupKind()]; ok {
		return true
	}
	return scheme.Scheme.Recognizes(gvk)
}
