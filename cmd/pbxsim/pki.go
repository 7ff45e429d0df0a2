package main

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/callwake/callwake/push/pki"
	"github.com/callwake/callwake/scenario"
)

func init() {
	commands["pki"] = command{summary: "write the test PKI (authorities, PBX, push service and phone certificates) as PEM files", run: runPKI}
}

const pkiUsage = `usage: pbxsim pki init [--host NAME]... DIR [FILE]

Writes the test certificate authorities of the push path (B02/B03) and
certificates issued by them into DIR (created if missing) as PEM files,
private keys 0600, so that separate processes (pbxsim serve, phonesim) and
real equipment can be configured with them. Nothing real is used: the
authorities are made anew on every run.

  device-ca.pem              Device Certification Authority 2: the vendor's
                             (self-signed) root of device certificates
  unverified-device-ca.pem   Unverified Device CA (virtual appliances, 14r1+)
  own-ca.pem                 a customer's own CA ("uploaded yourself")
  service-ca.pem             the push service's CA (the PBX's trust list)
  trust.pem                  device-ca.pem and unverified-device-ca.pem:
                             what phones and the PBX accept of each other
  push-service.pem/.key      the push service's server certificate
  pbx-NAME.pem/.key          a device certificate per PBX of FILE (serial
                             1001 + its index, as the simulator's), for its
                             listeners (TLS 1300, DTLS RAS) and its Push
                             object; without FILE one, pbx.pem
  phone-NAME.pem/.key        a certificate per device of FILE (phone.pem
                             without FILE), for DTLS and TLS phones
  *-ca.key                   the authorities' keys, to issue more

Certificate files hold the chain (leaf, then its CA). Server certificates
are valid for localhost, 127.0.0.1, ::1, the PBX's system name and every
--host given (a name or an IP address of the machine real phones reach).
Existing files are overwritten.

Exit status: 0 when written, 2 when the command line or FILE is wrong, 1
when a file cannot be written.
`

type hostList []string

func (h *hostList) String() string     { return strings.Join(*h, ",") }
func (h *hostList) Set(v string) error { *h = append(*h, v); return nil }

func runPKI(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pki", flag.ContinueOnError)
	var hosts hostList
	fs.Var(&hosts, "host", "a further name or IP address the server certificates are valid for (repeatable)")
	rest, status, ok := parseCommand(fs, pkiUsage, args, stdout, stderr)
	if !ok {
		return status
	}
	if len(rest) < 2 || len(rest) > 3 || rest[0] != "init" {
		return usageError(fs, pkiUsage, stderr)
	}
	var f *scenario.File
	if len(rest) == 3 {
		var err error
		if f, err = scenario.Load(rest[2]); err != nil {
			printLoadError(stderr, err)
			return exitUsage
		}
	}
	written, err := writePKI(rest[1], f, hosts)
	if err != nil {
		fmt.Fprintf(stderr, "pbxsim pki: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "wrote %d files to %s\n", written, rest[1])
	return exitOK
}

// pkiEntity is one certificate pki init issues.
type pkiEntity struct {
	file string
	ca   *pki.Authority
	spec pki.LeafSpec
}

// writePKI makes a test PKI and writes it to dir.
func writePKI(dir string, f *scenario.File, extra []string) (int, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	set, err := pki.NewSet(time.Now().Add(-time.Hour))
	if err != nil {
		return 0, err
	}
	w := &pemWriter{dir: dir}
	for _, a := range []struct {
		name string
		ca   *pki.Authority
	}{{"device-ca", set.Device}, {"unverified-device-ca", set.UnverifiedDevice}, {"own-ca", set.Own}, {"service-ca", set.Service}} {
		w.certs(a.name+".pem", a.ca.Cert)
		w.key(a.name+".key", a.ca.Key)
	}
	w.certs("trust.pem", set.Device.Cert, set.UnverifiedDevice.Cert)
	hosts := append([]string{"localhost", "127.0.0.1", "::1"}, extra...)
	serviceHost := "push.test"
	entities := []pkiEntity{{file: "push-service", ca: set.Service,
		spec: pki.LeafSpec{CommonName: serviceHost, Hosts: append([]string{serviceHost}, hosts...), Serial: 1, Server: true}}}
	if f == nil {
		entities = append(entities,
			pkiEntity{file: "pbx", ca: set.Device, spec: pki.LeafSpec{CommonName: "pbx", Hosts: append([]string{"pbx"}, hosts...), Serial: 1001}},
			pkiEntity{file: "phone", ca: set.Device, spec: pki.LeafSpec{CommonName: "phone", Hosts: hosts, Serial: 2001}})
	} else {
		for i, p := range f.PBXs {
			name := p.SystemName
			if name == "" {
				name = p.Name
			}
			entities = append(entities, pkiEntity{file: "pbx-" + fileName(p.Name), ca: set.Device,
				spec: pki.LeafSpec{CommonName: name, Hosts: append([]string{name}, hosts...), Serial: int64(1001 + i)}})
		}
		for i, d := range f.Devices {
			entities = append(entities, pkiEntity{file: "phone-" + fileName(d.Name), ca: set.Device,
				spec: pki.LeafSpec{CommonName: d.Name, Hosts: hosts, Serial: int64(2001 + i)}})
		}
	}
	for _, e := range entities {
		leaf, err := set.IssueLeaf(e.ca, e.spec)
		if err != nil {
			return 0, err
		}
		w.certs(e.file+".pem", leaf.Chain...)
		w.key(e.file+".key", leaf.Key)
	}
	return w.n, w.err
}

// fileName keeps a name's letters, digits, dots, dashes and underscores.
func fileName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '_'
	}, s)
}

// pemWriter writes PEM files, keeping the first error.
type pemWriter struct {
	dir string
	n   int
	err error
}

func (w *pemWriter) write(name string, mode os.FileMode, blocks ...*pem.Block) {
	if w.err != nil {
		return
	}
	var b []byte
	for _, blk := range blocks {
		b = append(b, pem.EncodeToMemory(blk)...)
	}
	path := filepath.Join(w.dir, name)
	// Remove first: WriteFile keeps the mode of an existing file, and a key
	// must not stay readable by others.
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		w.err = err
		return
	}
	if err := os.WriteFile(path, b, mode); err != nil {
		w.err = err
		return
	}
	w.n++
}

func (w *pemWriter) certs(name string, certs ...*x509.Certificate) {
	blocks := make([]*pem.Block, len(certs))
	for i, c := range certs {
		blocks[i] = &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}
	}
	w.write(name, 0o644, blocks...)
}

func (w *pemWriter) key(name string, key any) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		if w.err == nil {
			w.err = err
		}
		return
	}
	w.write(name, 0o600, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
}
