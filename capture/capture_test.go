package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

var (
	endpointA  = netip.MustParseAddrPort("192.0.2.10:1719")
	gatekeeper = netip.MustParseAddrPort("192.0.2.1:1719")
	callerSig  = netip.MustParseAddrPort("192.0.2.10:40000")
	gkSig      = netip.MustParseAddrPort("192.0.2.1:1720")
)

// lengthFramer frames messages the way TPKT does (a 4-byte header whose
// bytes 2..3 give the whole length). It lives in the test because the real
// TPKT framer belongs to the Q.931 package.
func lengthFramer(p []byte) (int, error) {
	if len(p) < 4 {
		return 0, nil
	}
	if p[0] != 3 {
		return 0, fmt.Errorf("version %d", p[0])
	}
	n := int(binary.BigEndian.Uint16(p[2:]))
	if n < 4 {
		return 0, fmt.Errorf("length %d", n)
	}
	if len(p) < n {
		return 0, nil
	}
	return n, nil
}

func message(n int, fill byte) []byte {
	m := bytes.Repeat([]byte{fill}, n)
	m[0], m[1] = 3, 0
	binary.BigEndian.PutUint16(m[2:], uint16(n))
	return m
}

// writeSample writes a small RAS exchange and one call-signalling connection
// whose first message spans two segments, another spans three (longer than
// the MSS), and the reply follows.
func writeSample(t testing.TB) ([]byte, [][]byte) {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, DefaultEpoch)
	if err != nil {
		t.Fatal(err)
	}
	ras := [][]byte{{0x0e, 0xc0, 0x01}, {0x12, 0xc0, 0x01, 0x02}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.WriteUDP(0, endpointA, gatekeeper, ras[0]))
	must(w.WriteUDP(2*time.Millisecond, gatekeeper, endpointA, ras[1]))
	s, err := w.OpenTCP(10*time.Millisecond, callerSig, gkSig)
	must(err)
	setup, big, reply := message(40, 0xaa), message(3000, 0xbb), message(12, 0xcc)
	must(s.WriteSplit(11*time.Millisecond, true, setup, 10))
	must(s.Write(12*time.Millisecond, true, big))
	must(s.Write(13*time.Millisecond, false, reply))
	must(s.Close(14 * time.Millisecond))
	return buf.Bytes(), [][]byte{ras[0], ras[1], setup, big, reply}
}

func TestRoundTrip(t *testing.T) {
	file, want := writeSample(t)
	c, err := Read(bytes.NewReader(file), Options{Framer: lengthFramer})
	if err != nil {
		t.Fatal(err)
	}
	// 2 UDP + 3 handshake + 1+1 (setup split) + 3 (big) + 1 (reply) + 3 close.
	if c.Packets != 14 {
		t.Errorf("packets = %d, want 14", c.Packets)
	}
	if c.Skipped != 6 { // handshake and close carry no data
		t.Errorf("skipped = %d, want 6", c.Skipped)
	}
	wantRecs := []struct {
		index     int
		transport string
		src, dst  netip.AddrPort
		at        time.Duration
	}{
		{1, "udp", endpointA, gatekeeper, 0},
		{2, "udp", gatekeeper, endpointA, 2 * time.Millisecond},
		{7, "tcp", callerSig, gkSig, 11 * time.Millisecond},
		{10, "tcp", callerSig, gkSig, 12 * time.Millisecond},
		{11, "tcp", gkSig, callerSig, 13 * time.Millisecond},
	}
	if len(c.Records) != len(wantRecs) {
		t.Fatalf("got %d records, want %d: %+v", len(c.Records), len(wantRecs), c.Records)
	}
	for i, wr := range wantRecs {
		r := c.Records[i]
		if r.Err != nil {
			t.Errorf("record %d: %v", i, r.Err)
			continue
		}
		if r.Index != wr.index || r.Transport != wr.transport || r.Src != wr.src || r.Dst != wr.dst {
			t.Errorf("record %d = #%d %s %v->%v, want #%d %s %v->%v", i, r.Index, r.Transport, r.Src, r.Dst, wr.index, wr.transport, wr.src, wr.dst)
		}
		if !r.At.Equal(DefaultEpoch.Add(wr.at)) {
			t.Errorf("record %d at %v, want %v", i, r.At, DefaultEpoch.Add(wr.at))
		}
		if !bytes.Equal(r.Payload, want[i]) {
			t.Errorf("record %d payload differs (%d bytes, want %d)", i, len(r.Payload), len(want[i]))
		}
	}
}

