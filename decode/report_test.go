package decode

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/callwake/callwake/asn1per"
	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/h323/q931"
)

// linkTypeUser0 is DLT_USER0 (147), a link type no capture reader decodes.
const linkTypeUser0 = 147

// classicPcap writes a pcap file of the given link type by hand, so that
// link types the project's writer never produces can be tested.
func classicPcap(linkType uint32, frames ...[]byte) []byte {
	var b []byte
	b = binary.LittleEndian.AppendUint32(b, 0xa1b2c3d4)
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint16(b, 4)
	b = binary.LittleEndian.AppendUint32(b, 0) // thiszone
	b = binary.LittleEndian.AppendUint32(b, 0) // sigfigs
	b = binary.LittleEndian.AppendUint32(b, 65535)
	b = binary.LittleEndian.AppendUint32(b, linkType)
	for i, f := range frames {
		b = binary.LittleEndian.AppendUint32(b, uint32(1_700_000_000+i))
		b = binary.LittleEndian.AppendUint32(b, 0)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(f)))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

// ngPcap writes a pcapng file with one interface of the given link type.
func ngPcap(t *testing.T, linkType layers.LinkType, frames ...[]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{LinkType: linkType, SnapLength: 65535}, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(int64(1_700_000_000+i), 0), CaptureLength: len(f), Length: len(f)}
		if err := w.WritePacket(ci, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestNothingDecodable: a capture whose packets the reader cannot use must
// not pass as "0 decoded, 0 failed"; an empty capture is fine and says so.
func TestNothingDecodable(t *testing.T) {
	grq := golden(t, "ras/01-grq.hex")
	tests := []struct {
		name      string
		file      []byte
		ok        bool
		skipped   int
		linkTypes []int
		want      []string // in the text output
	}{
		{
			name: "pcap with unsupported link type", file: classicPcap(linkTypeUser0, grq, grq),
			skipped: 2, linkTypes: []int{linkTypeUser0},
			want: []string{"2 packets, 0 H.225.0 messages, 0 decoded, 0 failed, 2 skipped (2 of an unsupported link type; the file's link type: 147)",
				"no H.225.0 message found (RAS on UDP 1719 or announced ports, call signalling on TCP 1720, announced ports or any TPKT stream carrying Q.931) in 2 packets: 2 skipped"},
		},
		{
			name: "pcapng with unsupported link type", file: ngPcap(t, linkTypeUser0, grq, grq, grq),
			skipped: 3, linkTypes: []int{linkTypeUser0},
			want: []string{"3 packets, 0 H.225.0 messages, 0 decoded, 0 failed, 3 skipped", "the file's link type: 147", "no H.225.0 message found"},
		},
		{
			name: "empty pcap", file: classicPcap(uint32(layers.LinkTypeEthernet)), ok: true,
			want: []string{"0 packets: the capture holds no packets, nothing to decode"},
		},
		{
			name: "empty pcapng", file: ngPcap(t, layers.LinkTypeEthernet), ok: true,
			want: []string{"0 packets: the capture holds no packets"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := File(writeTemp(t, "c.pcap", tt.file), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.OK() != tt.ok || res.Skipped != tt.skipped || !slices.Equal(res.LinkTypes, tt.linkTypes) {
				t.Errorf("OK %v skipped %d link types %v, want %v %d %v", res.OK(), res.Skipped, res.LinkTypes, tt.ok, tt.skipped, tt.linkTypes)
			}
			if res.NothingFound() == tt.ok || (res.Problem() == "") != tt.ok {
				t.Errorf("NothingFound %v Problem %q for OK %v", res.NothingFound(), res.Problem(), tt.ok)
			}
			var text bytes.Buffer
			if err := WriteText(&text, res); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(text.String(), w) {
					t.Errorf("text lacks %q:\n%s", w, text.String())
				}
			}
		})
	}
}

// TestMessageCountedOnce: a message is decoded or failed, never both.
func TestMessageCountedOnce(t *testing.T) {
	tests := []struct {
		name            string
		messages        []Message
		decoded, failed int
		summary         string
	}{
		{"all good", []Message{{Verified: true}, {Verified: true}}, 2, 0, "2 decoded, 0 failed"},
		{"mismatch is failed only", []Message{{Verified: true}, {Mismatch: "differs"}, {Mismatch: "differs"}}, 1, 2, "1 decoded, 2 failed"},
		{"error is failed only", []Message{{Error: "RAS: cut"}, {}}, 1, 1, "1 decoded, 1 failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []Message
			d := NewDecoder(Options{}, func(m Message) error { got = append(got, m); return nil })
			for _, m := range tt.messages {
				d.add(m)
			}
			sum, err := d.Finish(len(tt.messages), capture.Skips{})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Decoded != tt.decoded || sum.Failed != tt.failed || sum.Decoded+sum.Failed != len(got) {
				t.Errorf("decoded %d failed %d of %d, want %d and %d", sum.Decoded, sum.Failed, len(got), tt.decoded, tt.failed)
			}
			if sum.OK() != (tt.failed == 0) {
				t.Errorf("OK %v with %d failed", sum.OK(), tt.failed)
			}
			if s := SummaryText(sum); !strings.Contains(s, tt.summary) {
				t.Errorf("summary %q lacks %q", s, tt.summary)
			}
		})
	}
}

