package q931

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// tsharkPath finds tshark; without it the test skips locally and fails in CI.
func tsharkPath(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("tshark required in CI: %v", err)
		}
		t.Skip("tshark not installed")
	}
	return path
}

// tcpSegment is one direction's payload in the test conversation.
type tcpSegment struct {
	fromCaller bool
	payload    []byte
}

// writeH225Pcap writes a TCP conversation to port 1720: handshake, then each
// segment with correct sequence and acknowledgement numbers.
func writeH225Pcap(t *testing.T, path string, segments []tcpSegment) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapFileWriter{t: t, f: f}
	w.writeHeader()
	callerIP, calleeIP := net.IPv4(192, 0, 2, 10), net.IPv4(192, 0, 2, 20)
	callerMAC := net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0a}
	calleeMAC := net.HardwareAddr{0x02, 0, 0, 0, 0, 0x14}
	callerSeq, calleeSeq := uint32(1000), uint32(5000)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	write := func(fromCaller bool, syn, ack, psh bool, payload []byte) {
		srcIP, dstIP, srcMAC, dstMAC := callerIP, calleeIP, callerMAC, calleeMAC
		srcPort, dstPort := layers.TCPPort(40000), layers.TCPPort(1720)
		seq, ackNo := &callerSeq, &calleeSeq
		if !fromCaller {
			srcIP, dstIP, srcMAC, dstMAC = calleeIP, callerIP, calleeMAC, callerMAC
			srcPort, dstPort = dstPort, srcPort
			seq, ackNo = &calleeSeq, &callerSeq
		}
		eth := &layers.Ethernet{SrcMAC: srcMAC, DstMAC: dstMAC, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: srcIP, DstIP: dstIP}
		tcp := &layers.TCP{SrcPort: srcPort, DstPort: dstPort, Seq: *seq, SYN: syn, ACK: ack, PSH: psh, Window: 65535}
		if ack {
			tcp.Ack = *ackNo
		}
		if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
			t.Fatal(err)
		}
		buf := gopacket.NewSerializeBuffer()
		opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
		if err := gopacket.SerializeLayers(buf, opts, eth, ip, tcp, gopacket.Payload(payload)); err != nil {
			t.Fatal(err)
		}
		data := buf.Bytes()
		w.writePacket(at, data)
		at = at.Add(10 * time.Millisecond)
		*seq += uint32(len(payload))
		if syn {
			*seq++
		}
	}
	write(true, true, false, false, nil)
	write(false, true, true, false, nil)
	write(true, false, true, false, nil)
	for _, s := range segments {
		write(s.fromCaller, false, true, true, s.payload)
	}
}

// pcapFileWriter writes the classic pcap format. The gopacket pcapgo
// package would do, but it needs a module missing from go.sum; the format
// is two fixed little-endian headers.
type pcapFileWriter struct {
	t *testing.T
	f *os.File
}

func (w pcapFileWriter) write(b []byte) {
	if _, err := w.f.Write(b); err != nil {
		w.t.Fatal(err)
	}
}

func (w pcapFileWriter) writeHeader() {
	h := make([]byte, 24)
	binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4) // magic, microsecond timestamps
	binary.LittleEndian.PutUint16(h[4:], 2)          // version 2.4
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], 65535) // snapshot length
	binary.LittleEndian.PutUint32(h[20:], uint32(layers.LinkTypeEthernet))
	w.write(h)
}

func (w pcapFileWriter) writePacket(at time.Time, data []byte) {
	h := make([]byte, 16)
	binary.LittleEndian.PutUint32(h[0:], uint32(at.Unix()))
	binary.LittleEndian.PutUint32(h[4:], uint32(at.Nanosecond()/1000))
	binary.LittleEndian.PutUint32(h[8:], uint32(len(data)))
	binary.LittleEndian.PutUint32(h[12:], uint32(len(data)))
	w.write(h)
	w.write(data)
}

