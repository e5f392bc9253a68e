package emulator

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/zdt-eks/zdt/internal/lbc"
)

// TargetType is a target group's target type.
type TargetType string

// Target types of the LBC's target-type annotation.
const (
	TargetTypeIP       TargetType = lbc.TargetTypeIP
	TargetTypeInstance TargetType = lbc.TargetTypeInstance
)

// ErrUnsupportedTargetType marks an Ingress backend whose target type the
// emulator refuses: only ip targets (the pods) are emulated, and only they
// support readiness gates.
var ErrUnsupportedTargetType = errors.New("unsupported target type")

// AnnotationError is an annotation value the LBC or the ELB API would reject.
type AnnotationError struct {
	Key    string
	Value  string
	Reason string
}

// Error implements error.
func (e *AnnotationError) Error() string {
	return fmt.Sprintf("annotation %s=%q: %s", e.Key, e.Value, e.Reason)
}

// HealthCheckConfig is a target group's health check.
type HealthCheckConfig struct {
	Path               string        `json:"path"`
	Port               string        `json:"port"`
	Protocol           string        `json:"protocol"`
	Interval           time.Duration `json:"interval"`
	Timeout            time.Duration `json:"timeout"`
	HealthyThreshold   int           `json:"healthyThreshold"`
	UnhealthyThreshold int           `json:"unhealthyThreshold"`
	SuccessCodes       SuccessCodes  `json:"successCodes"`
}

// TargetGroupConfig is what the emulator builds for one backend target group.
type TargetGroupConfig struct {
	TargetType          TargetType        `json:"targetType"`
	HealthCheck         HealthCheckConfig `json:"healthCheck"`
	DeregistrationDelay time.Duration     `json:"deregistrationDelay"`
	// SlowStart is parsed and validated but not emulated (see README).
	SlowStart time.Duration `json:"slowStart"`
}

// LoadBalancerConfig is what the emulator builds for one load balancer.
type LoadBalancerConfig struct {
	GroupName   string
	IdleTimeout time.Duration
}

// LBC defaults for Ingress target groups (internal/lbc, one place).
const (
	defaultHealthCheckPath     = lbc.DefaultHealthCheckPath
	defaultHealthCheckInterval = lbc.DefaultHealthCheckIntervalSeconds * time.Second
	defaultHealthCheckTimeout  = lbc.DefaultHealthCheckTimeoutSeconds * time.Second
	defaultHealthyThreshold    = lbc.DefaultHealthyThreshold
	defaultUnhealthyThreshold  = lbc.DefaultUnhealthyThreshold
	defaultSuccessCodes        = lbc.DefaultSuccessCodes
)

// IsALBIngress tells whether the LBC (and so the emulator) manages ing.
func IsALBIngress(ing *networkingv1.Ingress) bool { return lbc.IsALBIngress(ing) }

// ParseTargetGroupConfig builds a backend's target group from the Ingress and
// Service annotations, with the LBC's defaults and the ELB API's ranges. An
// instance (or missing, the LBC default) target type returns an error
// wrapping ErrUnsupportedTargetType; invalid values return AnnotationErrors.
func ParseTargetGroupConfig(ingressAnn, serviceAnn map[string]string, s Settings) (TargetGroupConfig, error) {
	src := lbc.AnnotationSource{Service: serviceAnn, Ingress: ingressAnn}
	tt, err := parseTargetType(src)
	if err != nil {
		return TargetGroupConfig{}, err
	}
	p := &parser{src: src}
	cfg := TargetGroupConfig{
		TargetType:          tt,
		HealthCheck:         p.healthCheck(),
		DeregistrationDelay: s.DefaultDeregistrationDelay,
	}
	p.backendProtocol()
	p.targetGroupAttributes(&cfg)
	if err := p.err(); err != nil {
		return TargetGroupConfig{}, err
	}
	return cfg, nil
}

