package pki_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
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
