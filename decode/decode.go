package decode

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"github.com/callwake/callwake/asn1per"
	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/h323/q931"
)

// Well-known H.225.0 ports: RAS on UDP, call signalling on TCP.
const (
	RASPort        = 1719
	SignallingPort = 1720
)

// Protocols of a Message.
const (
	ProtocolRAS  = "RAS"
	ProtocolQ931 = "Q.931"
)

// Transports of a Message: how the message travelled.
const (
	TransportUDP = "UDP"
	TransportTCP = "TCP"
	// TransportH46017 is RAS carried inside a Q.931 Facility on a
	// call-signalling connection (H.460.17).
	TransportH46017 = "H.460.17"
)

// Options adjusts decoding.
type Options struct {
	// Verify re-encodes every decoded message and reports those whose bytes
	// differ from the capture's.
	Verify bool
}

// Message is one protocol message found in a capture, or one packet that
// should have carried one and did not decode. Its JSON form is the
// machine-readable output of the decode command; the field order is fixed.
type Message struct {
	// Packet is the 1-based number of the packet that carried (or, for a
	// message split over TCP segments, completed) the message.
	Packet      int       `json:"packet"`
	Time        time.Time `json:"time"`
	Source      string    `json:"source,omitempty"`
	Destination string    `json:"destination,omitempty"`
	Protocol    string    `json:"protocol,omitempty"`
	// Transport is UDP, TCP or H.460.17 (RAS inside a call-signalling
	// connection); empty for a packet that could not be placed.
	Transport string `json:"transport,omitempty"`
	// Type is the RAS alternative (registrationRequest) or the Q.931
	// message type (setup).
	Type string `json:"type,omitempty"`
	// Body is the H.225.0 message body of a Q.931 message (setup).
	Body   string `json:"body,omitempty"`
	Fields Fields `json:"fields"`
	// Error says why the packet did not decode; the other fields are filled
	// as far as they are known.
	Error string `json:"error,omitempty"`
	// Verified is true when verification re-encoded the message to the
	// same bytes; Mismatch describes the difference when it did not.
	Verified bool   `json:"verified,omitempty"`
	Mismatch string `json:"mismatch,omitempty"`

	// report marks a report about a packet or a stream that carried no
	// whole message (a gap, a reset inside a message, a packet that could
	// not be placed): a failure, but not a message found.
	report bool
}

// Failed reports whether the message did not decode or did not verify.
func (m Message) Failed() bool { return m.Error != "" || m.Mismatch != "" }

// Summary is what the whole capture yielded besides its messages.
type Summary struct {
	// Packets is the number of packets in the capture.
	Packets int `json:"packets"`
	// Every message is counted in exactly one of Decoded and Failed:
	// Decoded counts the messages that decoded (and, when verified,
	// re-encoded to the same bytes); Failed those that did not decode or
	// did not verify, and the reports of packets or streams that should
	// have carried a message.
	Decoded int `json:"decoded"`
	Failed  int `json:"failed"`
	// Verified is true when the messages were verified.
	Verified bool `json:"verified"`
	// Found counts the H.225.0 messages per transport (decoded or not).
	Found Found `json:"found"`
	// Skipped counts the packets that carried no H.225.0 message
	// (Skips.Total()); Skips says why.
	Skipped int   `json:"skipped"`
	Skips   Skips `json:"skips"`
	// LinkTypes are the link types the file declares (File and Stream fill
	// them in when packets were skipped, so that an unsupported one can be
	// named).
	LinkTypes []int `json:"linkTypes,omitempty"`
	// Endpoints are the H.323 endpoints that described themselves (vendor,
	// product, version), in the order they first did.
	Endpoints []Endpoint `json:"endpoints,omitempty"`
}

// Found counts messages by how they travelled.
type Found struct {
	RASOverUDP        int `json:"rasOverUDP"`
	RASOverH46017     int `json:"rasOverH46017"`
	SignallingOverTCP int `json:"signallingOverTCP"`
	// H245Tunnelled counts the H.245 messages inside call-signalling
	// messages (h245Control), which are not H.225.0 messages themselves.
	H245Tunnelled int `json:"h245Tunnelled"`
	// TPKTKeepAlives counts empty TPKT frames on call-signalling streams
	// (H.225.0's keep-alive): no message, but not other traffic either.
	TPKTKeepAlives int `json:"tpktKeepAlives"`
}

