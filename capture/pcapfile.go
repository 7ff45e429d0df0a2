package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// This file connects the reader and writer to gopacket's pcapgo, which owns
// the file formats (classic pcap and pcapng). What stays here is what pcapgo
// leaves to its caller: telling a capture from any other file before handing
// it over, keeping timestamps reproducible on the way out, and giving every
// frame its link type on the way in.

// Magic numbers at the start of the file formats (as read little-endian).
const (
	pcapMicro = 0xa1b2c3d4
	pcapNano  = 0xa1b23c4d
	pcapngSHB = 0x0a0d0d0a
)

// rawPacket is one frame as stored in the file.
type rawPacket struct {
	data     []byte
	at       time.Time
	origLen  int
	linkType layers.LinkType
}

// newFileWriter writes the header of a classic pcap file with nanosecond
// timestamps and returns the writer for its packets.
func newFileWriter(w io.Writer, snaplen uint32, linkType layers.LinkType) (*pcapgo.Writer, error) {
	pw := pcapgo.NewWriterNanos(w)
	if err := pw.WriteFileHeader(snaplen, linkType); err != nil {
		return nil, err
	}
	return pw, nil
}

// writeFrame writes one frame captured whole at the given time. pcapgo
// stamps a zero time with the wall clock; the range check here rules that
// out (the zero time is before 1970), so the file depends on its inputs only.
func writeFrame(pw *pcapgo.Writer, at time.Time, frame []byte) error {
	if secs := at.Unix(); secs < 0 || secs > math.MaxUint32 {
		return fmt.Errorf("timestamp %v cannot be stored in a pcap file", at)
	}
	return pw.WritePacket(gopacket.CaptureInfo{Timestamp: at, CaptureLength: len(frame), Length: len(frame)}, frame)
}

// packetReader yields the frames of a capture file; io.EOF ends it. Any
// other error means the file's framing is lost and nothing after it can be
// trusted.
type packetReader struct {
	format string // "pcap" or "pcapng", to say where an error comes from
	next   func() (rawPacket, error)
}

// newPacketReader detects the format by its magic number, so that a file
// that is no capture at all is told apart (ErrNotCapture) from a capture
// whose header is damaged.
func newPacketReader(r io.Reader) (*packetReader, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(4)
	if err != nil {
		return nil, fmt.Errorf("%w (only %d bytes)", ErrNotCapture, len(head))
	}
	le, be := binary.LittleEndian.Uint32(head), binary.BigEndian.Uint32(head)
	switch {
	case le == pcapMicro || le == pcapNano || be == pcapMicro || be == pcapNano:
		return newClassicReader(br)
	case le == pcapngSHB:
		return newNgReader(br)
	}
	return nil, fmt.Errorf("%w (starts with % x)", ErrNotCapture, head)
}

func newClassicReader(r io.Reader) (*packetReader, error) {
	pr, err := pcapgo.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("pcap header: %w", noEOF(err))
	}
	linkType := pr.LinkType()
	return &packetReader{format: "pcap", next: func() (rawPacket, error) {
		data, ci, err := pr.ReadPacketData()
		if err == io.EOF && ci.CaptureLength > 0 {
			// The record header was read but none of its data: the file
			// is cut, it did not end cleanly.
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return rawPacket{}, err
		}
		return rawPacket{data: data, at: ci.Timestamp, origLen: ci.Length, linkType: linkType}, nil
	}}, nil
}

func newNgReader(r io.Reader) (*packetReader, error) {
	// Mixed link types: a pcapng file may declare interfaces of different
	// kinds, and every packet is decoded by its own interface's type.
	nr, err := pcapgo.NewNgReader(r, pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		return nil, fmt.Errorf("pcapng header: %w", noEOF(err))
	}
	return &packetReader{format: "pcapng", next: func() (rawPacket, error) {
		data, ci, err := nr.ReadPacketData()
		if err != nil {
			return rawPacket{}, err
		}
		p := rawPacket{data: data, at: ci.Timestamp, origLen: ci.Length}
		if len(ci.AncillaryData) > 0 {
			lt, ok := ci.AncillaryData[0].(layers.LinkType)
			if !ok {
				return rawPacket{}, errors.New("packet without a link type")
			}
			p.linkType = lt
		}
		return p, nil
	}}, nil
}

// noEOF turns a bare EOF inside a structure into ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
