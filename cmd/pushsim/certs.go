package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/push/pki"
)

// The files of a test PKI directory (--test-pki). The authorities' keys are
// written too, so that other certificates can be issued from them; they are
// test keys, nothing real.
const (
	fileDeviceCA     = "device-ca.pem"
	fileUnverifiedCA = "unverified-ca.pem"
	fileOwnCA        = "own-ca.pem"
	fileServiceCA    = "service-ca.pem" // what a PBX's trust list needs (B03)
	fileService      = "service.pem"
	fileServiceKey   = "service-key.pem"
	filePBX          = "pbx-device.pem" // a device certificate for a PBX's Push object
	filePBXKey       = "pbx-device-key.pem"
)

// serviceHost is the name the test PKI's service certificate carries, with
// localhost and the listen address.
const serviceHost = "push.test"

// credentials are the certificates the service runs with.
type credentials struct {
	service  tls.Certificate
	trust    *x509.CertPool // the device CAs a PBX's certificate is checked against
	device   []string       // their common names, by role (B02)
	unverify []string
}

// loadCredentials reads --cert, --key, --device-ca and --unverified-ca.
func loadCredentials(o *options) (*credentials, error) {
	if o.TestPKI != "" {
		if err := ensureTestPKI(o.TestPKI, net.IP(o.Listen.Addr().AsSlice())); err != nil {
			return nil, err
		}
		d := o.TestPKI
		o.Cert, o.Key = filepath.Join(d, fileService), filepath.Join(d, fileServiceKey)
		o.DeviceCA, o.UnverifiedCA = filepath.Join(d, fileDeviceCA), filepath.Join(d, fileUnverifiedCA)
	}
	cert, err := tls.LoadX509KeyPair(o.Cert, o.Key)
	if err != nil {
		return nil, fmt.Errorf("--cert/--key: %w", err)
	}
	c := &credentials{service: cert, trust: x509.NewCertPool()}
	for _, f := range []struct {
		path  string
		names *[]string
	}{{o.DeviceCA, &c.device}, {o.UnverifiedCA, &c.unverify}} {
		if f.path == "" {
			continue
		}
		certs, err := readCerts(f.path)
		if err != nil {
			return nil, err
		}
		for _, ca := range certs {
			c.trust.AddCert(ca)
			*f.names = append(*f.names, ca.Subject.CommonName)
		}
	}
	return c, nil
}

// readCerts reads every certificate of a PEM file.
func readCerts(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no PEM certificate in it", path)
	}
	return out, nil
}

// ensureTestPKI makes the test PKI's files in dir unless they are there.
func ensureTestPKI(dir string, ip net.IP) error {
	if _, err := os.Stat(filepath.Join(dir, fileService)); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	set, err := pki.NewSet(time.Now().Add(-time.Hour))
	if err != nil {
		return err
	}
	svc, err := issueServer(set.Service, serviceHost, ip)
	if err != nil {
		return err
	}
	pbx, err := set.IssuePBX(pki.RoleDevice, 1, "pbx")
	if err != nil {
		return err
	}
	files := []struct {
		name  string
		certs []*x509.Certificate
		key   any
	}{
		{fileDeviceCA, []*x509.Certificate{set.Device.Cert}, set.Device.Key},
		{fileUnverifiedCA, []*x509.Certificate{set.UnverifiedDevice.Cert}, set.UnverifiedDevice.Key},
		{fileOwnCA, []*x509.Certificate{set.Own.Cert}, set.Own.Key},
		{fileServiceCA, []*x509.Certificate{set.Service.Cert}, set.Service.Key},
		{fileService, svc.Chain, nil},
		{fileServiceKey, nil, svc.Key},
		{filePBX, pbx.Chain, nil},
		{filePBXKey, nil, pbx.Key},
	}
	for _, f := range files {
		var out []byte
		for _, c := range f.certs {
			out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), out, 0o644); err != nil {
			return err
		}
		if f.key == nil {
			continue
		}
		der, err := x509.MarshalPKCS8PrivateKey(f.key)
		if err != nil {
			return err
		}
		name := f.name
		if len(f.certs) > 0 {
			name = name[:len(name)-len(".pem")] + "-key.pem"
		}
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// issueServer issues a server certificate for host, localhost and ip.
func issueServer(ca *pki.Authority, host string, ip net.IP) (*pki.Leaf, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial.Add(serial, big.NewInt(1)),
		Subject:      pkix.Name{CommonName: host},
		DNSNames:     []string{host, "localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(5, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if ip != nil && !ip.IsUnspecified() && !ip.IsLoopback() {
		tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &pki.Leaf{Cert: cert, Key: key, Chain: []*x509.Certificate{cert, ca.Cert}}, nil
}

// vendorCredentials makes the emulators' server certificates (for Apple's
// and Google's API host names) from an authority made for this run, which
// only the service trusts: the hop between them stays inside pushsim.
func vendorCredentials() (apns, fcm *node.Credential, roots *x509.CertPool, err error) {
	set, err := pki.NewSet(time.Now().Add(-time.Hour))
	if err != nil {
		return nil, nil, nil, err
	}
	creds := make([]*node.Credential, 2)
	for i, host := range []string{push.APNsAuthority, push.FCMAuthority} {
		leaf, err := set.IssueServer(set.Service, host, int64(i+2))
		if err != nil {
			return nil, nil, nil, err
		}
		c := leaf.TLSCertificate()
		creds[i] = &node.Credential{Identity: node.Identity{Subject: host, Issuer: set.Service.Cert.Subject.CommonName,
			Serial: leaf.Cert.SerialNumber.String()}, Certificate: &c}
	}
	roots = x509.NewCertPool()
	roots.AddCert(set.Service.Cert)
	return creds[0], creds[1], roots, nil
}