// H225 is the number of H.225.0 messages: RAS (over UDP or tunnelled) and
// call signalling.
func (f Found) H225() int { return f.RASOverUDP + f.RASOverH46017 + f.SignallingOverTCP }

// Skips counts packets without an H.225.0 message, by cause.
type Skips struct {
	capture.Skips
	// OtherUDP: datagrams on ports neither side uses for RAS.
	OtherUDP int `json:"otherUDP,omitempty"`
	// OtherTCP: segments of TCP streams that carry no H.225.0 (not on a
	// call-signalling port, not TPKT with Q.931 in it).
	OtherTCP int `json:"otherTCP,omitempty"`
}

// Total is the number of packets skipped for any cause.
func (s Skips) Total() int { return s.Skips.Total() + s.OtherUDP + s.OtherTCP }

// Result is a whole capture decoded: its messages and its summary.
type Result struct {
	Messages []Message `json:"messages"`
	Summary
}

// OK reports whether every message decoded (and, when verified, verified)
// and, in a capture that holds packets, at least one was found. An empty
// capture is OK: there is nothing in it to get wrong.
func (s Summary) OK() bool { return s.Failed == 0 && !s.NothingFound() }

// NothingFound reports a capture that holds packets none of which carried
// an H.225.0 message or a broken packet on an H.225.0 port: most likely
// the wrong file, or a link type the reader does not support.
func (s Summary) NothingFound() bool { return s.Packets > 0 && s.Decoded+s.Failed == 0 }

// Decoder turns the records of a capture into messages as they come, and
// keeps what later records need: the addresses learnt from the messages so
// far, and per open TCP direction its framing state (see the package
// documentation for the bounds).
type Decoder struct {
	opts Options
	emit func(Message) error
	err  error
	sum  Summary

	learnt learnt
	tcp    tcpState
	// endpoints indexes Summary.Endpoints by address.
	endpoints map[string]int
}

// NewDecoder returns a Decoder that passes every message to emit, in the
// order found. An error from emit stops decoding: Record and Finish return
// it.
func NewDecoder(opts Options, emit func(Message) error) *Decoder {
	d := &Decoder{opts: opts, emit: emit, endpoints: map[string]int{}}
	d.sum.Verified = opts.Verify
	d.tcp.init()
	return d
}

// Record decodes one record of a capture read without a Framer (and, for
// bounded memory, with capture.Options.StreamEnds).
func (d *Decoder) Record(rec capture.Record) error {
	if d.err != nil {
		return d.err
	}
	switch {
	case rec.Transport == capture.TransportUDP:
		d.udp(rec)
	case rec.Transport == capture.TransportTCP:
		d.tcpRecord(rec)
	case rec.Err != nil:
		// A packet that could not be placed on a port: report it, it may
		// have been ours.
		d.add(Message{Packet: rec.Index, Time: rec.At, Error: rec.Err.Error(), report: true})
	}
	return d.err
}

// Finish reports what the end of the capture leaves incomplete and returns
// the summary; packets and skips are the capture reader's counts.
func (d *Decoder) Finish(packets int, skips capture.Skips) (Summary, error) {
	if d.err == nil {
		d.tcp.finish(d)
	}
	d.sum.Packets = packets
	d.sum.Skips.Skips = skips
	d.sum.Skipped = d.sum.Skips.Total()
	return d.sum, d.err
}

// add counts a message in exactly one bucket and passes it on.
func (d *Decoder) add(m Message) {
	if d.err != nil {
		return
	}
	if m.Failed() {
		d.sum.Failed++
	} else {
		d.sum.Decoded++
	}
	if !m.report {
		switch m.Transport {
		case TransportUDP:
			d.sum.Found.RASOverUDP++
		case TransportH46017:
			d.sum.Found.RASOverH46017++
		case TransportTCP:
			d.sum.Found.SignallingOverTCP++
		}
	}
	d.sum.Found.H245Tunnelled += len(m.Fields.H245)
	d.noteEndpoint(&m)
	d.err = d.emit(m)
}

