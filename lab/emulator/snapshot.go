package emulator

import (
	"encoding/json"
	"net/http"
	"sort"
	"time"
)

// Snapshot is the emulator's state as the debug endpoint serves it.
type Snapshot struct {
	Time          time.Time          `json:"time"`
	LoadBalancers []LoadBalancerView `json:"loadBalancers"`
	Routes        []RouteView        `json:"routes"`
	TargetGroups  []TargetGroupView  `json:"targetGroups"`
}

// RouteView is one listener rule.
type RouteView struct {
	LoadBalancer string `json:"loadBalancer"`
	Ingress      string `json:"ingress"`
	Host         string `json:"host"`
	Path         string `json:"path"`
	PathType     string `json:"pathType"`
	TargetGroup  string `json:"targetGroup"`
}

// TargetGroupView is one target group and its targets.
type TargetGroupView struct {
	Name                       string          `json:"name"`
	GateConditionType          string          `json:"gateConditionType"`
	Namespace                  string          `json:"namespace"`
	Service                    string          `json:"service"`
	ServicePort                string          `json:"servicePort"`
	LoadBalancer               string          `json:"loadBalancer"`
	Ingresses                  []string        `json:"ingresses"`
	TargetType                 TargetType      `json:"targetType"`
	HealthCheck                HealthCheckView `json:"healthCheck"`
	DeregistrationDelaySeconds float64         `json:"deregistrationDelaySeconds"`
	SlowStartSeconds           float64         `json:"slowStartSeconds"`
	Targets                    []TargetStatus  `json:"targets"`
}

// HealthCheckView is a health check with durations in seconds.
type HealthCheckView struct {
	Path               string  `json:"path"`
	Port               string  `json:"port"`
	IntervalSeconds    float64 `json:"intervalSeconds"`
	TimeoutSeconds     float64 `json:"timeoutSeconds"`
	HealthyThreshold   int     `json:"healthyThreshold"`
	UnhealthyThreshold int     `json:"unhealthyThreshold"`
	SuccessCodes       string  `json:"successCodes"`
}

// Snapshot returns the controller's load balancers, routes and target groups.
func (c *Controller) Snapshot() Snapshot {
	c.mu.RLock()
	lbs := append([]LoadBalancerView{}, c.loadBalancers...)
	groups := make([]TargetGroupView, 0, len(c.groups))
	for _, g := range c.groups {
		groups = append(groups, groupView(g))
	}
	c.mu.RUnlock()
	sort.Slice(groups, func(i, j int) bool { return groups[i].Name < groups[j].Name })
	routes := []RouteView{}
	for _, r := range c.dataPlane.Routes() {
		rv := RouteView{LoadBalancer: r.LoadBalancer, Ingress: r.Ingress, Host: r.Host, Path: r.Path, PathType: string(r.PathType)}
		if r.TargetGroup != nil {
			rv.TargetGroup = r.TargetGroup.Name()
		}
		routes = append(routes, rv)
	}
	return Snapshot{Time: c.clock.Now(), LoadBalancers: lbs, Routes: routes, TargetGroups: groups}
}

func groupView(g *managedGroup) TargetGroupView {
	cfg := g.tg.Config()
	hc := cfg.HealthCheck
	v := TargetGroupView{
		Name: g.tg.Name(), GateConditionType: string(GateConditionType(g.tg.Name())),
		Namespace: g.namespace, Service: g.service, ServicePort: g.port.String(),
		LoadBalancer: g.loadBalancer, Ingresses: append([]string{}, g.ingresses...), TargetType: cfg.TargetType,
		HealthCheck: HealthCheckView{
			Path: hc.Path, Port: hc.Port, IntervalSeconds: hc.Interval.Seconds(), TimeoutSeconds: hc.Timeout.Seconds(),
			HealthyThreshold: hc.HealthyThreshold, UnhealthyThreshold: hc.UnhealthyThreshold, SuccessCodes: hc.SuccessCodes.String(),
		},
		DeregistrationDelaySeconds: cfg.DeregistrationDelay.Seconds(),
		SlowStartSeconds:           cfg.SlowStart.Seconds(),
		Targets:                    g.tg.Targets(),
	}
	return v
}

// DebugPathTargets is where the debug server serves the Snapshot as JSON.
const DebugPathTargets = "/debug/targets"

// debugHandler serves /debug/targets (the Snapshot), /debug/ca.pem (the
// webhook CA) and /healthz (200 once ready).
func debugHandler(snapshot func() Snapshot, caPEM []byte, ready <-chan struct{}) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+DebugPathTargets, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(snapshot())
	})
	mux.HandleFunc("GET /debug/ca.pem", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-pem-file")
		_, _ = w.Write(caPEM)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		select {
		case <-ready:
			_, _ = w.Write([]byte("ok\n"))
		default:
			http.Error(w, "starting", http.StatusServiceUnavailable)
		}
	})
	return mux
}
