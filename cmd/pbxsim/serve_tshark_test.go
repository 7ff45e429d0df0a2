package main

import (
	"encoding/hex"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/internal/loopback"
	"github.com/callwake/callwake/internal/tsharktest"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/ras"
)

// wireTap is a relay between phones and serve that keeps every byte it
// carries, as a capture on the wire would: the phone's datagrams and TCP
// bytes go to serve and back unchanged, and tap writes them as a pcap
// between the phone's and serve's addresses (the relay left out).
type wireTap struct {
	mu    sync.Mutex
	start time.Time
	recs  []tapRecord
}

type tapRecord struct {
	at       time.Duration
	udp      bool
	src, dst netip.AddrPort
	conn     int // TCP: which connection
	client   bool
	payload  []byte
}

func (w *wireTap) add(r tapRecord) {
	w.mu.Lock()
	r.at = time.Since(w.start)
	w.recs = append(w.recs, r)
	w.mu.Unlock()
}

// relayUDP forwards datagrams from one phone at listen to serve at to.
func (w *wireTap) relayUDP(t *testing.T, listen, to netip.AddrPort) {
	down, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(listen))
	if err != nil {
		t.Fatal(err)
	}
	up, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(listen.Addr(), 0)))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { down.Close(); up.Close(); wg.Wait() })
	var phoneMu sync.Mutex
	var phoneAddr netip.AddrPort
	wg.Go(func() {
		buf := make([]byte, 65535)
		for {
			n, from, err := down.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			phoneMu.Lock()
			phoneAddr = from
			phoneMu.Unlock()
			w.add(tapRecord{udp: true, src: from, dst: to, payload: append([]byte(nil), buf[:n]...)})
			_, _ = up.WriteToUDPAddrPort(buf[:n], to)
		}
	})
	wg.Go(func() {
		buf := make([]byte, 65535)
		for {
			n, _, err := up.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			phoneMu.Lock()
			p := phoneAddr
			phoneMu.Unlock()
			w.add(tapRecord{udp: true, src: to, dst: p, payload: append([]byte(nil), buf[:n]...)})
			_, _ = down.WriteToUDPAddrPort(buf[:n], p)
		}
	})
}

// relayTCP forwards one connection at a time from listen to serve at to.
func (w *wireTap) relayTCP(t *testing.T, listen, to netip.AddrPort) {
	ln, err := net.Listen("tcp", listen.String())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	conn := 0
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conn++
			id := conn
			u, err := net.Dial("tcp", to.String())
			if err != nil {
				c.Close()
				continue
			}
			from := netip.MustParseAddrPort(c.RemoteAddr().String())
			pipe := func(dst, src net.Conn, client bool) {
				buf := make([]byte, 65535)
				for {
					n, err := src.Read(buf)
					if n > 0 {
						s, d := from, to
						if !client {
							s, d = to, from
						}
						w.add(tapRecord{src: s, dst: d, conn: id, client: client, payload: append([]byte(nil), buf[:n]...)})
						if _, err := dst.Write(buf[:n]); err != nil {
							break
						}
					}
					if err != nil {
						break
					}
				}
				if tc, ok := dst.(*net.TCPConn); ok {
					_ = tc.CloseWrite()
				}
			}
			wg.Go(func() { pipe(u, c, true) })
			wg.Go(func() { pipe(c, u, false); c.Close(); u.Close() })
		}
	})
}

