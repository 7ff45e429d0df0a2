package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// This file holds the file formats themselves: classic pcap (write and read)
// and pcapng (read). gopacket's pcapgo would do this, but it pulls in a
// module the project does not depend on; the formats are small and fully
// specified, so they are done here with the standard library.

// Magic numbers at the start of the file formats (as read little-endian).
const (
	pcapMicro   = 0xa1b2c3d4
	pcapNano    = 0xa1b23c4d
	pcapngSHB   = 0x0a0d0d0a
	pcapngOrder = 0x1a2b3c4d
)

// maxBlock bounds one pcapng block or pcap record; it is far above any
// link-layer frame (Wireshark itself caps frames at 256 KiB).
const maxBlock = 16 << 20

// rawPacket is one frame as stored in the file.
type rawPacket struct {
	data     []byte
	at       time.Time
	origLen  int
	linkType uint32
}

// pcapWriter writes classic pcap with nanosecond timestamps.
type pcapWriter struct {
	w   io.Writer
	hdr [16]byte
}

func newPCAPWriter(w io.Writer, snaplen, linkType uint32) (*pcapWriter, error) {
	var h [24]byte
	binary.LittleEndian.PutUint32(h[0:], pcapNano)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], snaplen)
	binary.LittleEndian.PutUint32(h[20:], linkType)
	if _, err := w.Write(h[:]); err != nil {
		return nil, err
	}
	return &pcapWriter{w: w}, nil
}

func (p *pcapWriter) write(at time.Time, frame []byte) error {
	secs := at.Unix()
	if secs < 0 || secs > math.MaxUint32 {
		return fmt.Errorf("timestamp %v cannot be stored in a pcap file", at)
	}
	binary.LittleEndian.PutUint32(p.hdr[0:], uint32(secs))
	binary.LittleEndian.PutUint32(p.hdr[4:], uint32(at.Nanosecond()))
	binary.LittleEndian.PutUint32(p.hdr[8:], uint32(len(frame)))
	binary.LittleEndian.PutUint32(p.hdr[12:], uint32(len(frame)))
	if _, err := p.w.Write(p.hdr[:]); err != nil {
		return err
	}
	_, err := p.w.Write(frame)
	return err
}

// packetReader yields the frames of a capture file; io.EOF ends it.
type packetReader interface {
	next() (rawPacket, error)
}

// newPacketReader detects the format by its magic number.
func newPacketReader(r io.Reader) (packetReader, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(4)
	if err != nil {
		return nil, fmt.Errorf("%w (only %d bytes)", ErrNotCapture, len(head))
	}
	le, be := binary.LittleEndian.Uint32(head), binary.BigEndian.Uint32(head)
	switch {
	case le == pcapMicro || le == pcapNano:
		return newClassicReader(br, binary.LittleEndian)
	case be == pcapMicro || be == pcapNano:
		return newClassicReader(br, binary.BigEndian)
	case le == pcapngSHB:
		return &ngReader{r: br}, nil
	}
	return nil, fmt.Errorf("%w (starts with % x)", ErrNotCapture, head)
}

// readN reads exactly n bytes, growing the buffer only as data arrives so a
// lying length field cannot make a short input allocate much.
func readN(r io.Reader, n int) ([]byte, error) {
	if n <= 4096 {
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		return b, err
	}
	var buf bytes.Buffer
	got, err := io.CopyN(&buf, r, int64(n))
	if got < int64(n) && err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return buf.Bytes(), err
}

type classicReader struct {
	r        io.Reader
	order    binary.ByteOrder
	nanos    bool
	linkType uint32
}

func newClassicReader(r io.Reader, order binary.ByteOrder) (*classicReader, error) {
	var h [24]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, fmt.Errorf("pcap header: %w", noEOF(err))
	}
	c := &classicReader{r: r, order: order, nanos: order.Uint32(h[0:]) == pcapNano}
	if major := order.Uint16(h[4:]); major != 2 {
		return nil, fmt.Errorf("pcap header: unknown major version %d", major)
	}
	// The link type is the low 16 bits; the upper bits may carry FCS
	// information that does not concern the frames' contents here.
	c.linkType = order.Uint32(h[20:]) & 0xffff
	return c, nil
}

