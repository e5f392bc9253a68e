package emulator

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// webhookServer serves the pod mutating webhook over TLS on one address and
// can stop and serve again there (the LBC's pod dying and coming back), so
// the MutatingWebhookConfiguration's URL and CA bundle stay right.
type webhookServer struct {
	addr    string
	handler http.Handler
	tls     *tls.Config
	// onError receives a failure of the server other than its shutdown.
	onError func(error)

	mu     sync.Mutex
	srv    *http.Server
	served chan struct{} // closed when srv's Serve has returned
}

// serve starts serving on ln, or on a new listener on addr when ln is nil.
// Serving while already serving does nothing.
func (w *webhookServer) serve(ln net.Listener) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.srv != nil {
		if ln != nil {
			_ = ln.Close()
		}
		return nil
	}
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", w.addr); err != nil {
			return fmt.Errorf("listen for the webhook on %s again: %w", w.addr, err)
		}
	}
	srv := &http.Server{Handler: w.handler, TLSConfig: w.tls, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := srv.Serve(tls.NewListener(ln, w.tls)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			w.onError(fmt.Errorf("webhook server: %w", err))
		}
	}()
	w.srv, w.served = srv, served
	return nil
}

// shutdown stops serving: the listener closes at once (new connections are
// refused), requests under way finish, bounded by ctx.
func (w *webhookServer) shutdown(ctx context.Context) error {
	w.mu.Lock()
	srv, served := w.srv, w.served
	w.srv, w.served = nil, nil
	w.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Shutdown(ctx)
	<-served
	if err != nil {
		return fmt.Errorf("webhook server shutdown: %w", err)
	}
	return nil
}

// serving tells whether the webhook accepts connections.
func (w *webhookServer) serving() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.srv != nil
}
