package cluster

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress prints human-readable lines prefixed with the time since start.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
}

func newProgress(w io.Writer) *progress {
	return &progress{w: w, start: time.Now()}
}

func (p *progress) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "[%6.1fs] %s\n", time.Since(p.start).Seconds(), strings.TrimRight(fmt.Sprintf(format, args...), "\n"))
}

// step runs fn as a named step and prints its outcome and duration.
func (p *progress) step(name string, fn func() (string, error)) error {
	t := time.Now()
	msg, err := fn()
	d := time.Since(t)
	if err != nil {
		p.printf("%s: FAILED after %.1fs: %v", name, d.Seconds(), err)
		return fmt.Errorf("%s: %w", name, err)
	}
	if msg == "" {
		msg = "done"
	}
	p.printf("%s: %s (%.1fs)", name, msg, d.Seconds())
	return nil
}