func TestRoundTripWithoutFramer(t *testing.T) {
	file, want := writeSample(t)
	c, err := Read(bytes.NewReader(file), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Without a framer every data segment is one chunk; joined per
	// direction they are the bytes written.
	var toServer, toClient []byte
	var indexes []int
	for _, r := range c.Records {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		if r.Transport != "tcp" {
			continue
		}
		indexes = append(indexes, r.Index)
		if r.Src == callerSig {
			toServer = append(toServer, r.Payload...)
		} else {
			toClient = append(toClient, r.Payload...)
		}
	}
	if got := fmt.Sprint(indexes); got != "[6 7 8 9 10 11]" {
		t.Errorf("chunk packet indexes = %s", got)
	}
	if !bytes.Equal(toServer, append(append([]byte(nil), want[2]...), want[3]...)) || !bytes.Equal(toClient, want[4]) {
		t.Error("reassembled streams differ from what was written")
	}
}

func TestWriterIsDeterministic(t *testing.T) {
	first, _ := writeSample(t)
	second, _ := writeSample(t)
	if !bytes.Equal(first, second) {
		t.Fatal("the same packets gave different bytes")
	}
	var other bytes.Buffer
	w, _ := NewWriter(&other, DefaultEpoch.Add(time.Hour))
	if err := w.WriteUDP(0, endpointA, gatekeeper, []byte{1}); err != nil {
		t.Fatal(err)
	}
	c, err := Read(&other, Options{})
	if err != nil || len(c.Records) != 1 || !c.Records[0].At.Equal(DefaultEpoch.Add(time.Hour)) {
		t.Fatalf("epoch not honoured: %v %+v", err, c)
	}
}

func TestMAC(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"192.0.2.10", "02:00:c0:00:02:0a"},
		{"::ffff:192.0.2.10", "02:00:c0:00:02:0a"},
		{"127.0.0.1", "02:00:7f:00:00:01"},
	}
	for _, tt := range tests {
		if got := MAC(netip.MustParseAddr(tt.addr)).String(); got != tt.want {
			t.Errorf("MAC(%s) = %s, want %s", tt.addr, got, tt.want)
		}
	}
	a, b := MAC(netip.MustParseAddr("2001:db8::1")), MAC(netip.MustParseAddr("2001:db8::2"))
	if a.String() == b.String() || a[0] != 0x02 || a[1] != 0x01 {
		t.Errorf("IPv6 MACs %v %v", a, b)
	}
}

func TestWriterRejectsBadInput(t *testing.T) {
	w, _ := NewWriter(&bytes.Buffer{}, DefaultEpoch)
	v6 := netip.MustParseAddrPort("[2001:db8::1]:1719")
	if err := w.WriteUDP(0, endpointA, v6, nil); err == nil {
		t.Error("mixed IP versions accepted")
	}
	if err := w.WriteUDP(0, netip.AddrPort{}, gatekeeper, nil); err == nil {
		t.Error("invalid address accepted")
	}
	if err := w.WriteUDP(0, endpointA, gatekeeper, make([]byte, 70000)); err == nil {
		t.Error("oversized datagram accepted")
	}
	s, err := w.OpenTCP(0, callerSig, gkSig)
	if err != nil {
		t.Fatal(err)
	}
	for _, splits := range [][]int{{0}, {5, 5}, {10}, {6, 3}} {
		if err := s.WriteSplit(0, true, make([]byte, 10), splits...); err == nil {
			t.Errorf("split %v accepted", splits)
		}
	}
	if err := s.Write(0, true, nil); err == nil {
		t.Error("empty write accepted")
	}
	if err := s.Close(0); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(0, true, []byte{1}); err == nil {
		t.Error("write after close accepted")
	}
	if err := s.Close(0); err == nil {
		t.Error("double close accepted")
	}
}

// TestWindowIsRespected writes more than a window without replies; the
// writer must insert the peer's acknowledgements.
func TestWindowIsRespected(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, DefaultEpoch)
	s, _ := w.OpenTCP(0, callerSig, gkSig)
	data := bytes.Repeat([]byte{7}, 3*tcpWindow)
	if err := s.Write(time.Millisecond, true, data); err != nil {
		t.Fatal(err)
	}
	c, err := Read(&buf, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	for _, r := range c.Records {
		got = append(got, r.Payload...)
	}
	segments := (len(data) + MSS - 1) / MSS
	if !bytes.Equal(got, data) {
		t.Fatal("stream differs")
	}
	if acks := c.Packets - 3 - segments; acks < 2 {
		t.Errorf("%d pure ACKs from the server for %d bytes, want at least 2", acks, len(data))
	}
}

