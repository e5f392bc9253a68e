package verify

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
)

// helperServerEnv makes the test binary run helperServer instead of the
// tests: the benchmark measures the verifier's CPU with the process's own
// rusage, so the server must live in another process.
const helperServerEnv = "VERIFY_TEST_HELPER_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(helperServerEnv) == "1" {
		if err := helperServer(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// helperServer serves 200 "ok" with a version header on a free local port,
// writes the address as the first line of out and serves until in reaches
// EOF (the parent closed the pipe or died).
func helperServer(in io.Reader, out io.Writer) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("helper server: %w", err)
	}
	if _, err := fmt.Fprintln(out, l.Addr().String()); err != nil {
		return fmt.Errorf("helper server: %w", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-App-Version", "bench")
		_, _ = io.WriteString(w, "ok\n")
	})}
	go func() { _ = srv.Serve(l) }()
	_, _ = io.Copy(io.Discard, in)
	return srv.Close()
}

// readAddr reads the helper server's first output line.
func readAddr(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("read helper server address: %w", err)
	}
	return line[:len(line)-1], nil
}