func (c *classicReader) next() (rawPacket, error) {
	var h [16]byte
	if _, err := io.ReadFull(c.r, h[:]); err != nil {
		if err == io.EOF {
			return rawPacket{}, io.EOF
		}
		return rawPacket{}, fmt.Errorf("record header: %w", noEOF(err))
	}
	secs, frac := c.order.Uint32(h[0:]), c.order.Uint32(h[4:])
	capLen, origLen := c.order.Uint32(h[8:]), c.order.Uint32(h[12:])
	if capLen > maxBlock {
		return rawPacket{}, fmt.Errorf("record claims %d captured bytes", capLen)
	}
	data, err := readN(c.r, int(capLen))
	if err != nil {
		return rawPacket{}, fmt.Errorf("record data: %w", noEOF(err))
	}
	nsec := int64(frac)
	if !c.nanos {
		nsec *= 1000
	}
	return rawPacket{data: data, at: time.Unix(int64(secs), nsec).UTC(), origLen: int(origLen), linkType: c.linkType}, nil
}

// noEOF turns a bare EOF inside a structure into ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// ngInterface is what a pcapng Interface Description Block says about the
// packets that refer to it.
type ngInterface struct {
	linkType uint32
	// units per second of the timestamps, and the offset in seconds.
	tsPerSecond uint64
	tsOffset    int64
}

type ngReader struct {
	r      io.Reader
	order  binary.ByteOrder
	ifaces []ngInterface
}

// pcapng block types this reader uses; all others are skipped.
const (
	ngBlockIDB = 1
	ngBlockPB  = 2 // obsolete Packet Block
	ngBlockSPB = 3
	ngBlockEPB = 6
)

func (n *ngReader) next() (rawPacket, error) {
	for {
		var h [8]byte
		if _, err := io.ReadFull(n.r, h[:]); err != nil {
			if err == io.EOF && n.order != nil {
				return rawPacket{}, io.EOF
			}
			return rawPacket{}, fmt.Errorf("pcapng block header: %w", noEOF(err))
		}
		if binary.LittleEndian.Uint32(h[0:]) == pcapngSHB {
			if err := n.sectionHeader(h); err != nil {
				return rawPacket{}, err
			}
			continue
		}
		if n.order == nil {
			return rawPacket{}, errors.New("pcapng: missing section header")
		}
		blockType, total := n.order.Uint32(h[0:]), n.order.Uint32(h[4:])
		if total < 12 || total%4 != 0 || total > maxBlock {
			return rawPacket{}, fmt.Errorf("pcapng: block of type %d has bad length %d", blockType, total)
		}
		body, err := readN(n.r, int(total)-8)
		if err != nil {
			return rawPacket{}, fmt.Errorf("pcapng block body: %w", noEOF(err))
		}
		body = body[:len(body)-4] // the trailing copy of the length
		switch blockType {
		case ngBlockIDB:
			if err := n.interfaceDescription(body); err != nil {
				return rawPacket{}, err
			}
		case ngBlockEPB, ngBlockPB:
			return n.enhancedPacket(blockType, body)
		case ngBlockSPB:
			return n.simplePacket(body)
		}
	}
}

func (n *ngReader) sectionHeader(h [8]byte) error {
	var rest [4]byte
	if _, err := io.ReadFull(n.r, rest[:]); err != nil {
		return fmt.Errorf("pcapng section header: %w", noEOF(err))
	}
	switch binary.LittleEndian.Uint32(rest[:]) {
	case pcapngOrder:
		n.order = binary.LittleEndian
	case 0x4d3c2b1a: // the magic written big-endian
		n.order = binary.BigEndian
	default:
		return fmt.Errorf("pcapng section header: bad byte-order magic % x", rest)
	}
	total := n.order.Uint32(h[4:])
	if total < 28 || total%4 != 0 || total > maxBlock {
		return fmt.Errorf("pcapng section header: bad length %d", total)
	}
	if _, err := readN(n.r, int(total)-12); err != nil {
		return fmt.Errorf("pcapng section header: %w", noEOF(err))
	}
	n.ifaces = nil // interfaces are numbered per section
	return nil
}