func parseTargetType(src lbc.AnnotationSource) (TargetType, error) {
	v, ok := src.Get(lbc.AnnotationTargetType)
	if !ok {
		return "", fmt.Errorf("%w: %s is absent, so the LBC default %q applies; the emulator only emulates %q targets",
			ErrUnsupportedTargetType, lbc.AnnotationTargetType, TargetTypeInstance, TargetTypeIP)
	}
	switch TargetType(v) {
	case TargetTypeIP:
		return TargetTypeIP, nil
	case TargetTypeInstance:
		return "", fmt.Errorf("%w: %s=%q; the emulator only emulates %q targets", ErrUnsupportedTargetType, lbc.AnnotationTargetType, v, TargetTypeIP)
	default:
		return "", &AnnotationError{Key: lbc.AnnotationTargetType, Value: v, Reason: "must be ip or instance"}
	}
}

// parser accumulates annotation errors so one event lists all of them.
type parser struct {
	src  lbc.AnnotationSource
	errs []error
}

func (p *parser) err() error { return errors.Join(p.errs...) }

func (p *parser) fail(key, value, reason string) {
	p.errs = append(p.errs, &AnnotationError{Key: key, Value: value, Reason: reason})
}

// intIn reads an integer annotation in [lo, hi], or def when absent.
func (p *parser) intIn(key string, def, lo, hi int) int {
	v, ok := p.src.Get(key)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		p.fail(key, v, "not an integer")
		return def
	}
	if n < lo || n > hi {
		p.fail(key, v, fmt.Sprintf("must be between %d and %d", lo, hi))
		return def
	}
	return n
}

func (p *parser) healthCheck() HealthCheckConfig {
	hc := HealthCheckConfig{
		Path:               defaultHealthCheckPath,
		Port:               lbc.TrafficPort,
		Protocol:           "HTTP",
		Interval:           time.Duration(p.intIn(lbc.AnnotationHealthCheckInt, int(defaultHealthCheckInterval/time.Second), 5, 300)) * time.Second,
		Timeout:            time.Duration(p.intIn(lbc.AnnotationHealthCheckTimeout, int(defaultHealthCheckTimeout/time.Second), 2, 120)) * time.Second,
		HealthyThreshold:   p.intIn(lbc.AnnotationHealthyThreshold, defaultHealthyThreshold, 2, 10),
		UnhealthyThreshold: p.intIn(lbc.AnnotationUnhealthyThreshold, defaultUnhealthyThreshold, 2, 10),
	}
	if v, ok := p.src.Get(lbc.AnnotationHealthCheckPath); ok {
		if !strings.HasPrefix(v, "/") {
			p.fail(lbc.AnnotationHealthCheckPath, v, "must start with /")
		} else {
			hc.Path = v
		}
	}
	if v, ok := p.src.Get(lbc.AnnotationHealthCheckPort); ok {
		hc.Port = p.healthCheckPort(v)
	}
	if v, ok := p.src.Get(lbc.AnnotationHealthCheckProto); ok && v != "HTTP" {
		p.fail(lbc.AnnotationHealthCheckProto, v, "only HTTP is emulated")
	}
	if hc.Timeout >= hc.Interval {
		p.errs = append(p.errs, fmt.Errorf("health check interval %s, timeout %s: Health check interval must be greater than the timeout", hc.Interval, hc.Timeout))
	}
	codes := defaultSuccessCodes
	if v, ok := p.src.Get(lbc.AnnotationSuccessCodes); ok {
		codes = v
	}
	sc, err := ParseSuccessCodes(codes)
	if err != nil {
		p.fail(lbc.AnnotationSuccessCodes, codes, err.Error())
		sc, _ = ParseSuccessCodes(defaultSuccessCodes)
	}
	hc.SuccessCodes = sc
	return hc
}

