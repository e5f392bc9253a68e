package cluster

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEnsurePKI(t *testing.T) {
	c, l := testConfig(t)
	now := time.Now()
	changed, err := ensurePKI(l, c, now)
	if err != nil || !changed {
		t.Fatalf("first ensurePKI = %v, %v", changed, err)
	}
	ca, err := readCert(l.pki("ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	if !ca.IsCA {
		t.Error("CA is not a CA")
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)

	serving, err := readCert(l.pki("apiserver.crt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"127.0.0.1", "10.96.0.1", "192.0.2.2", "localhost", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"} {
		_, err := serving.Verify(x509.VerifyOptions{DNSName: name, Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		if err != nil {
			t.Errorf("apiserver certificate for %s: %v", name, err)
		}
	}
	client, err := readCert(l.pki("apiserver-kubelet-client.crt"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("kubelet client certificate: %v", err)
	}
	if !slices.Contains(client.Subject.Organization, "system:masters") {
		t.Errorf("kubelet client organization = %v", client.Subject.Organization)
	}
	// Keys match their certificates.
	for _, n := range []string{"ca", "apiserver", "apiserver-kubelet-client"} {
		cert, _ := readCert(l.pki(n + ".crt"))
		key, err := readKey(l.pki(n + ".key"))
		if err != nil {
			t.Fatal(err)
		}
		if !key.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(cert.PublicKey) {
			t.Errorf("%s key does not match its certificate", n)
		}
		if st, _ := os.Stat(l.pki(n + ".key")); st.Mode().Perm() != 0o600 {
			t.Errorf("%s key mode %v", n, st.Mode().Perm())
		}
	}
	// Service-account pair.
	saKey, err := readKey(l.pki("sa.key"))
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := readPEM(l.pki("sa.pub"), "PUBLIC KEY")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.ParsePKIXPublicKey(pubDER)
	if err != nil {
		t.Fatal(err)
	}
	if !saKey.(*rsa.PrivateKey).PublicKey.Equal(pub) {
		t.Error("sa.pub does not match sa.key")
	}
	// Tokens: one per identity, the admin in system:masters.
	tokens, err := readTokens(l.pki("tokens.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !tokensMatch(tokens, identities(c.NodeName)) {
		t.Errorf("tokens = %+v", tokens)
	}
	if a := tokens["admin"]; len(a.Token) < 32 || !slices.Equal(a.Groups, []string{"system:masters"}) {
		t.Errorf("admin token = %+v", a)
	}
	if k := tokens["kubelet"]; k.User != "system:node:zdt-lab" {
		t.Errorf("kubelet user = %q", k.User)
	}

	// A second run keeps everything.
	caBefore, _ := os.ReadFile(l.pki("ca.crt"))
	tokBefore, _ := os.ReadFile(l.pki("tokens.csv"))
	changed, err = ensurePKI(l, c, now)
	if err != nil || changed {
		t.Fatalf("second ensurePKI = %v, %v", changed, err)
	}
	// A new node IP gets a new serving certificate from the same CA.
	c.NodeIP = "192.0.2.77"
	changed, err = ensurePKI(l, c, now)
	if err != nil || !changed {
		t.Fatalf("ensurePKI after node IP change = %v, %v", changed, err)
	}
	caAfter, _ := os.ReadFile(l.pki("ca.crt"))
	tokAfter, _ := os.ReadFile(l.pki("tokens.csv"))
	if string(caBefore) != string(caAfter) || string(tokBefore) != string(tokAfter) {
		t.Error("CA or tokens changed with the node IP")
	}
	serving, _ = readCert(l.pki("apiserver.crt"))
	if _, err := serving.Verify(x509.VerifyOptions{DNSName: "192.0.2.77", Roots: roots}); err != nil {
		t.Errorf("new serving cert: %v", err)
	}
}

func TestTokenFileRoundTrip(t *testing.T) {
	ids := identities("n1")
	data, err := renderTokenFile(ids, func(id identity) string { return "tok-" + id.Name })
	if err != nil {
		t.Fatal(err)
	}
	path := t.TempDir() + "/tokens.csv"
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := readTokens(path)
	if err != nil {
		t.Fatal(err)
	}
	if !tokensMatch(got, ids) || got["kube-proxy"].Token != "tok-kube-proxy" {
		t.Errorf("round trip = %+v", got)
	}
	// The apiserver's format: token,user,uid,"group1,group2".
	want := `tok-kubelet,system:node:n1,kubelet,"system:nodes,system:masters"`
	if !slices.Contains(strings.Split(string(data), "\n"), want) {
		t.Errorf("token file lacks %s:\n%s", want, data)
	}
}
