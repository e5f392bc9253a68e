// Command pause is the lab's pod sandbox ("pause") image: it holds the pod's
// namespaces open and does nothing else. It exits 0 on SIGTERM or SIGINT and,
// when it runs as PID 1 of a shared process namespace, reaps orphaned
// children like the upstream pause does.
//
// It is built as a static binary and packaged by the lab (see
// lab/cluster/image.go); no registry is needed.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for sig := range sigs {
		if sig == syscall.SIGCHLD {
			reap()
			continue
		}
		os.Exit(0)
	}
}

// reap collects every exited child without blocking.
func reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
