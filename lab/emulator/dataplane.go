package emulator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
)

// Route is one listener rule of the data plane: requests whose host and path
// match go to TargetGroup.
type Route struct {
	// LoadBalancer and Hostname identify the emulated ALB (Ingress group).
	LoadBalancer string
	Hostname     string
	// Ingress is namespace/name of the Ingress the rule comes from.
	Ingress string
	// Host is the rule's host: exact, "*.suffix" wildcard, or "" for any.
	Host string
	// Path and PathType as in the Ingress; ImplementationSpecific is treated
	// as Prefix. An empty Path is the Ingress default backend.
	Path     string
	PathType networkingv1.PathType
	// TargetGroup receives the requests; nil answers 503 (a backend the
	// emulator built no target group for).
	TargetGroup *TargetGroup
	// IdleTimeout is the load balancer's idle timeout.
	IdleTimeout time.Duration
}

// Reasons the data plane reports in the X-Albemu-Reason header of the
// responses it generates itself.
const (
	reasonNoRoute            = "no-matching-rule"
	reasonNoTargetGroup      = "no-target-group"
	reasonNoRegistered       = "no-registered-targets"
	reasonNoUsable           = "no-usable-targets"
	reasonTargetDeregistered = "target-deregistered"
	reasonIdleTimeout        = "idle-timeout"
	reasonConnectTimeout     = "connect-timeout"
	reasonConnectFailed      = "connect-failed"
	reasonTargetError        = "target-error"
	reasonTargetClosed       = "target-closed-connection"

	// HeaderReason names the header carrying one of the reasons above.
	HeaderReason = "X-Albemu-Reason"
)

var errIdleTimeout = errors.New("idle timeout elapsed")

// DataPlane is the emulated ALB listener: an HTTP reverse proxy that routes
// by host and longest path prefix to target groups and forwards each request
// to a target TargetGroup.Pick chooses.
type DataPlane struct {
	settings  Settings
	log       *slog.Logger
	transport *http.Transport

	mu     sync.RWMutex
	routes []Route
}

// NewDataPlane builds a data plane with no routes.
func NewDataPlane(s Settings, log *slog.Logger) *DataPlane {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dialer := &net.Dialer{Timeout: s.ConnectTimeout, KeepAlive: 30 * time.Second}
	return &DataPlane{
		settings: s,
		log:      log,
		transport: &http.Transport{
			Proxy:               nil,
			DialContext:         dialer.DialContext,
			DisableKeepAlives:   s.DisableTargetKeepAlive,
			DisableCompression:  true,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
		},
	}
}

// SetRoutes replaces the routing table.
func (d *DataPlane) SetRoutes(routes []Route) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.routes = append([]Route(nil), routes...)
}

// Routes returns the routing table.
func (d *DataPlane) Routes() []Route {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return append([]Route(nil), d.routes...)
}

// Close drops idle connections to targets.
func (d *DataPlane) Close() { d.transport.CloseIdleConnections() }

// ServeHTTP implements http.Handler.
func (d *DataPlane) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route, ok := d.match(r.Host, r.URL.Path)
	if !ok {
		// The LBC's default listener action is a fixed 404.
		d.reject(w, r, http.StatusNotFound, reasonNoRoute, "")
		return
	}
	if route.TargetGroup == nil {
		d.reject(w, r, http.StatusServiceUnavailable, reasonNoTargetGroup, "")
		return
	}
	lease, status := route.TargetGroup.Pick()
	if lease == nil {
		reason := reasonNoUsable
		if status == http.StatusServiceUnavailable {
			reason = reasonNoRegistered
		}
		d.reject(w, r, status, reason, route.TargetGroup.Name())
		return
	}
	defer lease.Done()
	d.forward(w, r, route, lease)
}