func (n *ngReader) interfaceDescription(body []byte) error {
	if len(body) < 8 {
		return errors.New("pcapng: short interface description")
	}
	iface := ngInterface{linkType: uint32(n.order.Uint16(body[0:])), tsPerSecond: 1_000_000}
	opts := body[8:]
	for len(opts) >= 4 {
		code, length := n.order.Uint16(opts[0:]), int(n.order.Uint16(opts[2:]))
		if code == 0 || 4+length > len(opts) {
			break
		}
		val := opts[4 : 4+length]
		switch {
		case code == 9 && length >= 1: // if_tsresol
			exp := uint64(val[0] & 0x7f)
			base := uint64(10)
			if val[0]&0x80 != 0 {
				base = 2
			}
			per := uint64(1)
			for range exp {
				if per > math.MaxUint64/base {
					return fmt.Errorf("pcapng: timestamp resolution %#x out of range", val[0])
				}
				per *= base
			}
			iface.tsPerSecond = per
		case code == 14 && length >= 8: // if_tsoffset
			iface.tsOffset = int64(n.order.Uint64(val))
		}
		// Options are padded to 32 bits; the last one's padding may be
		// missing in a damaged block.
		opts = opts[min(4+(length+3)&^3, len(opts)):]
	}
	n.ifaces = append(n.ifaces, iface)
	return nil
}

// damagedPacket is an error about one packet whose block was read whole: the
// file's framing is intact and reading can go on.
type damagedPacket struct{ err error }

func (d damagedPacket) Error() string { return d.err.Error() }
func (d damagedPacket) Unwrap() error { return d.err }

func (n *ngReader) enhancedPacket(blockType uint32, body []byte) (rawPacket, error) {
	p, err := n.parseEnhancedPacket(blockType, body)
	if err != nil {
		return rawPacket{}, damagedPacket{err}
	}
	return p, nil
}

func (n *ngReader) parseEnhancedPacket(blockType uint32, body []byte) (rawPacket, error) {
	if len(body) < 20 {
		return rawPacket{}, errors.New("pcapng: short packet block")
	}
	ifIndex := n.order.Uint32(body[0:])
	if blockType == ngBlockPB {
		ifIndex = uint32(n.order.Uint16(body[0:]))
	}
	if int(ifIndex) >= len(n.ifaces) {
		return rawPacket{}, fmt.Errorf("pcapng: packet refers to undeclared interface %d", ifIndex)
	}
	iface := n.ifaces[ifIndex]
	ts := uint64(n.order.Uint32(body[4:]))<<32 | uint64(n.order.Uint32(body[8:]))
	capLen, origLen := n.order.Uint32(body[12:]), n.order.Uint32(body[16:])
	if int64(capLen) > int64(len(body)-20) {
		return rawPacket{}, fmt.Errorf("pcapng: packet claims %d bytes in a %d-byte block", capLen, len(body))
	}
	secs := int64(ts / iface.tsPerSecond)
	frac := ts % iface.tsPerSecond
	nsec := int64(float64(frac) * 1e9 / float64(iface.tsPerSecond))
	if iface.tsPerSecond <= 1e9 && 1e9%iface.tsPerSecond == 0 {
		nsec = int64(frac * (1e9 / iface.tsPerSecond)) // exact for decimal resolutions
	}
	return rawPacket{
		data:     body[20 : 20+capLen],
		at:       time.Unix(secs+iface.tsOffset, nsec).UTC(),
		origLen:  int(origLen),
		linkType: iface.linkType,
	}, nil
}

func (n *ngReader) simplePacket(body []byte) (rawPacket, error) {
	if len(n.ifaces) == 0 {
		return rawPacket{}, damagedPacket{errors.New("pcapng: simple packet block before any interface")}
	}
	if len(body) < 4 {
		return rawPacket{}, damagedPacket{errors.New("pcapng: short simple packet block")}
	}
	origLen := int(n.order.Uint32(body[0:]))
	data := body[4:]
	if origLen < len(data) {
		data = data[:origLen] // the rest is padding
	}
	return rawPacket{data: data, origLen: origLen, linkType: n.ifaces[0].linkType}, nil
}