// TestTsharkDecodes checks the known-answer messages against an independent
// Q.931/H.225.0 decoder: right message types, cause values, numbers and no
// malformed-packet or error-level expert info.
func TestTsharkDecodes(t *testing.T) {
	tshark := tsharkPath(t)
	messages := []struct {
		fromCaller bool
		hex        string
	}{
		{true, hexSetup},
		{false, hexCallProceeding},
		{false, hexAlerting},
		{false, hexConnect},
		{false, hexReleaseComplete16},
		{true, hexReleaseComplete17},
		{false, hexReleaseComplete18},
		{true, hexFacilityEmpty},
	}
	var segments []tcpSegment
	for _, m := range messages {
		msg, err := Decode(fromHex(t, m.hex))
		if err != nil {
			t.Fatal(err)
		}
		encoded, err := msg.Encode()
		if err != nil {
			t.Fatal(err)
		}
		framed, err := Frame(encoded)
		if err != nil {
			t.Fatal(err)
		}
		segments = append(segments, tcpSegment{m.fromCaller, framed})
	}
	path := filepath.Join(t.TempDir(), "h225.pcap")
	writeH225Pcap(t, path, segments)

	out, err := exec.Command(tshark, "-r", path, "-Y", "q931", "-T", "fields", "-E", "separator=|",
		"-e", "q931.message_type", "-e", "q931.cause_value", "-e", "q931.calling_party_number.digits",
		"-e", "q931.called_party_number.digits", "-e", "q931.display_information",
		"-e", "h225.h323_message_body", "-e", "q931.call_ref_flag").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	want := []string{
		"5||1001|2002|Alice|0|0", // type|cause|calling|called|display|H.225 body choice|flag
		"2|||||1|1",
		"1|||||3|1",
		"7||||Bob|2|1",
		"5a|16||||5|1",
		"5a|17||||5|0",
		"5a|18||||5|0",
		"62|||||8|0", // "empty" is extension alternative 8 overall
	}
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(got) != len(want) {
		t.Fatalf("tshark decoded %d q931 packets, want %d:\n%s", len(got), len(want), out)
	}
	for i := range want {
		if normalizeFields(got[i]) != want[i] {
			t.Errorf("packet %d: tshark fields %q, want %q", i, got[i], want[i])
		}
	}

	for _, problem := range tsharkProblems(t, tshark, path) {
		t.Error(problem)
	}

	// Control: the same check must notice a broken message, here an
	// Alerting whose H.225.0 payload stops inside the protocol identifier.
	broken := fromHex(t, "08 02 80 01 01 7e 00 06 05 03 00 06 00 08")
	brokenPath := filepath.Join(t.TempDir(), "broken.pcap")
	writeH225Pcap(t, brokenPath, []tcpSegment{{false, mustFrame(t, broken)}})
	if problems := tsharkProblems(t, tshark, brokenPath); len(problems) == 0 {
		t.Error("tshark check did not flag a truncated H.225.0 payload; the check is blind")
	}
}

// tsharkProblems returns the malformed-packet and error or warning expert
// reports of tshark's full decode of path, with some context each.
func tsharkProblems(t *testing.T, tshark, path string) []string {
	t.Helper()
	verbose, err := exec.Command(tshark, "-r", path, "-V").Output()
	if err != nil {
		t.Fatalf("tshark -V: %v", err)
	}
	var problems []string
	for _, bad := range []string{"Malformed", "[Expert Info (Error", "[Expert Info (Warning"} {
		if i := bytes.Index(verbose, []byte(bad)); i >= 0 {
			lo := max(0, i-600)
			problems = append(problems, fmt.Sprintf("tshark reports %q:\n%s", bad, verbose[lo:min(len(verbose), i+200)]))
		}
	}
	return problems
}

// normalizeFields drops tshark's 0x prefixes and folds booleans so the
// expectation does not depend on the tshark version's number formatting.
func normalizeFields(line string) string {
	fields := strings.Split(line, "|")
	for i, f := range fields {
		f = strings.TrimPrefix(f, "0x")
		f = strings.TrimLeft(f, "0")
		switch {
		case f == "" && fields[i] != "":
			f = "0"
		case f == "True" || f == "true":
			f = "1"
		case f == "False" || f == "false":
			f = "0"
		}
		fields[i] = f
	}
	return strings.Join(fields, "|")
}
