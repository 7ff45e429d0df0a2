package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/internal/loopback"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/push/pki"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/realnet"
)

// writeTestPKI runs `pbxsim pki init DIR FILE` and returns DIR.
func writeTestPKI(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if code, out, errOut := pbxsim(t, "pki", "init", dir, serveFile); code != exitOK {
		t.Fatalf("pki init: exit %d\n%s%s", code, out, errOut)
	}
	return dir
}

// TestPKIInit: the files are there, keys 0600, and the certificates chain
// as B02 says: the PBX's device certificate to Device Certification
// Authority 2 (a device role for the push service), valid for loopback
// as a server; phones' too; the push service's to the service CA.
func TestPKIInit(t *testing.T) {
	dir := writeTestPKI(t)
	for _, name := range []string{"device-ca", "unverified-device-ca", "own-ca", "service-ca", "push-service", "pbx-pbx", "phone-alice-desk"} {
		for _, ext := range []string{".pem", ".key"} {
			st, err := os.Stat(filepath.Join(dir, name+ext))
			if err != nil {
				t.Fatal(err)
			}
			if ext == ".key" && st.Mode().Perm() != 0o600 {
				t.Errorf("%s%s: mode %v, want 0600", name, ext, st.Mode().Perm())
			}
		}
	}
	chain := func(name string) []*x509.Certificate {
		b := readFile(t, filepath.Join(dir, name))
		var out []*x509.Certificate
		for {
			var blk *pem.Block
			if blk, b = pem.Decode(b); blk == nil {
				return out
			}
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, c)
		}
	}
	roots := func(name string) *x509.CertPool {
		p := x509.NewCertPool()
		for _, c := range chain(name) {
			p.AddCert(c)
		}
		return p
	}
	for _, tc := range []struct {
		leaf, ca, host string
		usage          x509.ExtKeyUsage
	}{
		{"pbx-pbx.pem", "device-ca.pem", "127.0.0.1", x509.ExtKeyUsageServerAuth},
		{"pbx-pbx.pem", "device-ca.pem", "pbx.test", x509.ExtKeyUsageClientAuth},
		{"phone-alice-desk.pem", "trust.pem", "localhost", x509.ExtKeyUsageClientAuth},
		{"push-service.pem", "service-ca.pem", "push.test", x509.ExtKeyUsageServerAuth},
	} {
		c := chain(tc.leaf)
		if _, err := c[0].Verify(x509.VerifyOptions{Roots: roots(tc.ca), DNSName: tc.host, KeyUsages: []x509.ExtKeyUsage{tc.usage}}); err != nil {
			t.Errorf("%s against %s for %s: %v", tc.leaf, tc.ca, tc.host, err)
		}
	}
	if c := chain("pbx-pbx.pem"); c[0].Issuer.CommonName != pki.DeviceCAName || c[0].SerialNumber.Int64() != 1001 {
		t.Errorf("PBX certificate issued by %q serial %v", c[0].Issuer.CommonName, c[0].SerialNumber)
	}
	if _, err := realnet.LoadCredential(filepath.Join(dir, "pbx-pbx.pem"), filepath.Join(dir, "pbx-pbx.key")); err != nil {
		t.Error(err)
	}
	if code, _, _ := pbxsim(t, "pki", "init"); code != exitUsage {
		t.Errorf("pki init without DIR: exit %d", code)
	}
}

// securePhone is phoneTo with the PKI's certificates: the phone presents
// its own and trusts ca.
func securePhone(t *testing.T, s *served, dir, alias, number string, tr phone.Transport, ca string) phone.NodeConfig {
	t.Helper()
	cfg := phoneTo(s, alias, number, tr)
	own, err := realnet.LoadCredential(filepath.Join(dir, "phone-alice-desk.pem"), filepath.Join(dir, "phone-alice-desk.key"))
	if err != nil {
		t.Fatal(err)
	}
	trust, err := realnet.LoadTrust(filepath.Join(dir, ca))
	if err != nil {
		t.Fatal(err)
	}
	trust.Own = own
	trust.ServerName = "pbx.test" // the system name: the certificate names it, not the test's loopback address
	cfg.Security, cfg.PBXSecurity = &node.Security{Own: own}, trust
	return cfg
}

