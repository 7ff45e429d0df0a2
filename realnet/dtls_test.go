package realnet_test

import (
	"context"
	"crypto/rand"
	"net/netip"
	"testing"
	"time"

	"github.com/callwake/callwake/internal/loopback"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/pbx"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/push/pki"
)

// securePKI is the certificates of the secure tests: the test authorities
// and a PBX's listener certificate for its address.
type securePKI struct {
	set *pki.Set
}

func newSecurePKI(t *testing.T) *securePKI {
	t.Helper()
	set, err := pki.NewSet(time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return &securePKI{set: set}
}

// credential issues a certificate of the Device CA for host.
func (k *securePKI) credential(t *testing.T, cn string, host netip.Addr, notAfter time.Time) *node.Credential {
	t.Helper()
	leaf, err := k.set.IssueLeaf(k.set.Device, pki.LeafSpec{CommonName: cn, Hosts: []string{host.String()}, Serial: 7, NotAfter: notAfter})
	if err != nil {
		t.Fatal(err)
	}
	c := leaf.TLSCertificate()
	return &node.Credential{Identity: node.Identity{Subject: cn, Issuer: pki.DeviceCAName, Serial: "7"}, Certificate: &c}
}

// trusting is a Security that trusts the authority ca.
func trusting(ca *pki.Authority, own *node.Credential) *node.Security {
	sec := &node.Security{Own: own, Trust: []string{ca.Cert.Subject.CommonName}}
	sec.Roots = pool(ca.Cert)
	return sec
}

// startSecurePBX is startPBX with DTLS RAS on 1300 and TLS 1300, presenting
// own and asking phones for their certificates.
func startSecurePBX(t *testing.T, ctx context.Context, own func(ip netip.Addr) *node.Credential, roots *pki.Authority) *testPBX {
	t.Helper()
	ip := loopback.Addr()
	cfg := pbx.Config{SystemName: "pbx", Users: []pbx.User{
		{Name: "alice", Number: "201"}, {Name: "sam", Number: "204", Password: "secret"}}}
	for _, u := range cfg.Users {
		cfg.Devices = append(cfg.Devices, pbx.Device{Name: u.Name + "-phone", User: u.Name, Kind: pbx.KindDeskphone})
	}
	sec := trusting(roots, own(ip))
	sec.ClientAuth = true
	n, err := pbx.NewNode(pbx.NodeConfig{Core: cfg, Name: "pbx", IP: ip, TimeToLive: time.Minute,
		Random: rand.Reader, Security: sec, Listen: pbx.Addrs{Session: netip.AddrPortFrom(ip, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	p := &testPBX{actor: runNode(t, ctx, "pbx", ip, n),
		ras: netip.AddrPortFrom(ip, pbx.PortSecure), signal: netip.AddrPortFrom(ip, pbx.PortSecure)}
	waitListening(t, ctx, p.signal)
	return p
}

// dtlsPhone is a desk phone registering over DTLS to gk, trusting ca.
func dtlsPhone(t *testing.T, k *securePKI, alias, number string, gk *testPBX, ca *pki.Authority) phone.NodeConfig {
	cfg := phoneConfig(alias, number, gk.ras)
	cfg.Transport = phone.DTLS
	cfg.SignalPort = phone.PortSecure
	cfg.PBXSignal = gk.signal
	own := k.credential(t, alias, cfg.IP, time.Time{})
	cfg.Security = &node.Security{Own: own}
	cfg.PBXSecurity = trusting(ca, own)
	return cfg
}

// TestDTLSRegistration: a phone registers over DTLS (RAS in one DTLS
// association each way of the phone's RAS socket and the PBX's), with and
// without an H.235 password, keeps alive and unregisters; the PBX sees the
// phone's certificate verified.
func TestDTLSRegistration(t *testing.T) {
	for _, tc := range []struct{ alias, number, password string }{{"alice", "201", ""}, {"sam", "204", "secret"}} {
		t.Run(tc.alias, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			k := newSecurePKI(t)
			gk := startSecurePBX(t, ctx, func(ip netip.Addr) *node.Credential { return k.credential(t, "pbx", ip, time.Time{}) }, k.set.Device)
			cfg := dtlsPhone(t, k, tc.alias, tc.number, gk, k.set.Device)
			cfg.Password = tc.password
			p := startPhone(t, ctx, cfg)
			p.registered(t, ctx)
			gk.rec.waitFor(t, ctx, "ras.rcf")
			p.stop(t)
			if res := p.result(); !res.Registered || res.Unregistered != "urq" {
				t.Errorf("result %+v", res)
			}
			for _, e := range gk.rec.snapshot() {
				if e.Wire != nil && e.Wire.Protocol == "ras" && e.Wire.Transport != "dtls" {
					t.Errorf("RAS not over DTLS: %v", e.String())
				}
			}
		})
	}
}

// TestDTLSRefusesCertificate: a phone whose trust list does not name the
// PBX certificate's issuer, or whose PBX presents an expired certificate,
// does not register: every handshake fails, and the RRQs time out.
func TestDTLSRefusesCertificate(t *testing.T) {
	if testing.Short() {
		t.Skip("takes the RAS request timeouts (9 s)")
	}
	for _, tc := range []struct {
		name    string
		expired bool
	}{{"untrusted", false}, {"expired", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			k := newSecurePKI(t)
			notAfter := time.Time{}
			if tc.expired {
				notAfter = time.Now().Add(-time.Minute)
			}
			gk := startSecurePBX(t, ctx, func(ip netip.Addr) *node.Credential { return k.credential(t, "pbx", ip, notAfter) }, k.set.Device)
			ca := k.set.Device
			if !tc.expired {
				ca = k.set.Own // the PBX's certificate chains to the Device CA
			}
			p := startPhone(t, ctx, dtlsPhone(t, k, "alice", "201", gk, ca))
			p.wait(t)
			if res := p.result(); res.Registered || res.Failure != "timeout" {
				t.Errorf("result %+v; want failure timeout", res)
			}
			if find(gk.rec.snapshot(), "ras.rrq") {
				t.Errorf("the PBX read an RRQ:\n%s", dump(gk.rec.snapshot()))
			}
		})
	}
}