// Stream reads and decodes the capture at path one record at a time,
// passing each message to emit as it is found: memory follows the open TCP
// streams, not the size of the file. The error is for a file that cannot be
// read or is not a capture (errors.Is(err, capture.ErrNotCapture)), or
// emit's; problems inside the capture are messages.
func Stream(path string, opts Options, emit func(Message) error) (Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return Summary{}, fmt.Errorf("capture: %w", err)
	}
	defer f.Close()
	r, err := capture.NewReader(f, capture.Options{StreamEnds: true})
	if err != nil {
		return Summary{}, fmt.Errorf("%s: %w", path, err)
	}
	d := NewDecoder(opts, emit)
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err := d.Record(rec); err != nil {
			return Summary{}, err
		}
	}
	sum, err := d.Finish(r.Packets(), r.Skips())
	if err != nil {
		return Summary{}, err
	}
	if sum.Skipped > 0 {
		// The reader only counts skipped packets; the file's link types
		// are what can tell "unsupported link type" from "other traffic".
		if sum.LinkTypes, err = fileLinkTypes(path); err != nil {
			return Summary{}, err
		}
	}
	return sum, nil
}

// File reads and decodes the capture at path and returns every message:
// for a capture of any size, Stream.
func File(path string, opts Options) (Result, error) {
	res := Result{Messages: []Message{}}
	sum, err := Stream(path, opts, func(m Message) error {
		res.Messages = append(res.Messages, m)
		return nil
	})
	res.Summary = sum
	return res, err
}

// Decode decodes a capture already read (without a Framer) and returns
// every message. It does no I/O.
func Decode(c *capture.Capture, opts Options) Result {
	res := Result{Messages: []Message{}}
	d := NewDecoder(opts, func(m Message) error {
		res.Messages = append(res.Messages, m)
		return nil
	})
	for _, rec := range c.Records {
		_ = d.Record(rec) // emit never fails here
	}
	res.Summary, _ = d.Finish(c.Packets, c.Skips)
	return res
}

// udp decodes a datagram on a RAS port (1719 on either side, or an address
// a message announced for RAS); others are other traffic.
func (d *Decoder) udp(rec capture.Record) {
	if !d.learnt.isRAS(rec.Src) && !d.learnt.isRAS(rec.Dst) {
		d.sum.Skips.OtherUDP++
		return
	}
	m := Message{Packet: rec.Index, Time: rec.At, Source: rec.Src.String(), Destination: rec.Dst.String(),
		Protocol: ProtocolRAS, Transport: TransportUDP}
	if rec.Err != nil {
		m.Error = rec.Err.Error()
		d.add(m)
		return
	}
	d.ras(m, rec.Payload)
}

// ras decodes one RAS message, learns the addresses it announces and
// passes it on.
func (d *Decoder) ras(m Message, payload []byte) {
	msg := decodeRAS(&m, payload, d.opts.Verify)
	d.add(m)
	if msg != nil {
		// After the message itself: what a second look finds comes
		// after what made it possible.
		d.learnRAS(msg)
	}
}

// decodeRAS decodes a RAS message into m and returns it (nil when it did
// not decode).
func decodeRAS(m *Message, payload []byte, verify bool) *h225.RasMessage {
	msg, err := h225.UnmarshalRasMessage(payload)
	if err != nil {
		m.Error = fmt.Sprintf("RAS: %v", err)
		return nil
	}
	m.Type = alternativeName(msg.Choice, msg.Raw)
	m.Fields = rasFields(msg)
	if verify {
		again, err := msg.Marshal()
		m.Verified, m.Mismatch = compare(payload, again, err)
	}
	return msg
}

// signalling decodes one Q.931 message (a TPKT payload) and, for an
// H.460.17 carrier, the RAS messages inside it.
func (d *Decoder) signalling(m Message, payload []byte) {
	info := decodeSignalling(&m, payload, d.opts.Verify)
	var tunnelled [][]byte
	if info != nil && h323.IsRASTunnel(payload) {
		// A Facility on the dummy call reference: an H.460.17 carrier
		// when its generic data says so (ErrNotTunnel otherwise).
		tunnelled, _ = h323.DecodeRASTunnel(payload)
		m.Fields.TunnelledRAS = len(tunnelled)
	}
	d.add(m)
	if info != nil {
		d.learnSignalling(info)
	}
	for _, ras := range tunnelled {
		d.ras(Message{Packet: m.Packet, Time: m.Time, Source: m.Source, Destination: m.Destination,
			Protocol: ProtocolRAS, Transport: TransportH46017}, ras)
	}
}

