// Package pki makes the test certificate authorities of the push path and
// classifies a certificate chain a PBX presents into the role the push
// service cares about (B02).
//
// Four authorities stand in for the real ones, nothing real is used:
//
//	Device Certification Authority 2   signs the device certificates of hardware PBXs
//	Unverified Device CA               signs device certificates of virtual appliances (14r1+)
//	Own CA                             a customer's CA: what "a certificate you uploaded yourself" chains to
//	Service CA                         signs the push service's server certificate (the PBX's trust list)
//
// Keys are ECDSA P-256 from crypto/rand: Go's key generation ignores
// caller-supplied randomness, and certificates never enter timelines or pcap
// files, so this randomness cannot make a run irreproducible. Certificates
// are made for the real driver's mutual TLS; the simulated driver only needs
// the role and serial they carry.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Role is what a presented client certificate is, as far as the push service
// is concerned.
type Role string

// The roles of a PBX certificate.
const (
	RoleDevice           Role = "device"            // issued by Device Certification Authority 2
	RoleUnverifiedDevice Role = "unverified_device" // issued by the Unverified Device CA
	RoleOwn              Role = "own"               // anything else: a certificate the customer uploaded
	RoleNone             Role = "none"              // no certificate presented
)

// ParseRole checks a role name from a scenario.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleDevice, RoleUnverifiedDevice, RoleOwn, RoleNone:
		return r, nil
	}
	return "", fmt.Errorf("pki: unknown certificate role %q (want device, unverified_device, own or none)", s)
}

// Common names of the test authorities.
const (
	DeviceCAName           = "Device Certification Authority 2"
	UnverifiedDeviceCAName = "Unverified Device CA"
	OwnCAName              = "Customer Own CA"
	ServiceCAName          = "Push Service CA"
)

// Authority is one certificate authority: its certificate and signing key.
type Authority struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// Set is the four authorities of one world.
type Set struct {
	Device, UnverifiedDevice, Own, Service *Authority
	// notBefore anchors every validity period, so certificates do not depend
	// on when the set was made beyond the one value given to NewSet.
	notBefore time.Time
}

// Leaf is an issued end-entity certificate with its key and chain.
type Leaf struct {
	Cert  *x509.Certificate
	Key   crypto.Signer
	Chain []*x509.Certificate // leaf first, then the issuing CA
}

// TLSCertificate returns the leaf in the form crypto/tls wants.
func (l *Leaf) TLSCertificate() tls.Certificate {
	c := tls.Certificate{PrivateKey: l.Key, Leaf: l.Cert}
	for _, cert := range l.Chain {
		c.Certificate = append(c.Certificate, cert.Raw)
	}
	return c
}

// NewSet makes the four authorities, valid for ten years from notBefore (the
// caller passes a fixed time so that nothing here reads the clock).
func NewSet(notBefore time.Time) (*Set, error) {
	s := &Set{notBefore: notBefore}
	var err error
	for i, name := range []string{DeviceCAName, UnverifiedDeviceCAName, OwnCAName, ServiceCAName} {
		var a *Authority
		if a, err = newAuthority(name, int64(i+1), notBefore); err != nil {
			return nil, err
		}
		switch i {
		case 0:
			s.Device = a
		case 1:
			s.UnverifiedDevice = a
		case 2:
			s.Own = a
		case 3:
			s.Service = a
		}
	}
	return s, nil
}

