package capture

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"time"
)

// ngBlock builds one pcapng block: type, total length, body padded to 32
// bits, total length again.
func ngBlock(order ngOrder, blockType uint32, body []byte) []byte {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	total := uint32(12 + len(body))
	b := order.AppendUint32(nil, blockType)
	b = order.AppendUint32(b, total)
	b = append(b, body...)
	return order.AppendUint32(b, total)
}

func ngSection(order ngOrder) []byte {
	body := order.AppendUint32(nil, 0x1a2b3c4d) // byte-order magic
	body = order.AppendUint16(body, 1)
	body = order.AppendUint16(body, 0)
	body = order.AppendUint64(body, ^uint64(0)) // section length unknown
	return ngBlock(order, pcapngSHB, body)
}

// ngInterfaceBlock declares an interface; tsresol 0 leaves the default
// (microseconds).
func ngInterfaceBlock(order ngOrder, linkType uint16, tsresol byte) []byte {
	body := order.AppendUint16(nil, linkType)
	body = order.AppendUint16(body, 0)
	body = order.AppendUint32(body, 0) // snaplen: unlimited
	if tsresol != 0 {
		body = order.AppendUint16(body, 9)
		body = order.AppendUint16(body, 1)
		body = append(body, tsresol, 0, 0, 0)
	}
	body = order.AppendUint32(body, 0) // opt_endofopt
	return ngBlock(order, 1, body)
}

func ngEnhancedPacket(order ngOrder, iface uint32, ts uint64, frame []byte) []byte {
	body := order.AppendUint32(nil, iface)
	body = order.AppendUint32(body, uint32(ts>>32))
	body = order.AppendUint32(body, uint32(ts))
	body = order.AppendUint32(body, uint32(len(frame)))
	body = order.AppendUint32(body, uint32(len(frame)))
	return ngBlock(order, 6, append(body, frame...))
}

func TestPCAPNG(t *testing.T) {
	payload := []byte("unregistrationRequest")
	ip := ipv4UDP(t, payload)
	eth := append(append(make([]byte, 12), 0x08, 0x00), ip...)
	at := DefaultEpoch.Add(1500 * time.Millisecond)
	for _, order := range []ngOrder{binary.LittleEndian, binary.BigEndian} {
		t.Run(order.String(), func(t *testing.T) {
			var file []byte
			file = append(file, ngSection(order)...)
			file = append(file, ngInterfaceBlock(order, 1, 0)...)          // Ethernet, µs
			file = append(file, ngInterfaceBlock(order, 101, 9)...)        // raw IP, ns
			file = append(file, ngBlock(order, 0xbad, make([]byte, 8))...) // a custom block: skipped
			file = append(file, ngEnhancedPacket(order, 0, uint64(at.UnixMicro()), eth)...)
			file = append(file, ngEnhancedPacket(order, 1, uint64(at.UnixNano()), ip)...)
			spb := order.AppendUint32(nil, uint32(len(eth)))
			file = append(file, ngBlock(order, 3, append(spb, eth...))...) // simple packet block
			file = append(file, ngEnhancedPacket(order, 7, 0, ip)...)      // undeclared interface
			file = append(file, ngEnhancedPacket(order, 1, uint64(at.UnixNano()), ip)...)

			c, err := Read(bytes.NewReader(file), Options{})
			if err != nil {
				t.Fatal(err)
			}
			// A packet on an undeclared interface leaves the reader
			// inside its block: the file's framing is lost there, so it
			// is reported and reading stops.
			if c.Packets != 3 || len(c.Records) != 4 {
				t.Fatalf("packets %d, records %+v", c.Packets, c.Records)
			}
			for i, r := range c.Records[:3] {
				if r.Err != nil || r.Index != i+1 || !bytes.Equal(r.Payload, payload) {
					t.Errorf("record %d: %+v", i, r)
				}
			}
			for i := range 2 {
				if !c.Records[i].At.Equal(at) {
					t.Errorf("record %d at %v, want %v", i, c.Records[i].At, at)
				}
			}
			if r := c.Records[3]; r.Err == nil || r.Index != 4 || !strings.Contains(r.Err.Error(), "pcapng") {
				t.Errorf("packet on an undeclared interface: %+v", r)
			}
		})
	}
}

// ngOrder is a byte order that can also append, for building blocks.
type ngOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// TestClassicPCAPVariants reads classic pcap in both byte orders and both
// timestamp resolutions, as other tools write them.
func TestClassicPCAPVariants(t *testing.T) {
	payload := []byte("admissionRequest")
	frame := append(append(make([]byte, 12), 0x08, 0x00), ipv4UDP(t, payload)...)
	at := DefaultEpoch.Add(1500 * time.Millisecond)
	tests := []struct {
		name  string
		order ngOrder
		magic uint32
		frac  uint32
	}{
		{"little-endian microseconds", binary.LittleEndian, pcapMicro, 500_000},
		{"big-endian microseconds", binary.BigEndian, pcapMicro, 500_000},
		{"little-endian nanoseconds", binary.LittleEndian, pcapNano, 500_000_000},
		{"big-endian nanoseconds", binary.BigEndian, pcapNano, 500_000_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := tt.order.AppendUint32(nil, tt.magic)
			file = tt.order.AppendUint16(file, 2)
			file = tt.order.AppendUint16(file, 4)
			file = append(file, make([]byte, 8)...) // time zone, accuracy
			file = tt.order.AppendUint32(file, 65535)
			file = tt.order.AppendUint32(file, 1) // Ethernet
			file = tt.order.AppendUint32(file, uint32(at.Unix()))
			file = tt.order.AppendUint32(file, tt.frac)
			file = tt.order.AppendUint32(file, uint32(len(frame)))
			file = tt.order.AppendUint32(file, uint32(len(frame)))
			file = append(file, frame...)
			c, err := Read(bytes.NewReader(file), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Records) != 1 || c.Records[0].Err != nil || !bytes.Equal(c.Records[0].Payload, payload) {
				t.Fatalf("records %+v", c.Records)
			}
			if !c.Records[0].At.Equal(at) {
				t.Errorf("at %v, want %v", c.Records[0].At, at)
			}
		})
	}
}