// match finds the route for a request. A Host equal to an emulated ALB's
// hostname restricts the match to that ALB's rules. Among matching rules an
// exact host beats a wildcard beats any host; then an Exact path beats a
// prefix, and the longest prefix wins; ties go to the earlier rule.
func (d *DataPlane) match(hostport, path string) (Route, bool) {
	host := strings.ToLower(hostport)
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = strings.ToLower(h)
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	lbOnly := false
	for _, rt := range d.routes {
		if rt.Hostname != "" && rt.Hostname == host {
			lbOnly = true
			break
		}
	}
	best, bestScore, found := Route{}, [3]int{}, false
	for _, rt := range d.routes {
		if lbOnly && rt.Hostname != host {
			continue
		}
		hs, ok := hostScore(rt.Host, host)
		if !ok {
			continue
		}
		exact, plen, ok := pathScore(rt.Path, rt.PathType, path)
		if !ok {
			continue
		}
		score := [3]int{hs, exact, plen}
		if !found || better(score, bestScore) {
			best, bestScore, found = rt, score, true
		}
	}
	return best, found
}

func better(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return false
}

func hostScore(ruleHost, host string) (int, bool) {
	switch {
	case ruleHost == "":
		return 0, true
	case strings.HasPrefix(ruleHost, "*."):
		suffix := strings.ToLower(ruleHost[1:])
		// A wildcard covers exactly one DNS label.
		if strings.HasSuffix(host, suffix) && !strings.Contains(strings.TrimSuffix(host, suffix), ".") && len(host) > len(suffix) {
			return 1, true
		}
		return 0, false
	case strings.EqualFold(ruleHost, host):
		return 2, true
	default:
		return 0, false
	}
}

// pathScore matches an Ingress path: Exact is string equality, Prefix matches
// whole path elements ("/foo" matches "/foo" and "/foo/bar", not "/foobar").
// The default backend (empty path) matches everything with the lowest score.
func pathScore(rulePath string, pt networkingv1.PathType, path string) (exact, length int, ok bool) {
	if rulePath == "" {
		return 0, -1, true
	}
	if pt == networkingv1.PathTypeExact {
		return 1, len(rulePath), path == rulePath
	}
	p := strings.TrimSuffix(rulePath, "/")
	if p == "" || path == p || strings.HasPrefix(path, p+"/") {
		return 0, len(p), true
	}
	return 0, 0, false
}

// forward proxies one request to the leased target and maps failures to the
// ALB's status codes: 504 when the target does not answer within the idle
// timeout or cannot be connected within the connect timeout, 502 when it
// refuses or resets, or when its deregistration delay ends mid-request.
func (d *DataPlane) forward(w http.ResponseWriter, r *http.Request, route Route, lease *Lease) {
	if route.IdleTimeout <= 0 {
		route.IdleTimeout = d.settings.DefaultIdleTimeout
	}
	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	stopCut := context.AfterFunc(lease.Context, func() { cancel(context.Cause(lease.Context)) })
	defer stopCut()
	idle := time.AfterFunc(route.IdleTimeout, func() { cancel(errIdleTimeout) })
	defer idle.Stop()
	traced := noSilentRetry(ctx, cancel)
	start := time.Now()
	resp, err := d.transport.RoundTrip(outboundRequest(traced, r, lease.Target))
	if err != nil {
		status, reason := classifyError(err, context.Cause(ctx), r.Context())
		if status == 0 {
			// The client went away before the target answered: the ALB
			// logs 460 in its access log.
			d.log.Info("client closed the request", "status", 460, "targetGroup", route.TargetGroup.Name(),
				"target", lease.Target.ID(), "path", r.URL.Path, "waited", time.Since(start).String())
			return
		}
		d.reject(w, r, status, reason, route.TargetGroup.Name()+" "+lease.Target.ID())
		return
	}
	defer func() { _ = resp.Body.Close() }()
	idle.Reset(route.IdleTimeout)
	copyHeader(w.Header(), resp.Header)
	w.WriteHeader(resp.StatusCode)
	if err := copyBody(w, resp.Body, func() { idle.Reset(route.IdleTimeout) }); err != nil {
		cause := context.Cause(ctx)
		d.log.Info("response cut", "targetGroup", route.TargetGroup.Name(), "target", lease.Target.ID(),
			"path", r.URL.Path, "error", err.Error(), "cause", fmt.Sprint(cause))
		// Headers are gone: the ALB closes the client connection.
		panic(http.ErrAbortHandler)
	}
}

// errTargetClosed is the cause when a target closed a reused connection
// before answering: Go's transport would silently retry an idempotent request
// on another connection; an ALB answers 502 instead.
var errTargetClosed = errors.New("target closed the connection before responding")

