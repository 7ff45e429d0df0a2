package importer

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/callwake/callwake/decode"
)

// MaxMessages bounds the H.225.0 messages an import holds: a capture with
// more is refused (cut it to the ticket's minutes) rather than turned into
// a scenario nobody could read.
const MaxMessages = 100_000

// message is one decoded H.225.0 message of the capture, on the scenario's
// clock.
type message struct {
	n        int           // position in the capture
	packet   int           // the capture's packet number
	at       time.Duration // since the capture's first message
	src, dst netip.AddrPort
	ras      bool
	tunnel   bool   // RAS inside a call-signalling connection (H.460.17)
	typ      string // the RAS alternative or the Q.931 message type
	f        decode.Fields
	// from and to are the actors, once known.
	from, to *actor
	// lost: the capture shows the datagram, but the exchange says it never
	// arrived (see losses).
	lost bool
}

// captured is what an import reads of a capture file.
type captured struct {
	msgs []*message
	// start is the time of the first message: the scenario's time zero.
	start time.Time
	// failed counts the messages and reports that did not decode.
	failed int
	// endpoints are the vendors the decoder saw.
	endpoints []decode.Endpoint
}

// read decodes the capture at path and keeps the messages that decoded.
func read(path string) (*captured, error) {
	c := &captured{}
	var raw []decode.Message
	sum, err := decode.Stream(path, decode.Options{}, func(m decode.Message) error {
		if m.Failed() || m.Type == "" {
			c.failed++
			return nil
		}
		if len(raw) >= MaxMessages {
			return fmt.Errorf("the capture holds more than %d H.225.0 messages; cut it to the minutes the ticket is about", MaxMessages)
		}
		raw = append(raw, m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.endpoints = sum.Endpoints
	// Messages a second look found come late; the scenario wants them in
	// the order they happened.
	slices.SortStableFunc(raw, func(a, b decode.Message) int { return a.Time.Compare(b.Time) })
	for i, m := range raw {
		src, err1 := netip.ParseAddrPort(m.Source)
		dst, err2 := netip.ParseAddrPort(m.Destination)
		if err1 != nil || err2 != nil {
			c.failed++
			continue
		}
		if len(c.msgs) == 0 {
			c.start = m.Time
		}
		c.msgs = append(c.msgs, &message{
			n: i, packet: m.Packet, at: m.Time.Sub(c.start), src: src, dst: dst,
			ras: m.Protocol == decode.ProtocolRAS, tunnel: m.Transport == decode.TransportH46017,
			typ: m.Type, f: m.Fields,
		})
	}
	return c, nil
}

// rasEvents are the timeline names of the RAS messages ("ras." and the
// usual three-letter abbreviation), by ASN.1 alternative name.
var rasEvents = map[string]string{
	"gatekeeperRequest": "grq", "gatekeeperConfirm": "gcf", "gatekeeperReject": "grj",
	"registrationRequest": "rrq", "registrationConfirm": "rcf", "registrationReject": "rrj",
	"unregistrationRequest": "urq", "unregistrationConfirm": "ucf", "unregistrationReject": "urj",
	"admissionRequest": "arq", "admissionConfirm": "acf", "admissionReject": "arj",
	"bandwidthRequest": "brq", "bandwidthConfirm": "bcf", "bandwidthReject": "brj",
	"disengageRequest": "drq", "disengageConfirm": "dcf", "disengageReject": "drj",
	"locationRequest": "lrq", "locationConfirm": "lcf", "locationReject": "lrj",
	"infoRequest": "irq", "infoRequestResponse": "irr", "nonStandardMessage": "nsm",
	"unknownMessageResponse": "xrs", "requestInProgress": "rip", "resourcesAvailableIndicate": "rai",
	"resourcesAvailableConfirm": "rac", "infoRequestAck": "iack", "infoRequestNak": "inak",
	"serviceControlIndication": "sci", "serviceControlResponse": "scr",
}

// event is the timeline name of a message, "" for one a scenario cannot
// name (an H.460.17 carrier is its RAS message's, not an event of its own).
func (m *message) event() string {
	if m.ras {
		if e, ok := rasEvents[m.typ]; ok {
			return "ras." + e
		}
		return ""
	}
	if m.f.TunnelledRAS > 0 {
		return ""
	}
	return "q931." + m.typ
}

// is reports whether the message is a RAS message of the given kind
// ("rrq", "acf", ...).
func (m *message) is(kind string) bool { return m.ras && rasEvents[m.typ] == kind }

// q931 reports whether the message is the given Q.931 message.
func (m *message) q931(typ string) bool { return !m.ras && m.typ == typ }

// seq is the message's RAS sequence number, -1 without one.
func (m *message) seq() int64 {
	if m.f.RequestSeqNum == nil {
		return -1
	}
	return *m.f.RequestSeqNum
}

// cause is a Release Complete's cause, -1 without one.
func (m *message) cause() int {
	if m.f.Cause == nil {
		return -1
	}
	return *m.f.Cause
}
