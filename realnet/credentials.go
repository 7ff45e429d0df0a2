package realnet

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"

	"github.com/callwake/callwake/node"
)

// LoadCredential reads a certificate chain (PEM, leaf first) and its
// private key (PEM) into what a node presents on a secure transport.
func LoadCredential(certFile, keyFile string) (*node.Credential, error) {
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", certFile, err)
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", certFile, err)
	}
	c.Leaf = leaf
	return &node.Credential{Identity: node.Identity{Subject: leaf.Subject.CommonName, Issuer: leaf.Issuer.CommonName,
		Serial: leaf.SerialNumber.String()}, Certificate: &c}, nil
}

// LoadTrust reads the trusted authorities (PEM certificates, any number
// per file) into a Security that trusts them: Roots for the real driver's
// checks, Trust their common names.
func LoadTrust(files ...string) (*node.Security, error) {
	sec := &node.Security{Roots: x509.NewCertPool()}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		n := 0
		for {
			var blk *pem.Block
			blk, b = pem.Decode(b)
			if blk == nil {
				break
			}
			if blk.Type != "CERTIFICATE" {
				continue
			}
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			sec.Roots.AddCert(c)
			sec.Trust = append(sec.Trust, c.Subject.CommonName)
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("%s: no PEM certificate", f)
		}
	}
	return sec, nil
}
