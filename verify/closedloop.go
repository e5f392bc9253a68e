package verify

import (
	"fmt"
	"io"
	"strconv"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// closedLoop runs one target's closed loop: one request at a time, the next
// sent Config.ClosedLoop after the previous one ended (answered, failed or
// timed out), until the run stops or Config.Duration has passed. It returns
// the results as vegeta results, so that classification, aggregation and
// the report are exactly those of the open loop; the channel is closed when
// the loop ends.
//
// Why not vegeta: vegeta is open-loop only, on purpose: its Attacker starts
// requests on its Pacer's schedule whatever earlier ones do, so a hanging
// server cannot slow the measurement down. The field report's
// `while true; do curl -m 5 ...; sleep 0.5; done` is the opposite: a request
// that hangs for its 5 s timeout delays every later one, so a window of
// timeouts yields one sample where open loop yields ten. Reproducing the
// report's table at its sampling means reproducing that coupling, which no
// vegeta Pacer can express (a Pacer decides when to send from the elapsed
// time and hit count, not from whether the previous request ended; one
// worker (MaxWorkers 1) still catches up on missed ticks and sends back to
// back). The loop below is a few lines around the same client, transport,
// mix targeter and result type.
func (r *run) closedLoop(t *targetRun) <-chan *vegeta.Result {
	results := make(chan *vegeta.Result)
	next := r.targeter(t)
	go func() {
		defer close(results)
		for seq := uint64(0); r.mayStart(); seq++ {
			results <- closedHit(t, next, seq)
			if !r.pause() {
				return
			}
		}
	}()
	return results
}

// mayStart tells whether a closed loop may send another request: the run
// is not stopped and its Duration (if any) has not passed.
func (r *run) mayStart() bool {
	if r.stopped.Load() {
		return false
	}
	return r.cfg.Duration <= 0 || time.Since(r.began) < r.cfg.Duration
}

// pause waits Config.ClosedLoop between two requests; it returns false when
// the run stopped meanwhile.
func (r *run) pause() bool {
	timer := time.NewTimer(r.cfg.ClosedLoop)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-r.stopCh:
		return false
	}
}

// closedHit sends one request of the mix and waits for its end, filling a
// vegeta.Result the way vegeta's Attacker does: Code is set only when the
// whole response was read, Error holds the transport or body error, and the
// sequence number goes out in the header the transport files its
// classification under.
func closedHit(t *targetRun, next vegeta.Targeter, seq uint64) *vegeta.Result {
	res := &vegeta.Result{Attack: t.target.Name, Seq: seq, Timestamp: time.Now()}
	defer func() { res.Latency = time.Since(res.Timestamp) }()
	var tgt vegeta.Target
	if err := next(&tgt); err != nil {
		res.Error = err.Error()
		return res
	}
	res.Method, res.URL = tgt.Method, tgt.URL
	req, err := tgt.Request()
	if err != nil {
		res.Error = fmt.Sprintf("build request: %v", err)
		return res
	}
	req.Header.Set(seqHeader, strconv.FormatUint(seq, 10))
	resp, err := t.client.Do(req)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	defer func() { _ = resp.Body.Close() }()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		res.Error = err.Error()
		return res
	}
	res.Code, res.Headers = uint16(resp.StatusCode), resp.Header
	return res
}