// decodeSignalling decodes a Q.931 message and its H.225.0 body into m and
// returns the body (nil without one or when it did not decode).
func decodeSignalling(m *Message, payload []byte, verify bool) *h225.H323UserInformation {
	msg, err := q931.Decode(payload)
	if err != nil {
		m.Error = fmt.Sprintf("Q.931: %v", err)
		return nil
	}
	m.Type = msg.Type.String()
	m.Fields = q931Fields(&msg)
	var body *h225.H323UserInformation
	var per []byte
	uu, err := msg.UserUser()
	switch {
	case errors.Is(err, q931.ErrAbsent):
		// Release Complete, Status and others may come without one.
	case err != nil:
		m.Error = fmt.Sprintf("Q.931 user-user: %v", err)
		return nil
	case uu.ProtocolDiscriminator != q931.UserUserX208:
		m.Error = fmt.Sprintf("Q.931 user-user: protocol discriminator %d, H.225.0 needs %d", uu.ProtocolDiscriminator, q931.UserUserX208)
		return nil
	default:
		per = uu.Data
		if body, err = h225.UnmarshalH323UserInformation(per); err != nil {
			m.Error = fmt.Sprintf("H323-UserInformation: %v", err)
			return nil
		}
		pdu := &body.H323UuPdu
		m.Body = alternativeName(pdu.H323MessageBody.Choice, pdu.H323MessageBody.Raw)
		uuFields(&m.Fields, pdu)
	}
	if !verify {
		return body
	}
	again, err := msg.Encode()
	if ok, mismatch := compare(payload, again, err); !ok {
		m.Mismatch = "Q.931: " + mismatch
		return body
	}
	if body != nil {
		again, err := body.Marshal()
		if ok, mismatch := compare(per, again, err); !ok {
			m.Mismatch = "H323-UserInformation: " + mismatch
			return body
		}
	}
	m.Verified = true
	return body
}

// compare says whether a re-encoding gave the original bytes, and if not,
// where they first differ.
func compare(orig, again []byte, err error) (bool, string) {
	if err != nil {
		return false, fmt.Sprintf("re-encoding failed: %v", err)
	}
	if bytes.Equal(orig, again) {
		return true, ""
	}
	i := 0
	for i < len(orig) && i < len(again) && orig[i] == again[i] {
		i++
	}
	return false, fmt.Sprintf("re-encoding differs at octet %d (%d octets, re-encoded %d): capture %s, re-encoded %s",
		i, len(orig), len(again), excerpt(orig, i), excerpt(again, i))
}

func excerpt(b []byte, at int) string {
	end := min(len(b), at+8)
	if at >= end {
		return "(end)"
	}
	return hex.EncodeToString(b[at:end])
}

// alternativeName names a CHOICE alternative by its ASN.1 name; one this
// version of the ASN.1 modules does not know (an extension addition kept as
// raw bytes) is shown by its extension index, which is what identifies it on
// the wire.
func alternativeName[C fmt.Stringer](choice C, raw *asn1per.RawExtension) string {
	if raw != nil {
		return fmt.Sprintf("extension(#%d)", raw.Index)
	}
	return choice.String()
}

// GUID formats a call or conference identifier the usual way
// (8-4-4-4-12 hexadecimal digits, octets in wire order).
func GUID(g []byte) string {
	if len(g) != 16 {
		return hex.EncodeToString(g)
	}
	h := hex.EncodeToString(g)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// addrOf returns the IP address and port of a TransportAddress.
func addrOf(t *h225.TransportAddress) (netip.AddrPort, bool) {
	switch t.Choice {
	case h225.TransportAddressIpAddress:
		if a, ok := netip.AddrFromSlice(t.IpAddress.Ip); ok {
			return netip.AddrPortFrom(a, uint16(t.IpAddress.Port)), true
		}
	case h225.TransportAddressIp6Address:
		if a, ok := netip.AddrFromSlice(t.Ip6Address.Ip); ok {
			return netip.AddrPortFrom(a, uint16(t.Ip6Address.Port)), true
		}
	}
	return netip.AddrPort{}, false
}

// transport formats a TransportAddress; other kinds than IP give their
// alternative's name.
func transport(t *h225.TransportAddress) string {
	if a, ok := addrOf(t); ok {
		return a.String()
	}
	return fmt.Sprintf("transport(%d)", t.Choice)
}

func transports(ts []h225.TransportAddress) []string {
	var out []string
	for i := range ts {
		out = append(out, transport(&ts[i]))
	}
	return out
}
