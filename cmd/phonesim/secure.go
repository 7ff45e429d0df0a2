package main

import (
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"time"

	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/push/pki"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/realnet"
)

// secureFlags are the transport and security flags register, call and
// load share: which way RAS and call signalling travel, the H.235 token
// and the certificates.
type secureFlags struct {
	dtls, tls, h46017 bool
	h235              string
	ca, cert, key     string
	serverName        string
	pbxSignal         string
}

const (
	portSignalling = 1720
	portSecure     = 1300 // TLS signalling and RAS over DTLS at pbxsim serve
)

func (s *secureFlags) add(fs *flag.FlagSet) {
	fs.BoolVar(&s.dtls, "dtls", false, "RAS over DTLS (to --gk, port 1300 by default) and call signalling over TLS 1300")
	fs.BoolVar(&s.tls, "tls", false, "with --h460-17: the call-signalling connection that carries RAS is TLS (port 1300)")
	fs.BoolVar(&s.h46017, "h460-17", false, "H.460.17: RAS tunnelled in the call-signalling connection to the PBX (TCP 1720, TLS 1300 with --tls)")
	fs.StringVar(&s.h235, "h235", "hmac", "H.235 token with --password: hmac (H.235.1 HMAC-SHA1-96) or md5 (cryptoEPPwdHash)")
	fs.StringVar(&s.ca, "ca", "", "authorities (PEM) the PBX's TLS/DTLS certificate must chain to (none: any certificate is taken)")
	fs.StringVar(&s.cert, "cert", "", "certificate chain (PEM) the phone presents on TLS and DTLS")
	fs.StringVar(&s.key, "key", "", "its private key (PEM)")
	fs.StringVar(&s.serverName, "server-name", "", "name the PBX's certificate must carry (default: the --gk address)")
	fs.StringVar(&s.pbxSignal, "pbx-signal", "", "the PBX's call-signalling address (default: the --gk host, port 1720, or 1300 over TLS)")
}

// gatekeeperPort is the RAS port when --gk gives none.
func (s *secureFlags) gatekeeperPort() string {
	if s.dtls {
		return "1300"
	}
	return rasPort
}

// secureSettings is what the flags make of a phone's configuration.
type secureSettings struct {
	Transport   phone.Transport
	Auth        ras.AuthMethod
	PBXSignal   netip.AddrPort
	Security    *node.Security // the phone's TLS listener
	PBXSecurity *node.Security // what it presents and trusts towards the PBX
}

func (s *secureFlags) settings(gk netip.AddrPort) (secureSettings, error) {
	var out secureSettings
	switch s.h235 {
	case "hmac":
		out.Auth = ras.AuthHMACSHA1
	case "md5":
		out.Auth = ras.AuthMD5
	default:
		return out, fmt.Errorf("--h235 %q: want hmac or md5", s.h235)
	}
	port := uint16(portSignalling)
	switch {
	case s.dtls && s.h46017:
		return out, errors.New("--dtls and --h460-17 exclude each other: RAS goes over DTLS or inside the signalling connection")
	case s.dtls:
		out.Transport, port = phone.DTLS, portSecure
	case s.h46017 && s.tls:
		out.Transport, port = phone.H460TLS, portSecure
	case s.h46017:
		out.Transport = phone.H460TCP
	case s.tls:
		return out, errors.New("--tls goes with --h460-17 (RAS in the TLS connection) or is implied by --dtls")
	}
	out.PBXSignal = netip.AddrPortFrom(gk.Addr(), port)
	if s.pbxSignal != "" {
		a, err := netip.ParseAddrPort(s.pbxSignal)
		if err != nil {
			return out, fmt.Errorf("--pbx-signal: %w", err)
		}
		out.PBXSignal = a
	}
	if (s.cert == "") != (s.key == "") {
		return out, errors.New("--cert and --key go together")
	}
	if !out.Transport.Secure() {
		if s.ca != "" || s.cert != "" {
			return out, errors.New("--ca, --cert and --key need --dtls or --h460-17 --tls")
		}
		return out, nil
	}
	pbxSec := &node.Security{ServerName: s.serverName}
	if s.ca != "" {
		trust, err := realnet.LoadTrust(s.ca)
		if err != nil {
			return out, fmt.Errorf("--ca: %w", err)
		}
		pbxSec.Trust, pbxSec.Roots = trust.Trust, trust.Roots
	}
	if s.cert != "" {
		own, err := realnet.LoadCredential(s.cert, s.key)
		if err != nil {
			return out, fmt.Errorf("--cert: %w", err)
		}
		pbxSec.Own = own
		out.Security = &node.Security{Own: own}
	} else {
		// The PBX dials a DTLS phone's TLS listener for incoming calls,
		// which must present something: a throw-away certificate.
		own, err := throwAway()
		if err != nil {
			return out, err
		}
		out.Security = &node.Security{Own: own}
	}
	out.PBXSecurity = pbxSec
	return out, nil
}

// throwAway is a certificate of a test PKI made for this run only.
func throwAway() (*node.Credential, error) {
	set, err := pki.NewSet(time.Now().Add(-time.Hour))
	if err != nil {
		return nil, err
	}
	leaf, err := set.IssueLeaf(set.Device, pki.LeafSpec{CommonName: "phonesim", Hosts: []string{"localhost", "127.0.0.1", "::1"}, Serial: 1})
	if err != nil {
		return nil, err
	}
	c := leaf.TLSCertificate()
	return &node.Credential{Identity: node.Identity{Subject: "phonesim", Issuer: pki.DeviceCAName, Serial: "1"}, Certificate: &c}, nil
}