// write writes the records as a pcap.
func (w *wireTap) write(t *testing.T, path string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cw, err := capture.NewWriter(f, w.start)
	if err != nil {
		t.Fatal(err)
	}
	streams := map[int]*capture.Stream{}
	for _, r := range w.recs {
		if r.udp {
			if err := cw.WriteUDP(r.at, r.src, r.dst, r.payload); err != nil {
				t.Fatal(err)
			}
			continue
		}
		s := streams[r.conn]
		if s == nil {
			client, server := r.src, r.dst
			if !r.client {
				client, server = server, client
			}
			if s, err = cw.OpenTCP(r.at, client, server); err != nil {
				t.Fatal(err)
			}
			streams[r.conn] = s
		}
		if err := s.Write(r.at, r.client, r.payload); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range streams {
		_ = s.Close(time.Since(w.start))
	}
}

// TestServeCaptureDecrypts: the DTLS and TLS of one run, captured on the
// wire, decrypt in tshark with serve's key log (SSLKEYLOGFILE), show the
// RAS inside, and hold no malformed packet.
func TestServeCaptureDecrypts(t *testing.T) {
	tsharktest.Require(t)
	dir := writeTestPKI(t)
	keylog := filepath.Join(t.TempDir(), "keys.log")
	s := startServe(t, "--cert", dir+"/pbx-pbx.pem", "--key", dir+"/pbx-pbx.key", "--keylog", keylog)
	ctx := serveContext(t)
	tap := &wireTap{start: time.Now()}
	relay := loopback.Addr()
	tap.relayUDP(t, netip.AddrPortFrom(relay, 1300), s.addrs.DTLS)
	tap.relayTCP(t, netip.AddrPortFrom(relay, 1300), s.addrs.Secure)
	for _, tr := range []phone.Transport{phone.DTLS, phone.H460TLS} {
		cfg := securePhone(t, s, dir, "bob", "202", tr, "trust.pem")
		cfg.Password = "secret"
		cfg.Gatekeeper = netip.AddrPortFrom(relay, 1300)
		cfg.PBXSignal = netip.AddrPortFrom(relay, 1300)
		p := runTestPhone(t, ctx, cfg)
		p.rec.waitFor(t, ctx, "phone.registered")
		p.stop()
		p.wait(t)
	}
	pcap := filepath.Join(t.TempDir(), "wire.pcap")
	if d := os.Getenv("SERVE_TSHARK_KEEP"); d != "" {
		pcap = filepath.Join(d, "wire.pcap")
		defer func() { b, _ := os.ReadFile(keylog); _ = os.WriteFile(filepath.Join(d, "keys.log"), b, 0o600) }()
	}
	tap.write(t, pcap)
	opts := []string{"-o", "tls.keylog_file:" + keylog, "-d", "udp.port==1300,dtls", "-d", "tcp.port==1300,tls",
		"-d", "dtls.port==1300,data"} // tshark has no RAS dissector under DTLS: the plaintext is checked here
	if problems := tsharktest.Problems(t, pcap, opts...); len(problems) > 0 {
		t.Errorf("tshark finds problems:\n%s", strings.Join(problems, "\n"))
	}
	// TLS: tshark decrypts and decodes the H.460.17 RAS itself.
	var tlsRAS []string
	for _, p := range tsharktest.FieldValuesWith(t, opts, pcap, "tls && h225", "h225.RasMessage") {
		tlsRAS = append(tlsRAS, p["h225.RasMessage"]...)
	}
	// DTLS: tshark decrypts; the plaintext is RAS.
	var dtlsRAS []string
	for _, p := range tsharktest.FieldValuesWith(t, opts, pcap, "dtls && data", "data.data") {
		for _, h := range p["data.data"] {
			b, err := hex.DecodeString(strings.ReplaceAll(h, ":", ""))
			if err != nil {
				t.Fatal(err)
			}
			name, _, ok := ras.Describe(b)
			if !ok {
				t.Errorf("decrypted DTLS payload is not RAS: %x", b)
			}
			dtlsRAS = append(dtlsRAS, name)
		}
	}
	if want := "ras.rrq,ras.rcf,ras.urq,ras.ucf"; strings.Join(dtlsRAS, ",") != want {
		t.Errorf("decrypted DTLS: %v, want %s", dtlsRAS, want)
	}
	if len(tlsRAS) != 4 {
		t.Errorf("decrypted TLS: RAS messages %v, want RRQ, RCF, URQ, UCF", tlsRAS)
	}
}
