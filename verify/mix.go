package verify

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Kind names one kind of request in a Mix. Reports count requests and
// failures per kind, so a failure of a long request (cut while in flight)
// can be told from one of a short GET (routed to a stopped pod).
type Kind string

// The kinds of request a Mix sends.
const (
	// KindGet is a short GET of the target URL.
	KindGet Kind = "get"
	// KindLong is a GET of the target URL that asks the server to take
	// Mix.LongDuration before answering (query parameter DelayParam).
	KindLong Kind = "long"
	// KindPost is a POST of a small body to the target URL. It is never
	// retried by the client (see postTarget).
	KindPost Kind = "post"
)

// kindOrder is the display order of the kinds.
var kindOrder = []Kind{KindGet, KindLong, KindPost}

// DelayParam is the query parameter that makes a long request slow: the
// demo app answers "GET /?delay=<Go duration>" after that long (app/README.md),
// up to its MAX_DELAY.
const DelayParam = "delay"

// postBody is the body of every POST: small, as a form or API write.
const postBody = `{"verify":"post"}`

// Mix is the request mix sent to every target, in exact proportions: a
// fixed pattern of kinds repeats (70/20/10 % is get, long, get, get, post...
// in a cycle of 10), so any whole number of cycles holds exactly the given
// percentages. The zero Mix sends short GETs only.
type Mix struct {
	// LongPercent is the share of long GETs, in percent (0-100).
	LongPercent int
	// LongDuration is how long each long GET asks the server to take
	// (?delay=); required when LongPercent > 0. It should be the app's
	// longest request (the demo app refuses more than its MAX_DELAY with
	// 400). A long request's client timeout is LongDuration + Config.Timeout.
	LongDuration time.Duration
	// PostPercent is the share of POSTs, in percent (0-100). The rest of
	// the requests, 100 - LongPercent - PostPercent, are short GETs.
	PostPercent int
}

// Validate reports the first problem with the mix, naming the field
// ("Mix.LongDuration: required when ..."). Run calls it.
func (m Mix) Validate() error {
	switch {
	case m.LongPercent < 0 || m.LongPercent > 100:
		return fmt.Errorf("Mix.LongPercent %d: must be between 0 and 100", m.LongPercent)
	case m.PostPercent < 0 || m.PostPercent > 100:
		return fmt.Errorf("Mix.PostPercent %d: must be between 0 and 100", m.PostPercent)
	case m.LongPercent+m.PostPercent > 100:
		return fmt.Errorf("Mix.LongPercent %d + Mix.PostPercent %d: must be at most 100 (the rest are short GETs)", m.LongPercent, m.PostPercent)
	case m.LongDuration < 0:
		return fmt.Errorf("Mix.LongDuration %s: must not be negative", m.LongDuration)
	case m.LongPercent > 0 && m.LongDuration == 0:
		return fmt.Errorf("Mix.LongDuration: required when Mix.LongPercent is %d (set it to the app's longest request)", m.LongPercent)
	case m.LongPercent == 0 && m.LongDuration > 0:
		return fmt.Errorf("Mix.LongDuration %s: set, but Mix.LongPercent is 0, so no long request would be sent", m.LongDuration)
	}
	return nil
}

// longest is the longest time a request of the mix asks the server to take.
func (m Mix) longest() time.Duration {
	if m.LongPercent == 0 {
		return 0
	}
	return m.LongDuration
}

// String describes the mix ("70% get, 20% long 10s, 10% post").
func (m Mix) String() string {
	s := fmt.Sprintf("%d%% get", 100-m.LongPercent-m.PostPercent)
	if m.LongPercent > 0 {
		s += fmt.Sprintf(", %d%% long %s", m.LongPercent, m.LongDuration)
	}
	if m.PostPercent > 0 {
		s += fmt.Sprintf(", %d%% post", m.PostPercent)
	}
	return s
}

