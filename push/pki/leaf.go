package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// LeafSpec is an end-entity certificate for the real network: a PBX's
// listeners (TLS 1300, DTLS RAS), a phone's, the push service's, where the
// name the peer checks is a host name or an IP address.
type LeafSpec struct {
	CommonName string
	// Hosts are the names the certificate is valid for: IP addresses go
	// into its IP SANs, anything else into its DNS SANs.
	Hosts  []string
	Serial int64
	// Server and Client are the extended key usages (TLS/DTLS server and
	// client authentication); neither = both.
	Server, Client bool
	// NotBefore and NotAfter override the set's validity (five years from
	// its anchor): an expired certificate for tests of refusal.
	NotBefore, NotAfter time.Time
}

// IssueLeaf issues an end-entity certificate signed by ca.
func (s *Set) IssueLeaf(ca *Authority, spec LeafSpec) (*Leaf, error) {
	if ca == nil {
		return nil, errors.New("pki: no issuing authority")
	}
	if spec.Serial <= 0 {
		return nil, errors.New("pki: certificate serial must be positive")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("pki: leaf key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(spec.Serial),
		Subject:      pkix.Name{CommonName: spec.CommonName},
		NotBefore:    s.notBefore,
		NotAfter:     s.notBefore.AddDate(5, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	if !spec.NotBefore.IsZero() {
		tmpl.NotBefore = spec.NotBefore
	}
	if !spec.NotAfter.IsZero() {
		tmpl.NotAfter = spec.NotAfter
	}
	for _, h := range spec.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	if spec.Server || !spec.Client {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	if spec.Client || !spec.Server {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, fmt.Errorf("pki: issue %s: %w", spec.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Leaf{Cert: cert, Key: key, Chain: []*x509.Certificate{cert, ca.Cert}}, nil
}
