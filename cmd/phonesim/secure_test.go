package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/pbx"
	"github.com/callwake/callwake/push/pki"
	"github.com/callwake/callwake/realnet"

	"github.com/rs/zerolog"
)

// secureGatekeeper runs the test PBX with its secure listeners (DTLS RAS
// and TLS on 1300) presenting a certificate of a test PKI for its
// address, and returns its address and the PEM file of the PKI's Device
// CA and of another CA (which the PBX's certificate does not chain to).
func secureGatekeeper(t *testing.T) (ip netip.Addr, ca, otherCA string) {
	t.Helper()
	ip = nextLoopback()
	set, err := pki.NewSet(time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := set.IssueLeaf(set.Device, pki.LeafSpec{CommonName: "gk", Hosts: []string{ip.String()}, Serial: 5})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writePEM := func(name string, c *x509.Certificate) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	ca, otherCA = writePEM("ca.pem", set.Device.Cert), writePEM("other.pem", set.Own.Cert)
	c := leaf.TLSCertificate()
	cfg := pbx.Config{SystemName: "gk", Users: []pbx.User{{Name: "alice", Number: "201", Password: "secret"}, {Name: "bob", Number: "202"}}}
	for _, u := range cfg.Users {
		cfg.Devices = append(cfg.Devices, pbx.Device{Name: u.Name + "-phone", User: u.Name, Kind: pbx.KindDeskphone})
	}
	n, err := pbx.NewNode(pbx.NodeConfig{Core: cfg, Name: "gk", IP: ip, TimeToLive: time.Minute, Random: rand.Reader,
		Security: &node.Security{Own: &node.Credential{Identity: node.Identity{Subject: "gk"}, Certificate: &c}},
		Listen:   pbx.Addrs{Session: netip.AddrPortFrom(ip, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	host := realnet.NewHost(zerolog.Nop(), nil)
	host.Add("gk", ip, n)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	var wg sync.WaitGroup
	wg.Go(func() { _ = host.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", netip.AddrPortFrom(ip, pbx.PortSecure).String(), time.Second)
		if err == nil {
			c.Close()
			return ip, ca, otherCA
		}
		if time.Now().After(deadline) {
			t.Fatalf("the PBX did not start: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSecureFlags: register over DTLS, H.460.17 in TLS and in TCP, with
// either H.235 token, verifying the PBX's certificate with --ca; a --ca
// the certificate does not chain to fails the registration (exit 1);
// contradictory flags are usage errors (exit 2).
func TestSecureFlags(t *testing.T) {
	ip, ca, other := secureGatekeeper(t)
	gk := ip.String()
	for _, tc := range []struct {
		name  string
		args  []string
		code  int
		trace string
	}{
		{"dtls", []string{"--dtls", "--ca", ca, "--alias", "bob", "--number", "202"}, exitOK, "<-  ras.rcf  peer=" + gk + ":1300"},
		{"dtls h235 md5", []string{"--dtls", "--ca", ca, "--alias", "alice", "--password", "secret", "--h235", "md5"}, exitOK, "token=md5"},
		{"h460.17 tls", []string{"--h460-17", "--tls", "--ca", ca, "--alias", "alice", "--password", "secret"}, exitOK, "peer=" + gk + ":1300  seq="},
		{"h460.17 tcp", []string{"--h460-17", "--alias", "bob"}, exitOK, "peer=" + gk + ":1720  seq="},
		{"untrusted", []string{"--dtls", "--ca", other, "--alias", "bob", "--duration", "15s"}, exitFailed, "registration failed: timeout"},
		{"tls alone", []string{"--tls", "--alias", "bob"}, exitUsage, ""},
		{"dtls and h460.17", []string{"--dtls", "--h460-17", "--alias", "bob"}, exitUsage, ""},
		{"bad h235", []string{"--h235", "sha", "--alias", "bob"}, exitUsage, ""},
		{"ca without secure transport", []string{"--ca", ca, "--alias", "bob"}, exitUsage, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "untrusted" && testing.Short() {
				t.Skip("waits for the RAS request timeouts (9 s)")
			}
			var out, errOut bytes.Buffer
			args := append([]string{"register", "--gk", gk, "--duration", "500ms"}, tc.args...) // a later --duration wins
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if code := run(ctx, args, &out, &errOut); code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out.String(), errOut.String())
			}
			if tc.code == exitOK && (!strings.Contains(out.String(), "phone.registered") || !strings.Contains(out.String(), tc.trace)) {
				t.Errorf("not registered, or no %q in the trace:\n%s", tc.trace, out.String())
			}
			if tc.code == exitFailed && !strings.Contains(errOut.String(), tc.trace) {
				t.Errorf("stderr %q, want %q", errOut.String(), tc.trace)
			}
		})
	}
}
