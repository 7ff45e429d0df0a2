package q931

import (
	"errors"
	"fmt"
	"io"
)

// TPKT (RFC 1006) framing: version 3, a reserved octet 0, and a 16-bit
// length that counts the 4-octet header. H.225.0 allows an empty TPKT
// (length 4) as a keep-alive; it is framed and reassembled like any other
// (an empty, non-nil payload).
const (
	TPKTVersion      = 3
	TPKTHeaderLength = 4
	// MaxTPKTLength is the largest length field value, header included.
	MaxTPKTLength = 0xffff
)

// TPKT errors. Header errors arrive wrapped in a *TPKTError.
var (
	ErrTPKTVersion = errors.New("tpkt: version is not 3")
	// ErrTPKTReserved: RFC 1006 fixes the second octet at 0; anything else
	// almost always means the stream is out of step.
	ErrTPKTReserved = errors.New("tpkt: reserved octet is not 0")
	ErrTPKTShort    = errors.New("tpkt: length is smaller than the 4-octet header")
	ErrTPKTTooLong  = errors.New("tpkt: length exceeds the configured maximum")
	ErrTPKTPayload  = errors.New("tpkt: payload longer than 65531 octets")
	ErrTPKTTruncate = errors.New("tpkt: stream ended inside a frame")
)

// TPKTError describes a bad header and where it was in the stream.
type TPKTError struct {
	Err    error // ErrTPKTVersion, ErrTPKTShort or ErrTPKTTooLong
	Offset int64 // stream offset of the header's first octet
	Header [4]byte
	Length int // the header's length field
}

func (e *TPKTError) Error() string {
	return fmt.Sprintf("%v (header % x at stream offset %d, length %d)", e.Err, e.Header[:], e.Offset, e.Length)
}

func (e *TPKTError) Unwrap() error { return e.Err }

// Frame returns payload in a TPKT frame.
func Frame(payload []byte) ([]byte, error) {
	return AppendFrame(make([]byte, 0, TPKTHeaderLength+len(payload)), payload)
}

// AppendFrame appends payload in a TPKT frame to dst.
func AppendFrame(dst, payload []byte) ([]byte, error) {
	n := TPKTHeaderLength + len(payload)
	if n > MaxTPKTLength {
		return dst, fmt.Errorf("%w: %d", ErrTPKTPayload, len(payload))
	}
	dst = append(dst, TPKTVersion, 0, byte(n>>8), byte(n))
	return append(dst, payload...), nil
}

// Reassembler splits a TCP byte stream into TPKT payloads. It does no I/O:
// Feed it whatever a read returned, then call Next until it reports no
// complete frame. Messages split across reads and several messages in one
// read are both handled.
//
// Errors: a bad header (version, reserved octet, length below 4, length
// above MaxLength)
// stops the reassembler; Next keeps returning the same *TPKTError, with the
// stream positioned at the bad header, until Resync is called. Resync skips
// a too-long frame whole (its length is trustworthy when the version is
// right, so the stream stays in step without buffering it), and otherwise
// discards octets until the next plausible header (03 00 with an acceptable
// length). Whether to resynchronise or drop the connection is the caller's
// choice; H.225.0 endpoints normally drop it.
type Reassembler struct {
	// MaxLength bounds the length field (header included); 0 means
	// MaxTPKTLength. The reassembler never buffers more than one frame of
	// this size plus whatever the caller feeds before calling Next.
	MaxLength int

	buf    []byte
	start  int   // first unconsumed octet in buf
	offset int64 // stream offset of buf[start]
	skip   int   // octets of a too-long frame still to discard
	err    *TPKTError
}

func (r *Reassembler) maxLength() int {
	if r.MaxLength <= 0 || r.MaxLength > MaxTPKTLength {
		return MaxTPKTLength
	}
	return r.MaxLength
}

// Feed appends stream octets. It invalidates payloads returned by Next
// earlier.
func (r *Reassembler) Feed(b []byte) {
	if r.skip > 0 {
		n := min(r.skip, len(b))
		r.skip -= n
		r.offset += int64(n)
		b = b[n:]
	}
	if r.start > 0 {
		// Compact before growing so the buffer stays near one frame.
		r.buf = r.buf[:copy(r.buf, r.buf[r.start:])]
		r.start = 0
	}
	r.buf = append(r.buf, b...)
}

