package realnet

import (
	"crypto/tls"
	"crypto/x509"
	"errors"

	"github.com/callwake/callwake/node"
)

// tlsServer is the TLS configuration of a listener: its certificate, and
// with ClientAuth a request for the client's (checked afterwards against
// Roots, so that the node decides what an unverified one means).
func tlsServer(sec *node.Security) *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if sec == nil {
		return cfg
	}
	if sec.Own != nil && sec.Own.Certificate != nil {
		cfg.Certificates = []tls.Certificate{*sec.Own.Certificate}
	}
	if sec.ClientAuth {
		cfg.ClientAuth = tls.RequestClientCert
	}
	return cfg
}

// tlsClient is the TLS configuration of a dial: the certificate it
// presents, and the trust list the listener's certificate must chain to
// (none: any is taken, as the node asked for no check).
func tlsClient(sec *node.Security, host string) *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
	if sec == nil {
		cfg.InsecureSkipVerify = true // the node checks nothing of the listener
		return cfg
	}
	if sec.ServerName != "" {
		cfg.ServerName = sec.ServerName
	}
	if sec.Own != nil && sec.Own.Certificate != nil {
		cfg.Certificates = []tls.Certificate{*sec.Own.Certificate}
	}
	if len(sec.Trust) == 0 || sec.Roots == nil {
		cfg.InsecureSkipVerify = true
		return cfg
	}
	cfg.RootCAs = sec.Roots
	return cfg
}

// peerOf reads the identity of the other side's certificate off a finished
// handshake; verified says whether it chains to roots (a server checking a
// client) or was verified by crypto/tls already (a client).
func peerOf(state tls.ConnectionState, roots *x509.CertPool, clientAuth bool) node.Peer {
	if len(state.PeerCertificates) == 0 {
		return node.Peer{}
	}
	leaf := state.PeerCertificates[0]
	id := &node.Identity{Subject: leaf.Subject.CommonName, Issuer: leaf.Issuer.CommonName, Serial: leaf.SerialNumber.String()}
	if !clientAuth {
		return node.Peer{Identity: id, Verified: len(state.VerifiedChains) > 0}
	}
	if roots == nil {
		return node.Peer{Identity: id}
	}
	inter := x509.NewCertPool()
	for _, c := range state.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	return node.Peer{Identity: id, Verified: err == nil}
}

// dialError maps a dial's failure onto the contract's errors.
func dialError(err error) error {
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	var hostname x509.HostnameError
	switch {
	case errors.As(err, &unknown), errors.As(err, &invalid), errors.As(err, &verify), errors.As(err, &hostname):
		return node.ErrUntrusted
	case isRefused(err):
		return node.ErrRefused
	}
	return node.ErrUnreachable
}
