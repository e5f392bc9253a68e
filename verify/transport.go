package verify

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// seqHeader is the request header in which vegeta's Attacker numbers every
// request of an attack (it sets it on each request it sends); the same number
// is Result.Seq. It lets the transport hand a typed classification to the
// result consumer.
const seqHeader = "X-Vegeta-Seq"

// classifyingTransport wraps an *http.Transport to classify transport errors
// from their typed values and to enforce the per-request timeout.
//
// Why not vegeta's own error reporting: vegeta.Result carries only
// err.Error(), a string whose wording varies with the Go version and the
// operating system ("connection refused", "EOF", "Client.Timeout exceeded
// while awaiting headers", "... while reading body"). Mapping strings would be
// guesswork; here the error values are still typed, and ClassifyError uses
// errors.Is/As. The class is stored under the request's sequence number and
// picked up by the consumer of vegeta's results.
//
// Why the timeout lives here and not in vegeta.Timeout (http.Client.Timeout):
// for a RoundTripper that is not a bare *http.Transport, http.Client enforces
// its Timeout with a legacy path (one timer and cancel channel per request),
// and the transport cannot tell whether a cancellation was that timeout. A
// context deadline set here covers connect, headers and body exactly like
// Client.Timeout, and "our deadline fired" is the exact timeout signal.
type classifyingTransport struct {
	base    *http.Transport
	timeout time.Duration
	plan    *mixPlan // per-request timeouts of the mix (long requests get more)
	classes sync.Map // uint64 seq -> errorRecord
}

// errorRecord is what the transport learned about a failed request.
type errorRecord struct {
	class Class
}

// newTransport builds the HTTP transport for one target. The settings mirror
// vegeta's default transport (proxy from environment, dial keep-alive 30s,
// many idle connections per host, certificate verification on), except that
// compression is off since bodies are discarded anyway; keep-alive is
// configured here because vegeta.KeepAlive only works on its built-in
// transport, which cannot be wrapped. tlsConf is the TLS client
// configuration (tlsConfig). timeout applies to requests that plan does not
// know (plan may be nil); the plan's requests get their own.
func newTransport(keepAlive bool, timeout time.Duration, tlsConf *tls.Config, plan *mixPlan) *classifyingTransport {
	dialer := &net.Dialer{KeepAlive: 30 * time.Second}
	if !keepAlive {
		dialer.KeepAlive = -1
	}
	base := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dialer.DialContext,
		TLSClientConfig:     tlsConf,
		MaxIdleConnsPerHost: 10000,
		DisableKeepAlives:   !keepAlive,
		DisableCompression:  true,
	}
	return &classifyingTransport{base: base, timeout: timeout, plan: plan}
}

// tlsConfig is the TLS client configuration of a run: certificate
// verification always on, against cfg.RootCAs when set, and with cfg.Host
// (without a port) as the server name when set. An empty ServerName lets
// net/http use the URL's host.
func tlsConfig(cfg Config) *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName(cfg.Host), RootCAs: cfg.RootCAs}
}

// serverName is host without a port (and without IPv6 brackets).
func serverName(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
}

// RoundTrip implements http.RoundTripper.
func (t *classifyingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.timeoutFor(req))
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		t.record(req, ClassifyError(err, errors.Is(ctx.Err(), context.DeadlineExceeded)))
		cancel()
		return nil, err
	}
	resp.Body = &classifyingBody{ReadCloser: resp.Body, t: t, req: req, ctx: ctx, cancel: cancel}
	return resp, nil
}

// timeoutFor is the request's timeout: the mix's for a planned request
// (a long one gets its delay on top), else the run's.
func (t *classifyingTransport) timeoutFor(req *http.Request) time.Duration {
	if t.plan != nil {
		if pr, ok := t.plan.lookup(req.Method, req.URL.String()); ok {
			return pr.timeout
		}
	}
	return t.timeout
}

// record stores the class of a failed request under its sequence number.
func (t *classifyingTransport) record(req *http.Request, c Class) {
	seq, err := strconv.ParseUint(req.Header.Get(seqHeader), 10, 64)
	if err != nil {
		return // not sent by vegeta: nobody will look the class up
	}
	t.classes.Store(seq, errorRecord{class: c})
}

// take returns and forgets the class recorded for a request, if any.
func (t *classifyingTransport) take(seq uint64) (Class, bool) {
	v, ok := t.classes.LoadAndDelete(seq)
	if !ok {
		return "", false
	}
	return v.(errorRecord).class, true
}

// close releases idle connections.
func (t *classifyingTransport) close() { t.base.CloseIdleConnections() }

// classifyingBody classifies errors that happen while the body is read (a
// reset or timeout after the headers arrived) and releases the request's
// deadline when the body is closed.
type classifyingBody struct {
	io.ReadCloser
	t      *classifyingTransport
	req    *http.Request
	ctx    context.Context
	cancel context.CancelFunc
}

// Read implements io.Reader.
func (b *classifyingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		b.t.record(b.req, ClassifyError(err, errors.Is(b.ctx.Err(), context.DeadlineExceeded)))
	}
	return n, err
}

// Close implements io.Closer.
func (b *classifyingBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