// TestServeRegisterSecure: phones register over DTLS and over H.460.17 in
// TLS 1300 (and in TCP 1720), with and without H.235, verifying the PBX's
// certificate against the PKI's trust list; the metrics count them.
func TestServeRegisterSecure(t *testing.T) {
	dir := writeTestPKI(t)
	metrics := loopback.Addr().String() + ":0"
	s := startServe(t, "--cert", filepath.Join(dir, "pbx-pbx.pem"), "--key", filepath.Join(dir, "pbx-pbx.key"),
		"--ca", filepath.Join(dir, "trust.pem"), "--metrics", metrics)
	ctx := serveContext(t)
	for _, tc := range []struct {
		tr       phone.Transport
		password string
		auth     ras.AuthMethod
		rasOver  string
	}{
		{phone.DTLS, "", 0, "dtls"},
		{phone.DTLS, "secret", ras.AuthHMACSHA1, "dtls"},
		{phone.DTLS, "secret", ras.AuthMD5, "dtls"},
		{phone.H460TLS, "secret", ras.AuthHMACSHA1, "tls"},
		{phone.H460TCP, "", 0, "tcp"},
	} {
		alias, number := "alice", "201"
		if tc.password != "" {
			alias, number = "bob", "202"
		}
		cfg := securePhone(t, s, dir, alias, number, tc.tr, "trust.pem")
		cfg.Password, cfg.Authentication = tc.password, tc.auth
		p := runTestPhone(t, ctx, cfg)
		p.rec.waitFor(t, ctx, "phone.registered")
		p.stop()
		p.wait(t)
		if res := p.n.Result(); !res.Registered || res.Unregistered != "urq" {
			t.Errorf("%v %s: result %+v", tc.tr, tc.password, res)
		}
		over := ""
		for _, e := range p.rec.snapshot() {
			if e.Name == "ras.rrq" && e.Wire != nil {
				over = e.Wire.Transport
			}
		}
		if over != tc.rasOver {
			t.Errorf("%v: RRQ over %q, want %q", tc.tr, over, tc.rasOver)
		}
	}
	if !strings.Contains(s.stderr.String(), "metrics on /metrics") {
		t.Fatalf("no metrics line:\n%s", s.stderr.String())
	}
	addr := metricsAddr(t, s.stderr.String())
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`callwake_registrations_total{reason="",result="confirmed"} 5`, "callwake_unregistrations_total 5", "callwake_connections"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
}

// metricsAddr reads the metrics address off serve's JSON log.
func metricsAddr(t *testing.T, log string) string {
	t.Helper()
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "metrics on /metrics") {
			i := strings.Index(line, `"addr":"`)
			if i >= 0 {
				rest := line[i+len(`"addr":"`):]
				return rest[:strings.IndexByte(rest, '"')]
			}
		}
	}
	t.Fatal("no metrics address")
	return ""
}

// TestServeRefusesCertificate: a phone that trusts only the customer's own
// CA does not register over DTLS or TLS (every handshake fails), and a
// phone whose certificate serve's --ca does not cover is still served but
// not verified.
func TestServeRefusesCertificate(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the RAS request timeouts (9 s)")
	}
	dir := writeTestPKI(t)
	s := startServe(t, "--cert", filepath.Join(dir, "pbx-pbx.pem"), "--key", filepath.Join(dir, "pbx-pbx.key"))
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	var phones []*testPhone
	for _, tr := range []phone.Transport{phone.DTLS, phone.H460TLS} {
		phones = append(phones, runTestPhone(t, ctx, securePhone(t, s, dir, "alice", "201", tr, "own-ca.pem")))
	}
	for i, p := range phones {
		p.wait(t)
		if res := p.n.Result(); res.Registered || res.Failure == "" {
			t.Errorf("phone %d: result %+v; want a failed registration", i, res)
		}
	}
	if s.rec.find("ras.rcf") {
		t.Errorf("serve confirmed a registration:\n%s", s.rec.dump())
	}
}
