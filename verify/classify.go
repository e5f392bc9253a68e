package verify

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"syscall"
)

// Class names the outcome of one request. Status codes other than 2xx are
// classes of their own, named by the decimal code ("502", "503", "301").
type Class string

// The classes that are not HTTP status codes.
const (
	// ClassOK is any 2xx response.
	ClassOK Class = "ok"
	// ClassTimeout is a request that did not complete (connect, headers and
	// body) within the per-request timeout.
	ClassTimeout Class = "timeout"
	// ClassRefused is a connection refused by the peer (TCP RST to the SYN):
	// nothing listens on the address.
	ClassRefused Class = "refused"
	// ClassReset is a connection that the peer reset or closed before a
	// complete response arrived (ECONNRESET, EOF, unexpected EOF, broken pipe).
	ClassReset Class = "reset"
	// ClassOther is every other error (DNS failure, unreachable network, TLS
	// errors, malformed responses...). Report.Targets[].Errors keeps samples.
	ClassOther Class = "other"
)

// Failed reports whether the class counts as a failed request: everything but
// ClassOK.
func (c Class) Failed() bool { return c != ClassOK }

// StatusClass returns the class of a response with the given HTTP status code:
// ClassOK for 2xx, the decimal code for anything else. Redirects are not
// followed, so a 3xx counts as a failure: point the verifier at the URL that
// answers 2xx.
func StatusClass(code int) Class {
	if code >= 200 && code <= 299 {
		return ClassOK
	}
	return Class(strconv.Itoa(code))
}

// ClassifyError maps an error returned by an HTTP round trip or a response
// body read to a class. It inspects the typed error chain (errors.Is/As), not
// error strings, so the mapping does not depend on message wording, which
// differs between Go versions and operating systems.
//
// deadlineHit tells whether the request's own timeout had fired when the
// error was returned; the transport reports such errors in several shapes
// (context.DeadlineExceeded, a net.Error with Timeout, a cancelled read), and
// knowing that our deadline passed is the exact signal.
func ClassifyError(err error, deadlineHit bool) Class {
	var netErr net.Error
	switch {
	case err == nil:
		return ClassOK
	case deadlineHit, errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		return ClassTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ClassRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE), errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF):
		return ClassReset
	default:
		return ClassOther
	}
}
