package cluster

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/csv"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// certValidity is how long the lab's certificates are valid.
const certValidity = 5 * 365 * 24 * time.Hour

// identity is one token user of the static token file.
type identity struct {
	Name   string // component name, key in the token file
	User   string
	Groups []string
}

// identities lists the token users. Every component is in system:masters:
// this is a throwaway single-node lab bound to loopback, and it keeps the
// bootstrap simple; the user names still tell the components apart in logs.
func identities(nodeName string) []identity {
	return []identity{
		{Name: "admin", User: "zdt-lab-admin", Groups: []string{"system:masters"}},
		{Name: "kube-controller-manager", User: "system:kube-controller-manager", Groups: []string{"system:masters"}},
		{Name: "kube-scheduler", User: "system:kube-scheduler", Groups: []string{"system:masters"}},
		{Name: "kubelet", User: "system:node:" + nodeName, Groups: []string{"system:nodes", "system:masters"}},
		{Name: "kube-proxy", User: "system:kube-proxy", Groups: []string{"system:masters"}},
	}
}

// certSpec describes a leaf certificate signed by the lab CA.
type certSpec struct {
	CommonName   string
	Organization []string
	DNSNames     []string
	IPs          []net.IP
	Server       bool
	Client       bool
}

// newCA creates a self-signed CA certificate and its key.
func newCA(cn string, now time.Time) (*x509.Certificate, crypto.Signer, error) {
	return issue(&x509.Certificate{
		Subject:               pkix.Name{CommonName: cn},
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}, nil, nil, now)
}