// TestMismatchCountedOnceInDecode runs the counting through the decoder: a
// Setup with stray octets after its H.225.0 body, carried on TCP 1720.
func TestMismatchCountedOnceInDecode(t *testing.T) {
	setup := golden(t, "q931/01-setup.hex")
	msg, err := q931.Decode(setup)
	if err != nil {
		t.Fatal(err)
	}
	last := &msg.Elements[len(msg.Elements)-1]
	last.Contents = append(append([]byte(nil), last.Contents...), 0x00, 0x00)
	padded, err := msg.Encode()
	if err != nil {
		t.Fatal(err)
	}
	d := NewDecoder(Options{Verify: true}, func(Message) error { return nil })
	d.signalling(Message{Protocol: ProtocolQ931, Transport: TransportTCP}, padded)
	sum, _ := d.Finish(1, capture.Skips{})
	if sum.Decoded+sum.Failed != 1 || sum.Failed != 1 || sum.Found.SignallingOverTCP != 1 {
		t.Errorf("one failed message counted decoded %d failed %d found %+v", sum.Decoded, sum.Failed, sum.Found)
	}
}

// TestExtensionAlternativeNamed: an alternative added in a later version of
// H.225.0 shows its extension index, not a meaningless "unknown(0)".
func TestExtensionAlternativeNamed(t *testing.T) {
	const index = 40 // beyond every extension addition this version knows
	ras := &h225.RasMessage{Raw: &asn1per.RawExtension{Index: index, Data: []byte{0x01, 0x02}}}
	rasPER, err := ras.Marshal()
	if err != nil {
		t.Fatal(err)
	}

	setup := golden(t, "q931/01-setup.hex")
	msg, err := q931.Decode(setup)
	if err != nil {
		t.Fatal(err)
	}
	uu, err := msg.UserUser()
	if err != nil {
		t.Fatal(err)
	}
	info, err := h225.UnmarshalH323UserInformation(uu.Data)
	if err != nil {
		t.Fatal(err)
	}
	info.H323UuPdu.H323MessageBody = h225.H323UUPDUH323MessageBody{Raw: &asn1per.RawExtension{Index: index, Data: []byte{0x00}}}
	bodyPER, err := info.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := msg.Set(q931.H225UserUser(bodyPER)); err != nil {
		t.Fatal(err)
	}
	signalling, err := msg.Encode()
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		decode func(*Message)
		got    func(Message) string
	}{
		{"RAS message", func(m *Message) { decodeRAS(m, rasPER, true) }, func(m Message) string { return m.Type }},
		{"H.225.0 body", func(m *Message) { decodeSignalling(m, signalling, true) }, func(m Message) string { return m.Body }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m Message
			tt.decode(&m)
			if m.Error != "" || m.Failed() {
				t.Fatalf("did not decode and verify: %+v", m)
			}
			if got, want := tt.got(m), "extension(#40)"; got != want {
				t.Errorf("named %q, want %q", got, want)
			}
		})
	}
}