// ipv4UDP serializes an IPv4/UDP datagram without link layer.
func ipv4UDP(t *testing.T, payload []byte) []byte {
	t.Helper()
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP,
		SrcIP: net.IP{192, 0, 2, 10}, DstIP: net.IP{192, 0, 2, 1}}
	udp := &layers.UDP{SrcPort: 1719, DstPort: 1719}
	_ = udp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{ComputeChecksums: true, FixLengths: true}, ip, udp, gopacket.Payload(payload))
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pcapOf writes a classic pcap of the given link type holding frames.
func pcapOf(t *testing.T, linkType uint32, frames ...[]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	pw, err := newFileWriter(&buf, Snaplen, layers.LinkType(linkType))
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		if err := writeFrame(pw, DefaultEpoch.Add(time.Duration(i)*time.Second), f); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func TestLinkTypes(t *testing.T) {
	payload := []byte("registrationRequest")
	ip := ipv4UDP(t, payload)
	sll := make([]byte, 16) // packet type, ARPHRD, addr len, addr[8], protocol
	binary.BigEndian.PutUint16(sll[0:], 0)
	binary.BigEndian.PutUint16(sll[2:], 772) // ARPHRD_LOOPBACK
	binary.BigEndian.PutUint16(sll[4:], 6)
	binary.BigEndian.PutUint16(sll[14:], 0x0800)
	sll2 := make([]byte, 20) // protocol, reserved, ifindex, ARPHRD, type, addr len, addr[8]
	binary.BigEndian.PutUint16(sll2[0:], 0x0800)
	binary.BigEndian.PutUint32(sll2[4:], 1)
	binary.BigEndian.PutUint16(sll2[8:], 772)
	sll2[11] = 6
	null := binary.LittleEndian.AppendUint32(nil, 2)  // AF_INET, host (little-endian) order
	loop := binary.BigEndian.AppendUint32(nil, 2)     // DLT_LOOP: network order
	arp := append(make([]byte, 12), 0x08, 0x06, 0, 1) // an ARP frame: not IP
	eth := append(make([]byte, 12), 0x08, 0x00)       // Ethernet with IPv4
	tests := []struct {
		name     string
		linkType uint32
		header   []byte
	}{
		{"ethernet", 1, eth},
		{"linux cooked", 113, sll},
		{"linux cooked v2", 276, sll2},
		{"bsd null", 0, null},
		{"bsd loop", 108, loop},
		{"raw ip", 101, nil},
		{"raw ip (DLT 12)", 12, nil},
		{"raw ipv4", 228, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := pcapOf(t, tt.linkType, append(append([]byte(nil), tt.header...), ip...))
			c, err := Read(bytes.NewReader(file), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Records) != 1 || c.Records[0].Err != nil {
				t.Fatalf("records %+v", c.Records)
			}
			r := c.Records[0]
			if r.Transport != "udp" || r.Src != endpointA || r.Dst != gatekeeper || !bytes.Equal(r.Payload, payload) {
				t.Errorf("record %+v", r)
			}
		})
	}
	t.Run("non-IP is skipped", func(t *testing.T) {
		file := pcapOf(t, 1, append(arp, make([]byte, 28)...), append(eth, ip...))
		c, err := Read(bytes.NewReader(file), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if c.Skipped != 1 || len(c.Records) != 1 || c.Records[0].Index != 2 {
			t.Errorf("skipped %d, records %+v", c.Skipped, c.Records)
		}
	})
	t.Run("unknown link type is skipped", func(t *testing.T) {
		c, err := Read(bytes.NewReader(pcapOf(t, 147, ip)), Options{})
		if err != nil || c.Skipped != 1 || len(c.Records) != 0 {
			t.Errorf("%v %+v", err, c)
		}
	})
}

func TestBrokenPackets(t *testing.T) {
	payload := []byte("gatekeeperRequest")
	eth := append(make([]byte, 12), 0x08, 0x00)
	good := append(append([]byte(nil), eth...), ipv4UDP(t, payload)...)
	badIP := append(append([]byte(nil), eth...), 0x45, 0, 0) // header cut short

	t.Run("truncated and corrupt packets are reported, reading goes on", func(t *testing.T) {
		file := pcapOf(t, 1, good[:len(good)-5], badIP, good)
		// Record 1 says it was longer on the wire than captured.
		binary.LittleEndian.PutUint32(file[24+12:], uint32(len(good)))
		c, err := Read(bytes.NewReader(file), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Records) != 3 {
			t.Fatalf("records %+v", c.Records)
		}
		for i, wantIndex := range []int{1, 2} {
			if r := c.Records[i]; r.Err == nil || r.Index != wantIndex {
				t.Errorf("record %d = %+v, want an error for packet %d", i, r, wantIndex)
			}
		}
		if r := c.Records[2]; r.Err != nil || r.Index != 3 || !bytes.Equal(r.Payload, payload) {
			t.Errorf("good packet after broken ones: %+v", r)
		}
	})
	t.Run("file cut inside a packet", func(t *testing.T) {
		file := pcapOf(t, 1, good, good)
		c, err := Read(bytes.NewReader(file[:len(file)-3]), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Records) != 2 || c.Records[0].Err != nil || c.Records[1].Err == nil || c.Records[1].Index != 2 {
			t.Errorf("records %+v", c.Records)
		}
	})
	t.Run("huge record length does not allocate it", func(t *testing.T) {
		file := pcapOf(t, 1, good)
		binary.LittleEndian.PutUint32(file[24+8:], 10<<20)
		c, err := Read(bytes.NewReader(file), Options{})
		if err != nil || len(c.Records) != 1 || c.Records[0].Err == nil {
			t.Errorf("%v %+v", err, c)
		}
	})
}

func TestNotCapture(t *testing.T) {
	tests := map[string][]byte{
		"empty":   nil,
		"short":   {0xa1},
		"text":    []byte("hello, this is not a capture file"),
		"garbage": {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8},
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(in), Options{})
			if !errors.Is(err, ErrNotCapture) {
				t.Errorf("err = %v, want ErrNotCapture", err)
			}
		})
	}
	t.Run("truncated pcap header is not ErrNotCapture", func(t *testing.T) {
		_, err := Read(bytes.NewReader(pcapOf(t, 1)[:10]), Options{})
		if err == nil || errors.Is(err, ErrNotCapture) {
			t.Errorf("err = %v, want a header error", err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := ReadFile(filepath.Join(t.TempDir(), "absent.pcap"), Options{})
		if err == nil || errors.Is(err, ErrNotCapture) || !errors.Is(err, os.ErrNotExist) {
			t.Errorf("err = %v", err)
		}
	})
}

// realCapture returns the path of a capture in the shared folder, skipping
// locally when it is absent and failing in CI.
func realCapture(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "captures", name)
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("shared capture missing in CI: %v", err)
		}
		t.Skipf("shared capture absent: %v", err)
	}
	return path
}

