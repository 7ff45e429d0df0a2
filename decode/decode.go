package decode

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/callwake/callwake/asn1per"
	"github.com/callwake/callwake/capture"
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
}

// Failed reports whether the message did not decode or did not verify.
func (m Message) Failed() bool { return m.Error != "" || m.Mismatch != "" }

// Fields are the key fields of a message; absent ones are empty.
type Fields struct {
	RequestSeqNum *int64 `json:"requestSeqNum,omitempty"`
	// CallReference is the Q.931 call reference value.
	CallReference *uint16 `json:"callReference,omitempty"`
	// Aliases are the message's own aliases (terminal, endpoint, source or
	// connected ones), as "h323-ID:alice" or "dialledDigits:2001".
	Aliases []string `json:"aliases,omitempty"`
	// Destination are the aliases called (destinationInfo, destinationAddress).
	Destination          []string `json:"destination,omitempty"`
	CallingNumber        string   `json:"callingNumber,omitempty"`
	CalledNumber         string   `json:"calledNumber,omitempty"`
	Display              string   `json:"display,omitempty"`
	Cause                *int     `json:"cause,omitempty"`
	CallIdentifier       string   `json:"callIdentifier,omitempty"`
	EndpointIdentifier   string   `json:"endpointIdentifier,omitempty"`
	GatekeeperIdentifier string   `json:"gatekeeperIdentifier,omitempty"`
	RejectReason         string   `json:"rejectReason,omitempty"`
	// Reason is a Release Complete's H.225.0 reason.
	Reason            string   `json:"reason,omitempty"`
	TimeToLive        *int64   `json:"timeToLive,omitempty"`
	KeepAlive         bool     `json:"keepAlive,omitempty"`
	CallSignalAddress []string `json:"callSignalAddress,omitempty"`
	RASAddress        []string `json:"rasAddress,omitempty"`
}

// Result is what a capture yielded.
type Result struct {
	Messages []Message `json:"messages"`
	// Packets is the number of packets in the capture.
	Packets int `json:"packets"`
	// Every message is counted in exactly one of Decoded and Failed:
	// Decoded counts the messages that decoded (and, when verified,
	// re-encoded to the same bytes); Failed those that did not decode or
	// did not verify. Decoded+Failed == len(Messages).
	Decoded int `json:"decoded"`
	Failed  int `json:"failed"`
	// Verified is true when the result was verified.
	Verified bool `json:"verified"`
	// Skipped counts the packets the capture reader could not use: not IP,
	// not UDP or TCP, bare TCP control segments, or a link type it does not
	// support (the reader does not say which).
	Skipped int `json:"skipped"`
	// LinkTypes are the link types the file declares (File fills them in
	// when packets were skipped, so that an unsupported one can be named;
	// Decode, given no file, leaves them empty).
	LinkTypes []int `json:"linkTypes,omitempty"`
}

// OK reports whether every message decoded (and, when verified, verified)
// and, in a capture that holds packets, at least one was found. An empty
// capture is OK: there is nothing in it to get wrong.
func (r Result) OK() bool { return r.Failed == 0 && !r.NothingFound() }

// NothingFound reports a capture that holds packets none of which carried
// an H.225.0 message or a broken packet on the H.225.0 ports: most likely
// the wrong file, or a link type the reader does not support.
func (r Result) NothingFound() bool { return r.Packets > 0 && len(r.Messages) == 0 }

// add appends a message and counts it in exactly one bucket.
func (r *Result) add(m Message) {
	if m.Failed() {
		r.Failed++
	} else {
		r.Decoded++
	}
	r.Messages = append(r.Messages, m)
}

// Framer cuts a TCP stream into TPKT frames for capture.Options.Framer: it
// returns the length of the complete frame at the start of pending, 0 when
// more bytes are needed, or the TPKT header error.
func Framer(pending []byte) (int, error) {
	if len(pending) < q931.TPKTHeaderLength {
		return 0, nil
	}
	// The Q.931 package's reassembler checks the header; it is given at
	// most one maximal frame, which is all it can need.
	var r q931.Reassembler
	r.Feed(pending[:min(len(pending), q931.MaxTPKTLength)])
	payload, ok, err := r.Next()
	if err != nil || !ok {
		return 0, err
	}
	return q931.TPKTHeaderLength + len(payload), nil
}

// File reads and decodes the capture at path. The error is for a file that
// cannot be read or is not a capture (errors.Is(err, capture.ErrNotCapture));
// problems inside the capture are in the Result.
func File(path string, opts Options) (Result, error) {
	c, err := capture.ReadFile(path, capture.Options{Framer: Framer})
	if err != nil {
		return Result{}, err
	}
	res := Decode(c, opts)
	if res.Skipped > 0 {
		// The reader only counts skipped packets; the file's link types
		// are what can tell "unsupported link type" from "other traffic".
		if res.LinkTypes, err = fileLinkTypes(path); err != nil {
			return Result{}, err
		}
	}
	return res, nil
}

