package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/zdt-eks/zdt/app/server"
)

// Defaults of the flags; each can also be set by the environment variable
// named in parseConfig. A flag wins over its environment variable.
const (
	defaultListen          = ":8080"
	defaultBootDelay       = 10 * time.Second
	defaultDrain           = 5 * time.Second
	defaultShutdownTimeout = 15 * time.Second
	defaultMaxDelay        = server.DefaultMaxDelay
	defaultIdleTimeout     = server.DefaultIdleTimeout
)

// options is the parsed command line.
type options struct {
	cfg          server.Config
	printVersion bool
}

// env reads the environment; os.Getenv in production.
type env func(key string) string

// parseConfig turns flags and environment into a server.Config. Flags take
// precedence over environment variables, which take precedence over defaults.
// The version defaults to the link-time variable version.
func parseConfig(args []string, getenv env, hostname func() (string, error), output io.Writer) (options, error) {
	var o options
	defaults, err := envDefaults(getenv, hostname)
	if err != nil {
		return o, err
	}
	fs := flag.NewFlagSet("app", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&o.cfg.Listen, "listen", defaults.Listen, "TCP address to listen on (env LISTEN)")
	fs.DurationVar(&o.cfg.BootDelay, "boot-delay", defaults.BootDelay, "wait this long before listening (env BOOT_DELAY)")
	fs.DurationVar(&o.cfg.Drain, "drain", defaults.Drain, "after SIGTERM, keep serving this long with readiness failing (env DRAIN)")
	fs.DurationVar(&o.cfg.ShutdownTimeout, "shutdown-timeout", defaults.ShutdownTimeout, "bound on waiting for in-flight requests after the drain (env SHUTDOWN_TIMEOUT)")
	fs.DurationVar(&o.cfg.MaxDelay, "max-delay", defaults.MaxDelay, "largest ?delay= a request may ask for (env MAX_DELAY)")
	fs.DurationVar(&o.cfg.IdleTimeout, "idle-timeout", defaults.IdleTimeout, "close keep-alive connections idle this long; keep it above the load balancer's idle timeout (env IDLE_TIMEOUT)")
	fs.StringVar(&o.cfg.Version, "version", defaults.Version, "version to report (env VERSION; default set at link time)")
	fs.StringVar(&o.cfg.PodName, "pod-name", defaults.PodName, "pod name to report (env POD_NAME; default the hostname)")
	fs.BoolVar(&o.cfg.Naive, "naive", defaults.Naive, "behave like the field report's server: no health endpoints, exit at once on SIGTERM (env NAIVE)")
	fs.BoolVar(&o.printVersion, "print-version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	return o, nil
}

// envDefaults builds the flag defaults from the environment.
func envDefaults(getenv env, hostname func() (string, error)) (server.Config, error) {
	c := server.Config{
		Listen:  defaultListen,
		Version: version,
	}
	var err error
	durations := []struct {
		key string
		dst *time.Duration
		def time.Duration
	}{
		{"BOOT_DELAY", &c.BootDelay, defaultBootDelay},
		{"DRAIN", &c.Drain, defaultDrain},
		{"SHUTDOWN_TIMEOUT", &c.ShutdownTimeout, defaultShutdownTimeout},
		{"MAX_DELAY", &c.MaxDelay, defaultMaxDelay},
		{"IDLE_TIMEOUT", &c.IdleTimeout, defaultIdleTimeout},
	}
	for _, d := range durations {
		if *d.dst, err = envDuration(getenv, d.key, d.def); err != nil {
			return c, err
		}
	}
	if c.Naive, err = envBool(getenv, "NAIVE"); err != nil {
		return c, err
	}
	if v := getenv("LISTEN"); v != "" {
		c.Listen = v
	}
	if v := getenv("VERSION"); v != "" {
		c.Version = v
	}
	c.PodName = podName(getenv, hostname)
	return c, nil
}

// envDuration reads a duration such as "1500ms" or a whole number of
// seconds such as "10" from key, or returns def if key is unset.
func envDuration(getenv env, key string, def time.Duration) (time.Duration, error) {
	v := strings.TrimSpace(getenv(key))
	if v == "" {
		return def, nil
	}
	if secs, err := strconv.Atoi(v); err == nil {
		return time.Duration(secs) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("environment %s=%q: want a duration like 1500ms or whole seconds: %w", key, v, err)
	}
	return d, nil
}

// envBool reads a boolean (strconv.ParseBool syntax) from key; unset is false.
func envBool(getenv env, key string) (bool, error) {
	v := strings.TrimSpace(getenv(key))
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("environment %s=%q: %w", key, v, err)
	}
	return b, nil
}

// podName returns POD_NAME (set by the Kubernetes downward API), else the
// hostname (which Kubernetes also sets to the pod name), else "unknown".
func podName(getenv env, hostname func() (string, error)) string {
	if v := getenv("POD_NAME"); v != "" {
		return v
	}
	if h, err := hostname(); err == nil && h != "" {
		return h
	}
	return "unknown"
}
