package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"

	"github.com/zdt-eks/zdt/internal/lbc"
)

// healthCheckUserAgent is the User-Agent the ALB's health checker sends.
const healthCheckUserAgent = "ELB-HealthChecker/2.0"

// HTTPHealthChecker returns the real health check: an HTTP GET of
// http://<pod IP>:<port><path> with the check's timeout, no redirects
// followed, no connection reuse. It passes when the status matches the
// success codes, and otherwise fails with the ALB's reasons:
// Target.Timeout, Target.ResponseCodeMismatch or Target.FailedHealthChecks.
func HTTPHealthChecker() HealthChecker {
	client := &http.Client{
		Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return func(ctx context.Context, t TargetSpec, hc HealthCheckConfig) CheckResult {
		return httpCheck(ctx, client, t, hc)
	}
}

func httpCheck(ctx context.Context, client *http.Client, t TargetSpec, hc HealthCheckConfig) CheckResult {
	ctx, cancel := context.WithTimeout(ctx, hc.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, healthCheckURL(t, hc), nil)
	if err != nil {
		return CheckResult{Reason: ReasonFailedHealthChecks, Description: fmt.Sprintf("Health checks failed: %v", err)}
	}
	req.Header.Set("User-Agent", healthCheckUserAgent)
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			return CheckResult{Reason: ReasonTimeout, Description: "Request timed out"}
		}
		return CheckResult{Reason: ReasonFailedHealthChecks, Description: "Health checks failed"}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if !hc.SuccessCodes.Matches(resp.StatusCode) {
		return CheckResult{Reason: ReasonResponseCodeMismatch, Description: fmt.Sprintf("Health checks failed with these codes: [%d]", resp.StatusCode)}
	}
	return CheckResult{Healthy: true}
}

func healthCheckURL(t TargetSpec, hc HealthCheckConfig) string {
	port := strconv.Itoa(int(t.Port))
	if hc.Port != "" && hc.Port != lbc.TrafficPort {
		port = hc.Port
	}
	u := url.URL{Scheme: "http", Host: net.JoinHostPort(t.IP, port)}
	return u.String() + hc.Path
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