// Decode turns the records of a capture read with Framer into messages.
// Records on other ports are left out; a record with an error is reported
// when it concerns the H.225.0 ports or cannot be placed at all.
func Decode(c *capture.Capture, opts Options) Result {
	res := Result{Packets: c.Packets, Skipped: c.Skipped, Verified: opts.Verify, Messages: []Message{}}
	for _, rec := range c.Records {
		if !ours(rec) {
			continue
		}
		m := Message{Packet: rec.Index, Time: rec.At}
		if rec.Src.IsValid() {
			m.Source, m.Destination = rec.Src.String(), rec.Dst.String()
		}
		switch {
		case rec.Err != nil:
			m.Protocol = protocolOf(rec)
			m.Error = rec.Err.Error()
		case rec.Transport == capture.TransportUDP:
			m.Protocol = ProtocolRAS
			decodeRAS(&m, rec.Payload, opts.Verify)
		default:
			m.Protocol = ProtocolQ931
			if n, err := Framer(rec.Payload); err != nil || n != len(rec.Payload) {
				// Only a capture read without Framer gets here.
				m.Error = fmt.Sprintf("TCP data is not one whole TPKT frame (framer: %d of %d octets, %v)", n, len(rec.Payload), err)
				break
			}
			if len(rec.Payload) == q931.TPKTHeaderLength {
				continue // an empty TPKT: H.225.0's keep-alive, no message
			}
			decodeSignalling(&m, rec.Payload[q931.TPKTHeaderLength:], opts.Verify)
		}
		res.add(m)
	}
	return res
}

// ours reports whether a record belongs to H.225.0: RAS on UDP 1719, call
// signalling on TCP 1720, or an error that cannot be attributed to a port.
func ours(rec capture.Record) bool {
	onPort := func(p uint16) bool { return rec.Src.Port() == p || rec.Dst.Port() == p }
	switch rec.Transport {
	case capture.TransportUDP:
		return onPort(RASPort)
	case capture.TransportTCP:
		return onPort(SignallingPort)
	}
	return rec.Err != nil
}

func protocolOf(rec capture.Record) string {
	switch rec.Transport {
	case capture.TransportUDP:
		return ProtocolRAS
	case capture.TransportTCP:
		return ProtocolQ931
	}
	return ""
}

func decodeRAS(m *Message, payload []byte, verify bool) {
	msg, err := h225.UnmarshalRasMessage(payload)
	if err != nil {
		m.Error = fmt.Sprintf("RAS: %v", err)
		return
	}
	m.Type = alternativeName(msg.Choice, msg.Raw)
	m.Fields = rasFields(msg)
	if verify {
		again, err := msg.Marshal()
		m.Verified, m.Mismatch = compare(payload, again, err)
	}
}

func decodeSignalling(m *Message, payload []byte, verify bool) {
	msg, err := q931.Decode(payload)
	if err != nil {
		m.Error = fmt.Sprintf("Q.931: %v", err)
		return
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
		return
	case uu.ProtocolDiscriminator != q931.UserUserX208:
		m.Error = fmt.Sprintf("Q.931 user-user: protocol discriminator %d, H.225.0 needs %d", uu.ProtocolDiscriminator, q931.UserUserX208)
		return
	default:
		per = uu.Data
		if body, err = h225.UnmarshalH323UserInformation(per); err != nil {
			m.Error = fmt.Sprintf("H323-UserInformation: %v", err)
			return
		}
		mb := &body.H323UuPdu.H323MessageBody
		m.Body = alternativeName(mb.Choice, mb.Raw)
		uuFields(&m.Fields, &body.H323UuPdu.H323MessageBody)
	}
	if !verify {
		return
	}
	again, err := msg.Encode()
	if ok, mismatch := compare(payload, again, err); !ok {
		m.Mismatch = "Q.931: " + mismatch
		return
	}
	if body != nil {
		again, err := body.Marshal()
		if ok, mismatch := compare(per, again, err); !ok {
			m.Mismatch = "H323-UserInformation: " + mismatch
			return
		}
	}
	m.Verified = true
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

// transport formats a TransportAddress; other kinds than IP give their
// alternative's name.
func transport(t *h225.TransportAddress) string {
	switch t.Choice {
	case h225.TransportAddressIpAddress:
		if a, ok := netip.AddrFromSlice(t.IpAddress.Ip); ok {
			return netip.AddrPortFrom(a, uint16(t.IpAddress.Port)).String()
		}
	case h225.TransportAddressIp6Address:
		if a, ok := netip.AddrFromSlice(t.Ip6Address.Ip); ok {
			return netip.AddrPortFrom(a, uint16(t.Ip6Address.Port)).String()
		}
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