// Buffered is the number of octets fed but not yet returned as frames.
func (r *Reassembler) Buffered() int { return len(r.buf) - r.start }

// Offset is the stream offset of the next unconsumed octet.
func (r *Reassembler) Offset() int64 { return r.offset }

// Next returns the next complete payload. ok is false when more input is
// needed. The payload aliases the internal buffer and stays valid until the
// next Feed.
func (r *Reassembler) Next() (payload []byte, ok bool, err error) {
	if r.err != nil {
		return nil, false, r.err
	}
	pending := r.buf[r.start:]
	if len(pending) < TPKTHeaderLength {
		return nil, false, nil
	}
	length, herr := r.checkHeader(pending)
	if herr != nil {
		r.err = herr
		return nil, false, herr
	}
	if len(pending) < length {
		return nil, false, nil
	}
	r.start += length
	r.offset += int64(length)
	return pending[TPKTHeaderLength:length:length], true, nil
}

func (r *Reassembler) checkHeader(h []byte) (int, *TPKTError) {
	length := int(h[2])<<8 | int(h[3])
	var err error
	switch {
	case h[0] != TPKTVersion:
		err = ErrTPKTVersion
	case h[1] != 0:
		err = ErrTPKTReserved
	case length < TPKTHeaderLength:
		err = ErrTPKTShort
	case length > r.maxLength():
		err = ErrTPKTTooLong
	default:
		return length, nil
	}
	return 0, &TPKTError{Err: err, Offset: r.offset, Header: [4]byte(h[:4]), Length: length}
}

// Err returns the sticky header error, if any.
func (r *Reassembler) Err() error {
	if r.err == nil {
		return nil
	}
	return r.err
}

// Resync clears a header error and moves past the bad data (see
// Reassembler). It does nothing when there is no error.
func (r *Reassembler) Resync() {
	if r.err == nil {
		return
	}
	e := r.err
	r.err = nil
	if errors.Is(e, ErrTPKTTooLong) {
		n := min(e.Length, r.Buffered())
		r.start += n
		r.offset += int64(n)
		r.skip = e.Length - n
		return
	}
	// Drop the bad header's first octet, then everything up to a plausible
	// header. A partial candidate at the end stays buffered.
	r.start++
	r.offset++
	for {
		pending := r.buf[r.start:]
		if len(pending) == 0 || pending[0] == TPKTVersion && (len(pending) < 2 || pending[1] == 0) {
			if len(pending) < TPKTHeaderLength {
				return
			}
			if _, bad := r.checkHeader(pending); bad == nil {
				return
			}
		}
		r.start++
		r.offset++
	}
}

// Reader reads TPKT payloads from an io.Reader, such as a TCP connection.
type Reader struct {
	src   io.Reader
	r     Reassembler
	chunk []byte
}

// NewReader returns a Reader with frames bounded by maxLength (0 means
// MaxTPKTLength).
func NewReader(src io.Reader, maxLength int) *Reader {
	return &Reader{src: src, r: Reassembler{MaxLength: maxLength}, chunk: make([]byte, 4096)}
}

// ReadMessage returns the next payload. It is valid until the next call.
// At a clean end of stream it returns io.EOF; inside a frame,
// io.ErrUnexpectedEOF wrapped with ErrTPKTTruncate. Header errors are
// sticky, as in Reassembler; call Resync to continue past them.
func (rd *Reader) ReadMessage() ([]byte, error) {
	for {
		payload, ok, err := rd.r.Next()
		if err != nil {
			return nil, err
		}
		if ok {
			return payload, nil
		}
		n, readErr := rd.src.Read(rd.chunk)
		if n > 0 {
			rd.r.Feed(rd.chunk[:n])
		}
		if readErr != nil {
			if n > 0 {
				continue // deliver what was read before reporting the error
			}
			if readErr == io.EOF {
				if rd.r.Buffered() > 0 || rd.r.skip > 0 {
					return nil, fmt.Errorf("%w: %w", ErrTPKTTruncate, io.ErrUnexpectedEOF)
				}
				return nil, io.EOF
			}
			return nil, readErr
		}
	}
}

// Resync continues past a header error (see Reassembler.Resync).
func (rd *Reader) Resync() { rd.r.Resync() }