func TestRealCapture(t *testing.T) {
	c, err := ReadFile(realCapture(t, "ras-h235-register-unregister.pcapng"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Packets != 9 || c.Skipped != 0 || len(c.Records) != 9 {
		t.Fatalf("packets %d skipped %d records %d, want 9 9 0", c.Packets, c.Skipped, len(c.Records))
	}
	// RAS message choice index in the first PER byte (>>2): GRQ 0, GCF 1,
	// RRQ 3, RCF 4, URQ 6 — what an independent dissector shows for them.
	wantChoice := []byte{0, 1, 3, 4, 0, 1, 3, 4, 6}
	wantLen := []int{144, 48, 345, 90, 98, 29, 176, 90, 61}
	var prev time.Time
	for i, r := range c.Records {
		if r.Err != nil || r.Transport != "udp" || r.Index != i+1 {
			t.Fatalf("record %d: %+v", i, r)
		}
		if r.Src.Port() != 1719 && r.Dst.Port() != 1719 {
			t.Errorf("record %d not on port 1719: %v -> %v", i, r.Src, r.Dst)
		}
		if len(r.Payload) != wantLen[i] || r.Payload[0]>>2 != wantChoice[i] {
			t.Errorf("record %d: %d bytes, choice %d; want %d bytes, choice %d", i, len(r.Payload), r.Payload[0]>>2, wantLen[i], wantChoice[i])
		}
		if r.At.Before(prev) || r.At.Year() < 2000 {
			t.Errorf("record %d timestamp %v", i, r.At)
		}
		prev = r.At
	}
	if d := c.Records[8].At.Sub(c.Records[0].At); d < 7*time.Second || d > 8*time.Second {
		t.Errorf("capture spans %v, want about 7.1 s", d)
	}
}

func TestRealCaptureAsPCAPNGVariants(t *testing.T) {
	orig, err := os.ReadFile(realCapture(t, "ras-h235-register-unregister.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	// A file cut inside the last packet block (the file ends with a
	// 108-byte statistics block) still yields the packets before the cut.
	c, err := Read(bytes.NewReader(orig[:len(orig)-108-20]), Options{})
	if err != nil {
		t.Fatal(err)
	}
	last := c.Records[len(c.Records)-1]
	if last.Err == nil || !strings.Contains(last.Err.Error(), "pcapng") {
		t.Errorf("last record %+v, want a pcapng error", last)
	}
	if ok := len(c.Records) - 1; ok != 8 {
		t.Errorf("%d packets before the cut, want 8", ok)
	}
}

func mustAP(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