// signLeaf creates a key and a certificate for spec signed by the CA.
func signLeaf(ca *x509.Certificate, caKey crypto.Signer, spec certSpec, now time.Time) (*x509.Certificate, crypto.Signer, error) {
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: spec.CommonName, Organization: spec.Organization},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		DNSNames:    spec.DNSNames,
		IPAddresses: spec.IPs,
	}
	if spec.Server {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	if spec.Client {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	return issue(tmpl, ca, caKey, now)
}

// issue completes tmpl (a fresh P-256 key, a random serial, validity from an
// hour ago for clock skew) and signs it with parentKey, or self-signs it when
// parent is nil.
func issue(tmpl, parent *x509.Certificate, parentKey crypto.Signer, now time.Time) (*x509.Certificate, crypto.Signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generating a key for %s: %w", tmpl.Subject.CommonName, err)
	}
	if tmpl.SerialNumber, err = randomSerial(); err != nil {
		return nil, nil, fmt.Errorf("serial for %s: %w", tmpl.Subject.CommonName, err)
	}
	tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.Add(certValidity)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return nil, nil, fmt.Errorf("signing %s: %w", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

func randomSerial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

// apiserverServingSpec is the apiserver's serving certificate: every name a
// client of this lab may dial.
func apiserverServingSpec(c Config) (certSpec, error) {
	svcIP, err := FirstServiceIP(c.ServiceCIDR)
	if err != nil {
		return certSpec{}, err
	}
	ips := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP(svcIP), net.ParseIP(c.NodeIP)}
	if a := net.ParseIP(c.APIServerAddress); a != nil && !a.IsUnspecified() && !slices.ContainsFunc(ips, a.Equal) {
		ips = append(ips, a)
	}
	return certSpec{
		CommonName: "kube-apiserver",
		DNSNames: []string{
			"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local",
		},
		IPs:    ips,
		Server: true,
	}, nil
}

// certCovers reports whether cert, read from path, is valid now and names
// every IP and DNS name of spec (so a changed node IP gets a new cert).
func certCovers(path string, spec certSpec, now time.Time) bool {
	cert, err := readCert(path)
	if err != nil || now.After(cert.NotAfter.Add(-24*time.Hour)) {
		return false
	}
	for _, ip := range spec.IPs {
		if !slices.ContainsFunc(cert.IPAddresses, ip.Equal) {
			return false
		}
	}
	for _, n := range spec.DNSNames {
		if !slices.Contains(cert.DNSNames, n) {
			return false
		}
	}
	return true
}

// ensurePKI creates the CA, the apiserver's serving and kubelet-client
// certificates, the service-account key pair and the static token file,
// reusing what already exists and is still right.
func ensurePKI(l layout, c Config, now time.Time) (changed bool, err error) {
	if err := os.MkdirAll(l.pki(""), 0o700); err != nil {
		return false, err
	}
	caCertPath, caKeyPath := l.pki("ca.crt"), l.pki("ca.key")
	if !fileExists(caCertPath) || !fileExists(caKeyPath) {
		cert, key, err := newCA("zdt-lab-ca", now)
		if err != nil {
			return false, fmt.Errorf("CA: %w", err)
		}
		if err := writeCertAndKey(caCertPath, caKeyPath, cert, key); err != nil {
			return false, err
		}
		// Everything signed by an older CA is void.
		for _, n := range []string{"apiserver.crt", "apiserver-kubelet-client.crt"} {
			os.Remove(l.pki(n))
		}
		changed = true
	}
	ca, err := readCert(caCertPath)
	if err != nil {
		return false, err
	}
	caKey, err := readKey(caKeyPath)
	if err != nil {
		return false, err
	}
	serving, err := apiserverServingSpec(c)
	if err != nil {
		return false, err
	}
	leaves := []struct {
		name string
		spec certSpec
	}{
		{"apiserver", serving},
		{"apiserver-kubelet-client", certSpec{CommonName: "kube-apiserver-kubelet-client", Organization: []string{"system:masters"}, Client: true}},
	}
	for _, leaf := range leaves {
		crt, key := l.pki(leaf.name+".crt"), l.pki(leaf.name+".key")
		if fileExists(key) && certCovers(crt, leaf.spec, now) {
			continue
		}
		cert, k, err := signLeaf(ca, caKey, leaf.spec, now)
		if err != nil {
			return false, fmt.Errorf("%s certificate: %w", leaf.name, err)
		}
		if err := writeCertAndKey(crt, key, cert, k); err != nil {
			return false, err
		}
		changed = true
	}
	if !fileExists(l.pki("sa.key")) || !fileExists(l.pki("sa.pub")) {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return false, fmt.Errorf("service-account key: %w", err)
		}
		if err := writeKey(l.pki("sa.key"), key); err != nil {
			return false, err
		}
		pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
		if err != nil {
			return false, err
		}
		if err := writePEM(l.pki("sa.pub"), "PUBLIC KEY", pub, 0o644); err != nil {
			return false, err
		}
		changed = true
	}
	tokens, err := readTokens(l.pki("tokens.csv"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return false, err
	}
	ids := identities(c.NodeName)
	if !tokensMatch(tokens, ids) {
		data, err := renderTokenFile(ids, nil)
		if err != nil {
			return false, err
		}
		if err := writeFileAtomic(l.pki("tokens.csv"), data, 0o600); err != nil {
			return false, err
		}
		changed = true
	}
	return changed, nil
}

// tokenEntry is one line of the static token file.
type tokenEntry struct {
	Token, User, UID string
	Groups           []string
}

// renderTokenFile renders the apiserver's --token-auth-file for ids. Tokens
// come from tokenFor when it returns one (tests), else from crypto/rand.
func renderTokenFile(ids []identity, tokenFor func(identity) string) ([]byte, error) {
	var b strings.Builder
	w := csv.NewWriter(&b)
	for _, id := range ids {
		tok := ""
		if tokenFor != nil {
			tok = tokenFor(id)
		}
		if tok == "" {
			raw := make([]byte, 24)
			if _, err := rand.Read(raw); err != nil {
				return nil, err
			}
			tok = hex.EncodeToString(raw)
		}
		if err := w.Write([]string{tok, id.User, id.Name, strings.Join(id.Groups, ",")}); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return []byte(b.String()), w.Error()
}

// readTokens parses a token file written by renderTokenFile, keyed by
// identity name (the uid column).
func readTokens(path string) (map[string]tokenEntry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(strings.NewReader(string(data)))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := make(map[string]tokenEntry, len(recs))
	for _, rec := range recs {
		if len(rec) < 3 {
			return nil, fmt.Errorf("%s: short line %q", path, rec)
		}
		e := tokenEntry{Token: rec[0], User: rec[1], UID: rec[2]}
		if len(rec) > 3 && rec[3] != "" {
			e.Groups = strings.Split(rec[3], ",")
		}
		out[e.UID] = e
	}
	return out, nil
}

// tokensMatch reports whether tokens has exactly the users and groups of ids.
func tokensMatch(tokens map[string]tokenEntry, ids []identity) bool {
	if len(tokens) != len(ids) {
		return false
	}
	for _, id := range ids {
		e, ok := tokens[id.Name]
		if !ok || e.Token == "" || e.User != id.User || !slices.Equal(e.Groups, id.Groups) {
			return false
		}
	}
	return true
}

func writeCertAndKey(certPath, keyPath string, cert *x509.Certificate, key crypto.Signer) error {
	if err := writeKey(keyPath, key); err != nil {
		return err
	}
	return writePEM(certPath, "CERTIFICATE", cert.Raw, 0o644)
}

func writeKey(path string, key crypto.Signer) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return writePEM(path, "PRIVATE KEY", der, 0o600)
}

func writePEM(path, typ string, der []byte, mode os.FileMode) error {
	return writeFileAtomic(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), mode)
}

func readCert(path string) (*x509.Certificate, error) {
	der, err := readPEM(path, "CERTIFICATE")
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func readKey(path string) (crypto.Signer, error) {
	der, err := readPEM(path, "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s: not a signing key", path)
	}
	return s, nil
}

func readPEM(path, typ string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != typ {
		return nil, fmt.Errorf("%s: no PEM block of type %s", path, typ)
	}
	return block.Bytes, nil
}

// writeFileAtomic writes data to path via a temporary file and a rename.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