func newAuthority(name string, serial int64, notBefore time.Time) (*Authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("pki: key for %s: %w", name, err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"callwake test PKI"}},
		NotBefore:             notBefore,
		NotAfter:              notBefore.AddDate(10, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("pki: certificate for %s: %w", name, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Authority{Cert: cert, Key: key}, nil
}

// IssuePBX issues a PBX client certificate of the given role and serial
// (the serial is what a cloned appliance shares, B05). RoleNone returns nil.
func (s *Set) IssuePBX(role Role, serial int64, commonName string) (*Leaf, error) {
	var ca *Authority
	switch role {
	case RoleDevice:
		ca = s.Device
	case RoleUnverifiedDevice:
		ca = s.UnverifiedDevice
	case RoleOwn:
		ca = s.Own
	case RoleNone:
		return nil, nil
	default:
		return nil, fmt.Errorf("pki: unknown role %q", role)
	}
	if serial <= 0 {
		return nil, errors.New("pki: certificate serial must be positive")
	}
	return s.issue(ca, serial, commonName, nil, x509.ExtKeyUsageClientAuth)
}

// IssueService issues the push service's server certificate for host.
func (s *Set) IssueService(host string, serial int64) (*Leaf, error) {
	return s.issue(s.Service, serial, host, []string{host}, x509.ExtKeyUsageServerAuth)
}

// IssueServer issues a server certificate for host signed by ca (a
// vendor emulator's, a PBX's own listener's).
func (s *Set) IssueServer(ca *Authority, host string, serial int64) (*Leaf, error) {
	return s.issue(ca, serial, host, []string{host}, x509.ExtKeyUsageServerAuth)
}

func (s *Set) issue(ca *Authority, serial int64, cn string, dns []string, usage x509.ExtKeyUsage) (*Leaf, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("pki: leaf key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn},
		DNSNames:     dns,
		NotBefore:    s.notBefore,
		NotAfter:     s.notBefore.AddDate(5, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, fmt.Errorf("pki: issue %s: %w", cn, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Leaf{Cert: cert, Key: key, Chain: []*x509.Certificate{cert, ca.Cert}}, nil
}

// Classify returns the role of a presented client chain (leaf first) at time
// now, and the leaf's serial in decimal ("" for RoleNone). A chain that
// verifies against neither vendor CA is RoleOwn, whoever issued it: the
// service only distinguishes the vendor's device CAs from everything else.
// Only an end-entity certificate can be a device: a leaf that is a CA (basic
// constraints cA, or the keyCertSign usage — the Device CA's own certificate,
// which verifies against itself), or that lacks the digitalSignature usage or
// an explicit clientAuth extended usage, is RoleOwn.
func (s *Set) Classify(chain []*x509.Certificate, now time.Time) (Role, string) {
	if len(chain) == 0 || chain[0] == nil {
		return RoleNone, ""
	}
	leaf := chain[0]
	if !deviceLeafShape(leaf) {
		return RoleOwn, leaf.SerialNumber.String()
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		if c != nil {
			inter.AddCert(c)
		}
	}
	for _, cand := range []struct {
		ca   *Authority
		role Role
	}{{s.Device, RoleDevice}, {s.UnverifiedDevice, RoleUnverifiedDevice}} {
		roots := x509.NewCertPool()
		roots.AddCert(cand.ca.Cert)
		_, err := leaf.Verify(x509.VerifyOptions{
			Roots: roots, Intermediates: inter, CurrentTime: now,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		})
		if err == nil {
			return cand.role, leaf.SerialNumber.String()
		}
	}
	return RoleOwn, leaf.SerialNumber.String()
}

// deviceLeafShape tells whether c can be a device's client certificate: an
// end entity for digital signatures whose extended key usage names client
// authentication (x509.Verify takes a certificate without any as valid for
// every usage).
func deviceLeafShape(c *x509.Certificate) bool {
	if c.IsCA || c.KeyUsage&x509.KeyUsageCertSign != 0 || c.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return false
	}
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageClientAuth {
			return true
		}
	}
	return false
}

// ServiceTrust returns the trust pool a PBX uses to check the service
// (B03): with trustsService false it holds only the vendor's device CAs, so
// the service certificate does not verify and the connection fails
// `untrusted`.
func (s *Set) ServiceTrust(trustsService bool) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(s.Device.Cert)
	if trustsService {
		pool.AddCert(s.Service.Cert)
	}
	return pool
}
