package capture

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// TestReaderYieldsWhatReadCollects: the streaming Reader and Read give the
// same records, counts and skips, with and without a framer.
func TestReaderYieldsWhatReadCollects(t *testing.T) {
	file, _ := writeSample(t)
	for _, opts := range []Options{{}, {Framer: lengthFramer}} {
		c, err := Read(bytes.NewReader(file), opts)
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(bytes.NewReader(file), opts)
		if err != nil {
			t.Fatal(err)
		}
		var got []Record
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, rec)
		}
		if !reflect.DeepEqual(got, c.Records) || r.Packets() != c.Packets || r.Skips() != c.Skips {
			t.Errorf("framer %v: reader gave %d records (%d packets, %+v), Read %d (%d, %+v)",
				opts.Framer != nil, len(got), r.Packets(), r.Skips(), len(c.Records), c.Packets, c.Skips)
		}
		if _, err := r.Next(); err != io.EOF {
			t.Errorf("after the end: %v, want io.EOF", err)
		}
	}
}

// TestStreamNumbersAndEnds: connections are numbered in the order they are
// seen, a reused four-tuple gets a new number, and End records say when a
// direction ended and whether by a reset.
func TestStreamNumbersAndEnds(t *testing.T) {
	segments := []segment{
		synSeg(1, 100), replySyn(2, 500), seg(3, 101, "ab"), reply(4, 501, "cd"),
		flagged(seg(5, 103, ""), true, false), flagged(reply(6, 503, ""), true, false),
		synSeg(7, 9000), seg(8, 9001, "ef"), flagged(seg(9, 9003, ""), false, true),
	}
	tr := newTCPTracker(nil, DefaultMaxPending)
	tr.ends = true
	var parts []string
	for _, s := range segments {
		for _, r := range tr.add(s) {
			switch {
			case r.End && r.Reset:
				parts = append(parts, fmt.Sprintf("%d:s%d:reset:%v", r.Index, r.Stream, r.Src))
			case r.End:
				parts = append(parts, fmt.Sprintf("%d:s%d:end:%v", r.Index, r.Stream, r.Src))
			default:
				parts = append(parts, fmt.Sprintf("%d:s%d:%s", r.Index, r.Stream, r.Payload))
			}
		}
	}
	parts = append(parts, fmt.Sprint(len(tr.finish())))
	want := "3:s1:ab 4:s1:cd 5:s1:end:192.0.2.10:40000 6:s1:end:192.0.2.1:1720 8:s2:ef " +
		"9:s2:reset:192.0.2.10:40000 9:s2:reset:192.0.2.1:1720 0"
	if got := strings.Join(parts, " "); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}

	// Without StreamEnds nothing changes for callers that do not ask.
	tr = newTCPTracker(nil, DefaultMaxPending)
	for _, s := range segments {
		for _, r := range tr.add(s) {
			if r.End {
				t.Errorf("End record %+v without StreamEnds", r)
			}
		}
	}
}

// TestClosedConnectionReportsCutMessage: a message left incomplete by a
// close is reported when the connection completes, not at the end of the
// capture, and the tracker forgets the connection.
func TestClosedConnectionReportsCutMessage(t *testing.T) {
	tr := newTCPTracker(lineFramer, DefaultMaxPending)
	var got []string
	for _, s := range []segment{
		synSeg(1, 100), replySyn(2, 500), seg(3, 101, "a\nbc"),
		flagged(seg(4, 105, ""), true, false), flagged(reply(5, 501, ""), true, false),
	} {
		for _, r := range tr.add(s) {
			if r.Err != nil {
				got = append(got, fmt.Sprintf("%d:%v", r.Index, r.Err))
			} else {
				got = append(got, fmt.Sprintf("%d:%q", r.Index, r.Payload))
			}
		}
	}
	if len(got) != 2 || !strings.Contains(got[1], "connection closed inside a message (2 bytes pending)") {
		t.Errorf("records %q", got)
	}
	if recs := tr.finish(); len(recs) != 0 {
		t.Errorf("finish reported %+v again", recs)
	}
}

// TestSkipCauses: each packet the reader cannot use is counted once, under
// its cause.
func TestSkipCauses(t *testing.T) {
	eth := append(make([]byte, 12), 0x08, 0x00)
	arp := append(append(make([]byte, 12), 0x08, 0x06, 0, 1), make([]byte, 28)...)
	icmp := func() []byte {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolICMPv4,
			SrcIP: net.IP{192, 0, 2, 10}, DstIP: net.IP{192, 0, 2, 1}}
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, ip,
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0)}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}()
	udp := append(append([]byte(nil), eth...), ipv4UDP(t, []byte("x"))...)
	file := pcapOf(t, 1, arp, append(append([]byte(nil), eth...), icmp...), udp, arp)
	c, err := Read(bytes.NewReader(file), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Skips{NotIP: 2, OtherIP: 1}); c.Skips != want || c.Skipped != 3 || len(c.Records) != 1 {
		t.Errorf("skips %+v (skipped %d), want %+v; records %d", c.Skips, c.Skipped, want, len(c.Records))
	}
	c, err = Read(bytes.NewReader(pcapOf(t, 147, udp)), Options{})
	if err != nil || c.Skips != (Skips{LinkType: 1}) {
		t.Errorf("%v: skips %+v, want one unsupported link type", err, c.Skips)
	}
	sample, _ := writeSample(t)
	c, err = Read(bytes.NewReader(sample), Options{StreamEnds: true})
	if err != nil {
		t.Fatal(err)
	}
	// The handshake (3), the bare acknowledgements and both FINs carry no
	// data; the End records they complete do not make them used.
	if c.Skips.NoPayload == 0 || c.Skips.NoPayload != c.Skipped {
		t.Errorf("sample skips %+v", c.Skips)
	}
}

// TestReaderMemoryFollowsOpenStreams reads a capture of many short TCP
// connections one record at a time: what the reader holds must not grow with
// the number of connections already closed.
func TestReaderMemoryFollowsOpenStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a capture of several megabytes")
	}
	path := filepath.Join(t.TempDir(), "many.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	w, err := NewWriter(bw, DefaultEpoch)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Duration(0)
	const conns = 4000
	for i := range conns {
		src := netip.AddrPortFrom(callerSig.Addr(), uint16(20000+i))
		s, err := w.OpenTCP(at, src, gkSig)
		if err != nil {
			t.Fatal(err)
		}
		for range 4 {
			at += time.Millisecond
			if err := s.Write(at, true, message(400, 0xab)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Close(at); err != nil {
			t.Fatal(err)
		}
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	r, err := NewReader(f, Options{Framer: lengthFramer, StreamEnds: true})
	if err != nil {
		t.Fatal(err)
	}
	peak, n := uint64(0), 0
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if rec.Err != nil {
			t.Fatal(rec.Err)
		}
		if n++; n%2000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	if len(r.tcp.order) > 200 {
		t.Errorf("the tracker still holds %d directions of %d closed connections", len(r.tcp.order), conns)
	}
	// The assembler's pools cost a few megabytes up front; beyond that
	// the reader holds one packet and the connections open at a time.
	grown := peak - min(peak, base)
	t.Logf("heap grew by %d bytes at most reading a %d-byte capture of %d connections", grown, size, conns)
	if limit := uint64(4 << 20); grown > limit || uint64(size) < 2*limit {
		t.Errorf("heap grew by %d bytes reading a %d-byte capture (limit %d)", grown, size, limit)
	}
}
