package pki_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/callwake/callwake/push/pki"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newSet(t *testing.T) *pki.Set {
	t.Helper()
	s, err := pki.NewSet(epoch)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestClassify(t *testing.T) {
	s := newSet(t)
	now := epoch.Add(24 * time.Hour)
	for _, role := range []pki.Role{pki.RoleDevice, pki.RoleUnverifiedDevice, pki.RoleOwn} {
		t.Run(string(role), func(t *testing.T) {
			leaf, err := s.IssuePBX(role, 1001, "pbx.example.com")
			if err != nil {
				t.Fatal(err)
			}
			got, serial := s.Classify(leaf.Chain, now)
			if got != role || serial != "1001" {
				t.Fatalf("classified %s %s, want %s 1001", got, serial, role)
			}
			// The leaf alone (no intermediate needed: issued by the root).
			if got, _ := s.Classify(leaf.Chain[:1], now); got != role {
				t.Fatalf("leaf alone: %s", got)
			}
		})
	}
	if leaf, err := s.IssuePBX(pki.RoleNone, 1, "x"); leaf != nil || err != nil {
		t.Fatalf("none issued %v %v", leaf, err)
	}
	if got, serial := s.Classify(nil, now); got != pki.RoleNone || serial != "" {
		t.Fatalf("empty chain: %s %q", got, serial)
	}
	// A device certificate from another world's CA is not a device cert here.
	other := newSet(t)
	foreign, _ := other.IssuePBX(pki.RoleDevice, 7, "pbx")
	if got, _ := s.Classify(foreign.Chain, now); got != pki.RoleOwn {
		t.Fatalf("foreign device cert: %s", got)
	}
	// Expired device certificates do not count as device certificates.
	dev, _ := s.IssuePBX(pki.RoleDevice, 8, "pbx")
	if got, _ := s.Classify(dev.Chain, epoch.AddDate(6, 0, 0)); got != pki.RoleOwn {
		t.Fatalf("expired: %s", got)
	}
	// A server certificate is not a client certificate.
	srv, _ := s.IssueService("push.test", 9)
	if got, _ := s.Classify(srv.Chain, now); got != pki.RoleOwn {
		t.Fatalf("service cert as client: %s", got)
	}
	if _, err := s.IssuePBX(pki.RoleDevice, 0, "x"); err == nil {
		t.Fatal("serial 0 issued")
	}
	if _, err := pki.ParseRole("stolen"); err == nil {
		t.Fatal("unknown role parsed")
	}
}

// TestMutualTLS runs real TLS handshakes over an in-memory pipe with the
// test CAs: what the real driver will do on sockets.
func TestMutualTLS(t *testing.T) {
	s := newSet(t)
	srv, err := s.IssueService("push.test", 2)
	if err != nil {
		t.Fatal(err)
	}
	dev, _ := s.IssuePBX(pki.RoleDevice, 1001, "pbx.example.com")
	now := func() time.Time { return epoch.Add(time.Hour) }

	handshake := func(trusts bool) (pki.Role, string, error) {
		cConn, sConn := net.Pipe()
		defer cConn.Close()
		defer sConn.Close()
		serverCfg := &tls.Config{
			Certificates: []tls.Certificate{srv.TLSCertificate()},
			ClientAuth:   tls.RequireAnyClientCert, // the service classifies, it does not refuse in TLS
			Time:         now,
			MinVersion:   tls.VersionTLS12,
		}
		clientCfg := &tls.Config{
			ServerName:   "push.test",
			RootCAs:      s.ServiceTrust(trusts),
			Certificates: []tls.Certificate{dev.TLSCertificate()},
			Time:         now,
			MinVersion:   tls.VersionTLS12,
		}
		type result struct {
			chain []*x509.Certificate
			err   error
		}
		done := make(chan result, 1)
		go func() {
			tc := tls.Server(sConn, serverCfg)
			err := tc.Handshake()
			done <- result{tc.ConnectionState().PeerCertificates, err}
		}()
		cerr := tls.Client(cConn, clientCfg).Handshake()
		if cerr != nil {
			cConn.Close()
			<-done
			return "", "", cerr
		}
		select {
		case r := <-done:
			if r.err != nil {
				return "", "", r.err
			}
			role, serial := s.Classify(r.chain, now())
			return role, serial, nil
		case <-time.After(5 * time.Second):
			return "", "", errors.New("handshake timed out")
		}
	}
	role, serial, err := handshake(true)
	if err != nil || role != pki.RoleDevice || serial != "1001" {
		t.Fatalf("trusted: %s %s %v", role, serial, err)
	}
	if _, _, err := handshake(false); err == nil {
		t.Fatal("PBX without the service CA in its trust list connected")
	}
}

// TestCACertificateIsNotADevice: a CA's own certificate verifies against
// itself, but it is not a device leaf; neither is a certificate the Device CA
// signed that is a CA, signs certificates, or is not for client
// authentication.
func TestCACertificateIsNotADevice(t *testing.T) {
	s := newSet(t)
	now := epoch.Add(24 * time.Hour)
	for _, ca := range []*pki.Authority{s.Device, s.UnverifiedDevice} {
		if got, _ := s.Classify([]*x509.Certificate{ca.Cert}, now); got != pki.RoleOwn {
			t.Errorf("%s presented as a leaf: %s", ca.Cert.Subject.CommonName, got)
		}
		if got, _ := s.Classify([]*x509.Certificate{ca.Cert, ca.Cert}, now); got != pki.RoleOwn {
			t.Errorf("%s presented with itself: %s", ca.Cert.Subject.CommonName, got)
		}
	}
	issue := func(tmpl *x509.Certificate) *x509.Certificate {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.SerialNumber, tmpl.Subject = big.NewInt(4242), pkix.Name{CommonName: "pbx"}
		tmpl.NotBefore, tmpl.NotAfter = epoch, epoch.AddDate(1, 0, 0)
		der, err := x509.CreateCertificate(rand.Reader, tmpl, s.Device.Cert, key.Public(), s.Device.Key)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for name, tmpl := range map[string]*x509.Certificate{
		"an intermediate CA": {IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
		"certificate signing": {KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
		"no extended usage":   {KeyUsage: x509.KeyUsageDigitalSignature},
		"server only":         {KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
		"no key usage":        {ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
	} {
		c := issue(tmpl)
		if got, _ := s.Classify([]*x509.Certificate{c, s.Device.Cert}, now); got != pki.RoleOwn {
			t.Errorf("%s signed by the Device CA: %s", name, got)
		}
	}
	// The control: the same signer's proper client leaf is a device.
	c := issue(&x509.Certificate{KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if got, _ := s.Classify([]*x509.Certificate{c, s.Device.Cert}, now); got != pki.RoleDevice {
		t.Errorf("a client leaf signed by the Device CA: %s", got)
	}
}
