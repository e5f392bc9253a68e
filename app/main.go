// Command app is the demo HTTP server of the zero-downtime lab. See
// README.md for flags, endpoints and the lifecycle.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/zdt-eks/zdt/app/server"
)

// version is set at link time: -ldflags "-X main.version=v1".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is main without os.Exit: it returns the exit status. In naive mode a
// termination signal makes it return server.NaiveExitCode at once, and main
// exits without waiting for in-flight requests.
func run(args []string, getenv env, stdout, stderr io.Writer) int {
	o, err := parseConfig(args, getenv, os.Hostname, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "app:", err)
		return 2
	}
	if o.printVersion {
		fmt.Fprintln(stdout, o.cfg.Version)
		return 0
	}
	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	o.cfg.Logger = logger
	srv, err := server.New(o.cfg)
	if err != nil {
		logger.Error("cannot start", "error", err.Error())
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		// After the first signal, restore the default action so that a
		// second Ctrl-C ends a local run at once.
		<-ctx.Done()
		stop()
	}()
	err = srv.Run(ctx)
	switch {
	case errors.Is(err, server.ErrNaiveExit):
		return server.NaiveExitCode
	case err != nil:
		logger.Error("server failed", "error", err.Error())
		return 1
	}
	return 0
}
