package main

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestHTTPSTargetWithHost: `--host` with an https:// target by address is
// verified for the host (Go's test certificate names example.com and
// *.example.com), with the CA from --cacert.
func TestHTTPSTargetWithHost(t *testing.T) {
	var (
		mu        sync.Mutex
		sni, host string
	)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		sni, host = r.TLS.ServerName, r.Host
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := runCLI(t, env{}, "--host", "app.example.com", "--cacert", ca, "--rate", "10", "--duration", "300ms", srv.URL+"/")
	mu.Lock()
	gotSNI, gotHost := sni, host
	mu.Unlock()
	if ok.code != exitOK || gotSNI != "app.example.com" || gotHost != "app.example.com" {
		t.Errorf("exit %d, server saw SNI %q Host %q; want 0 and app.example.com for both\n%s%s", ok.code, gotSNI, gotHost, ok.stdout, ok.stderr)
	}
	bad := runCLI(t, env{}, "--host", "app.corp.internal", "--cacert", ca, "--rate", "10", "--duration", "300ms", srv.URL+"/")
	if bad.code != exitFailed {
		t.Errorf("host not in the certificate: exit %d, want %d (verification on)\n%s", bad.code, exitFailed, bad.stdout)
	}
}

func TestCACertMustHoldACertificate(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.pem")
	if err := os.WriteFile(empty, []byte("not pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, env{}, "--cacert", empty, "--duration", "1s", "http://127.0.0.1:1/")
	if r.code != exitUsage || !strings.Contains(r.stderr, "no PEM certificate") {
		t.Errorf("exit %d stderr %q, want a usage error naming the file's problem", r.code, r.stderr)
	}
}