// noSilentRetry stops the transport's automatic retry: net/http retries a
// replayable request (every GET) once when a reused connection dies before
// the first response byte, and offers no option to turn that off, so the
// second connection attempt is detected through httptrace and the request
// cancelled, to be answered 502 like the ALB does (alb-behaviour.md, second
// review; ALB user guide, "HTTP 502: Bad gateway": the target closed the
// connection while the load balancer had an outstanding request).
func noSilentRetry(ctx context.Context, cancel context.CancelCauseFunc) context.Context {
	var attempts atomic.Int32
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GetConn: func(string) {
			if attempts.Add(1) > 1 {
				cancel(errTargetClosed)
			}
		},
	})
}

func classifyError(err, cause error, clientCtx context.Context) (int, string) {
	var op *net.OpError
	isDial := errors.As(err, &op) && op.Op == "dial"
	switch {
	case errors.Is(cause, ErrTargetDeregistered):
		return http.StatusBadGateway, reasonTargetDeregistered
	case errors.Is(cause, errTargetClosed):
		return http.StatusBadGateway, reasonTargetClosed
	case errors.Is(cause, errIdleTimeout):
		return http.StatusGatewayTimeout, reasonIdleTimeout
	case isDial && isTimeout(err):
		return http.StatusGatewayTimeout, reasonConnectTimeout
	case clientCtx.Err() != nil:
		return 0, ""
	case isDial:
		return http.StatusBadGateway, reasonConnectFailed
	default:
		return http.StatusBadGateway, reasonTargetError
	}
}

// hopHeaders are not forwarded (RFC 9110 section 7.6.1).
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func removeHopHeaders(h http.Header) {
	for _, f := range h.Values("Connection") {
		for _, name := range strings.Split(f, ",") {
			h.Del(strings.TrimSpace(name))
		}
	}
	for _, name := range hopHeaders {
		h.Del(name)
	}
}

func outboundRequest(ctx context.Context, r *http.Request, t TargetSpec) *http.Request {
	out := r.Clone(ctx)
	out.RequestURI = ""
	out.URL.Scheme = "http"
	out.URL.Host = t.ID()
	out.Host = r.Host
	if r.ContentLength == 0 {
		out.Body = nil
	}
	removeHopHeaders(out.Header)
	// The ALB's request headers (ALB user guide, "HTTP headers and
	// Application Load Balancers").
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		if prior := out.Header.Get("X-Forwarded-For"); prior != "" {
			ip = prior + ", " + ip
		}
		out.Header.Set("X-Forwarded-For", ip)
	}
	out.Header.Set("X-Forwarded-Proto", "http")
	if addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, port, err := net.SplitHostPort(addr.String()); err == nil {
			out.Header.Set("X-Forwarded-Port", port)
		}
	}
	if out.Header.Get("X-Amzn-Trace-Id") == "" {
		out.Header.Set("X-Amzn-Trace-Id", traceID())
	}
	return out
}

func traceID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "Root=1-" + strconv.FormatInt(time.Now().Unix(), 16) + "-" + hex.EncodeToString(b[:])
}

func copyHeader(dst, src http.Header) {
	for k, vs := range src {
		for _, v := range vs {
			dst.Add(k, v)
		}
	}
	removeHopHeaders(dst)
}

// copyBody streams the response, flushing each chunk; activity resets the
// idle timer.
func copyBody(w http.ResponseWriter, body io.Reader, activity func()) error {
	rc := http.NewResponseController(w)
	buf := make([]byte, 32<<10)
	for {
		n, err := body.Read(buf)
		if n > 0 {
			activity()
			if _, werr := w.Write(buf[:n]); werr != nil {
				return nil // the client went away
			}
			_ = rc.Flush()
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read response body: %w", err)
		}
	}
}

// reject answers with an error page in the ALB's style.
func (d *DataPlane) reject(w http.ResponseWriter, r *http.Request, status int, reason, where string) {
	d.log.Info("load balancer error", "status", status, "reason", reason, "where", where,
		"host", r.Host, "path", r.URL.Path)
	h := w.Header()
	h.Set("Server", "awselb/2.0")
	h.Set("Content-Type", "text/html")
	h.Set(HeaderReason, reason)
	w.WriteHeader(status)
	text := http.StatusText(status)
	_, _ = fmt.Fprintf(w, "<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n</body>\r\n</html>\r\n",
		status, text, status, text)
}