// pattern is one cycle of kinds with exactly the mix's proportions, reduced
// to its shortest length and interleaved by smooth weighted round robin (the
// kinds are spread over the cycle, not sent in blocks).
func (m Mix) pattern() []Kind {
	weights := []int{100 - m.LongPercent - m.PostPercent, m.LongPercent, m.PostPercent}
	g := 0
	for _, w := range weights {
		g = gcd(g, w)
	}
	total := 0
	for i := range weights {
		weights[i] /= g
		total += weights[i]
	}
	current := make([]int, len(weights))
	out := make([]Kind, 0, total)
	for range total {
		best := 0
		for i, w := range weights {
			current[i] += w
			if current[i] > current[best] {
				best = i
			}
		}
		current[best] -= total
		out = append(out, kindOrder[best])
	}
	return out
}

// gcd is the greatest common divisor (gcd(0, n) = n).
func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// plannedRequest is what the run knows about one request of the mix: its
// kind and its client timeout.
type plannedRequest struct {
	kind    Kind
	timeout time.Duration
}

// mixPlan is a target's mix as vegeta targets, with a lookup from a sent
// request (method and URL) back to its kind and timeout.
type mixPlan struct {
	targets []vegeta.Target
	byKey   map[string]plannedRequest
}

// newMixPlan builds the vegeta targets of one target URL's mix: one per
// position of the pattern. host, when set, is sent as the Host header.
func newMixPlan(m Mix, rawURL, host string, timeout time.Duration) (*mixPlan, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("mix for %q: %w", rawURL, err)
	}
	p := &mixPlan{byKey: map[string]plannedRequest{}}
	for _, k := range m.pattern() {
		tgt, budget := kindTarget(k, u, m.LongDuration)
		if host != "" {
			tgt.Header.Set("Host", host)
		}
		p.targets = append(p.targets, tgt)
		p.byKey[requestKey(tgt.Method, tgt.URL)] = plannedRequest{kind: k, timeout: timeout + budget}
	}
	return p, nil
}

// kindTarget is the vegeta target of one kind of request to u, and how long
// the server is asked to take for it (added to the client's timeout).
func kindTarget(k Kind, u *url.URL, long time.Duration) (vegeta.Target, time.Duration) {
	switch k {
	case KindLong:
		lu := *u
		q := lu.Query()
		q.Set(DelayParam, long.String())
		lu.RawQuery = q.Encode()
		return vegeta.Target{Method: http.MethodGet, URL: lu.String(), Header: http.Header{}}, long
	case KindPost:
		return postTarget(u), 0
	default:
		return vegeta.Target{Method: http.MethodGet, URL: u.String(), Header: http.Header{}}, 0
	}
}

// postTarget is a POST of postBody to u. Go's transport retries a request
// on a new connection when a reused one dies only if the request is
// replayable: GET, HEAD, OPTIONS, TRACE, or any method carrying an
// Idempotency-Key or X-Idempotency-Key header (net/http, Request.isReplayable).
// A POST without those headers is therefore never sent twice, once written
// (the transport may still resend one it never wrote, which the server never
// saw); a browser does the same. No header here names one, and vegeta adds
// only X-Vegeta-Seq and X-Vegeta-Attack.
func postTarget(u *url.URL) vegeta.Target {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return vegeta.Target{Method: http.MethodPost, URL: u.String(), Body: []byte(postBody), Header: h}
}

// requestKey identifies a planned request by method and URL.
func requestKey(method, rawURL string) string { return method + " " + rawURL }

// lookup returns the planned request for a method and URL as vegeta or the
// transport saw them.
func (p *mixPlan) lookup(method, rawURL string) (plannedRequest, bool) {
	pr, ok := p.byKey[requestKey(method, rawURL)]
	return pr, ok
}

// errNoTarget is returned by a plan without targets (a bug: every valid
// mix has at least one kind).
var errNoTarget = errors.New("verify: empty request mix")

// targeter is vegeta's round-robin targeter over the plan's pattern:
// deterministic, so the proportions are exact.
func (p *mixPlan) targeter() (vegeta.Targeter, error) {
	if len(p.targets) == 0 {
		return nil, errNoTarget
	}
	return vegeta.NewStaticTargeter(p.targets...), nil
}