func (p *parser) healthCheckPort(v string) string {
	if v == lbc.TrafficPort {
		return v
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 65535 {
		p.fail(lbc.AnnotationHealthCheckPort, v, "must be traffic-port or a port number (named ports are not emulated)")
		return lbc.TrafficPort
	}
	return v
}

func (p *parser) backendProtocol() {
	if v, ok := p.src.Get(lbc.AnnotationBackendProtocol); ok && v != "HTTP" {
		p.fail(lbc.AnnotationBackendProtocol, v, "only HTTP is emulated")
	}
}

func (p *parser) targetGroupAttributes(cfg *TargetGroupConfig) {
	raw, ok := p.src.Get(lbc.AnnotationTargetGroupAttrs)
	if !ok {
		return
	}
	attrs, err := lbc.ParseAttributes(raw)
	if err != nil {
		p.fail(lbc.AnnotationTargetGroupAttrs, raw, err.Error())
		return
	}
	if v, ok := attrs[lbc.AttrDeregistrationDelay]; ok {
		if n, err := strconv.Atoi(v); err != nil || n < 0 || n > 3600 {
			p.fail(lbc.AnnotationTargetGroupAttrs, raw, lbc.AttrDeregistrationDelay+" must be an integer between 0 and 3600")
		} else {
			cfg.DeregistrationDelay = time.Duration(n) * time.Second
		}
	}
	if v, ok := attrs[lbc.AttrSlowStart]; ok {
		if n, err := strconv.Atoi(v); err != nil || (n != 0 && (n < 30 || n > 900)) {
			p.fail(lbc.AnnotationTargetGroupAttrs, raw, lbc.AttrSlowStart+" must be 0 or an integer between 30 and 900")
		} else {
			cfg.SlowStart = time.Duration(n) * time.Second
		}
	}
}

var groupNamePattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`)

// ParseLoadBalancerConfig reads the load-balancer level annotations of an
// Ingress: group.name and load-balancer-attributes (idle timeout).
func ParseLoadBalancerConfig(ingressAnn map[string]string, s Settings) (LoadBalancerConfig, error) {
	cfg := LoadBalancerConfig{IdleTimeout: s.DefaultIdleTimeout}
	var errs []error
	if g, ok := ingressAnn[lbc.AnnotationGroupName]; ok {
		if len(g) > 63 || !groupNamePattern.MatchString(g) {
			errs = append(errs, &AnnotationError{Key: lbc.AnnotationGroupName, Value: g,
				Reason: "must be at most 63 lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric"})
		} else {
			cfg.GroupName = g
		}
	}
	if raw, ok := ingressAnn[lbc.AnnotationLoadBalancerAttrs]; ok {
		attrs, err := lbc.ParseAttributes(raw)
		if err != nil {
			errs = append(errs, &AnnotationError{Key: lbc.AnnotationLoadBalancerAttrs, Value: raw, Reason: err.Error()})
		} else if v, ok := attrs[lbc.AttrIdleTimeout]; ok {
			if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 4000 {
				errs = append(errs, &AnnotationError{Key: lbc.AnnotationLoadBalancerAttrs, Value: raw, Reason: lbc.AttrIdleTimeout + " must be an integer between 1 and 4000"})
			} else {
				cfg.IdleTimeout = time.Duration(n) * time.Second
			}
		}
	}
	return cfg, errors.Join(errs...)
}

// SuccessCodes is a health check's matcher: "200", "200,202" or "200-299",
// each code in 200..499 (ALB user guide, "Health checks for Application Load
// Balancer target groups", Matcher / HttpCode).
type SuccessCodes struct {
	raw    string
	ranges [][2]int
}

// ParseSuccessCodes parses an ALB HTTP matcher.
func ParseSuccessCodes(raw string) (SuccessCodes, error) {
	sc := SuccessCodes{raw: raw}
	for _, part := range strings.Split(raw, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		if !isRange {
			hi = lo
		}
		l, errL := strconv.Atoi(strings.TrimSpace(lo))
		h, errH := strconv.Atoi(strings.TrimSpace(hi))
		if errL != nil || errH != nil || l > h {
			return SuccessCodes{}, fmt.Errorf("%q is not a code or a low-high range", part)
		}
		if l < 200 || h > 499 {
			return SuccessCodes{}, fmt.Errorf("%q is outside 200-499", part)
		}
		sc.ranges = append(sc.ranges, [2]int{l, h})
	}
	return sc, nil
}

// Matches tells whether an HTTP status passes the health check.
func (sc SuccessCodes) Matches(code int) bool {
	for _, r := range sc.ranges {
		if code >= r[0] && code <= r[1] {
			return true
		}
	}
	return false
}

// String returns the matcher as written.
func (sc SuccessCodes) String() string { return sc.raw }

// MarshalText renders the matcher as written (for the debug endpoint).
func (sc SuccessCodes) MarshalText() ([]byte, error) { return []byte(sc.raw), nil }
