package control

import (
	"fmt"
	"net/netip"

	"github.com/callwake/callwake/asn1per"
	"github.com/callwake/callwake/h323/h245"
)

// ProtocolIdentifier is the H.245 version the peer announces in its capability set,
// {itu-t(0) recommendation(0) h(8) 245 version(0) 15}: the version of the module the codec is
// generated from, the one H.225.0 version 7 refers to.
func ProtocolIdentifier() asn1per.ObjectIdentifier {
	return asn1per.ObjectIdentifier{0, 0, 8, 245, 0, 15}
}

// send encodes m into a Send effect named for its inner alternative, or a Failure when it
// cannot be encoded (a bug, not an input: every message here is built from checked values).
func send(m *h245.MultimediaSystemControlMessage) Effect {
	b, err := m.Marshal()
	if err != nil {
		return Failure{Err: fmt.Errorf("control: encoding %s: %w", MessageName(m), err)}
	}
	name := MessageName(m)
	return Send{Message: b, Name: name, Event: EventName(name)}
}

// MessageName is the ASN.1 name of the request, response, command or indication m carries
// ("terminalCapabilitySet"), or of m's own alternative when that is unknown.
func MessageName(m *h245.MultimediaSystemControlMessage) string {
	var name string
	switch m.Choice {
	case h245.MultimediaSystemControlMessageRequest:
		name = m.Request.Choice.String()
	case h245.MultimediaSystemControlMessageResponse:
		name = m.Response.Choice.String()
	case h245.MultimediaSystemControlMessageCommand:
		name = m.Command.Choice.String()
	case h245.MultimediaSystemControlMessageIndication:
		name = m.Indication.Choice.String()
	}
	if name == "" {
		// An unknown extension alternative, inside a known class or at the top.
		if m.Choice == 0 {
			return "unknown"
		}
		return m.Choice.String() + ".unknown"
	}
	return name
}

func request(r *h245.RequestMessage) *h245.MultimediaSystemControlMessage {
	return &h245.MultimediaSystemControlMessage{Choice: h245.MultimediaSystemControlMessageRequest, Request: r}
}

func response(r *h245.ResponseMessage) *h245.MultimediaSystemControlMessage {
	return &h245.MultimediaSystemControlMessage{Choice: h245.MultimediaSystemControlMessageResponse, Response: r}
}

func command(c *h245.CommandMessage) *h245.MultimediaSystemControlMessage {
	return &h245.MultimediaSystemControlMessage{Choice: h245.MultimediaSystemControlMessageCommand, Command: c}
}

func indication(i *h245.IndicationMessage) *h245.MultimediaSystemControlMessage {
	return &h245.MultimediaSystemControlMessage{Choice: h245.MultimediaSystemControlMessageIndication, Indication: i}
}

// notUnderstood returns a request, response or command to its sender (H.245 functionNotUnderstood).
func notUnderstood(m *h245.MultimediaSystemControlMessage) Effect {
	f := &h245.FunctionNotUnderstood{}
	switch m.Choice {
	case h245.MultimediaSystemControlMessageRequest:
		f.Choice, f.Request = h245.FunctionNotUnderstoodRequest, m.Request
	case h245.MultimediaSystemControlMessageResponse:
		f.Choice, f.Response = h245.FunctionNotUnderstoodResponse, m.Response
	default:
		f.Choice, f.Command = h245.FunctionNotUnderstoodCommand, m.Command
	}
	return send(indication(&h245.IndicationMessage{Choice: h245.IndicationMessageFunctionNotUnderstood, FunctionNotUnderstood: f}))
}

// notSupported answers octets that are no message we can read, or a message class H.245 does
// not know, with functionNotSupported and the octets.
func notSupported(cause h245.FunctionNotSupportedCauseChoice, octets []byte) Effect {
	return send(indication(&h245.IndicationMessage{Choice: h245.IndicationMessageFunctionNotSupported,
		FunctionNotSupported: &h245.FunctionNotSupported{
			Cause:            h245.FunctionNotSupportedCause{Choice: cause},
			ReturnedFunction: append([]byte(nil), octets...),
		}}))
}

// transportAddress is a unicast H.245 TransportAddress; nil for an invalid address.
func transportAddress(ap netip.AddrPort) *h245.TransportAddress {
	if !ap.IsValid() {
		return nil
	}
	u := &h245.UnicastAddress{}
	if a := ap.Addr().Unmap(); a.Is4() {
		ip := a.As4()
		u.Choice = h245.UnicastAddressIPAddress
		u.IPAddress = &h245.UnicastAddressIPAddressType{Network: ip[:], TsapIdentifier: int64(ap.Port())}
	} else {
		ip := a.As16()
		u.Choice = h245.UnicastAddressIP6Address
		u.IP6Address = &h245.UnicastAddressIP6AddressType{Network: ip[:], TsapIdentifier: int64(ap.Port())}
	}
	return &h245.TransportAddress{Choice: h245.TransportAddressUnicastAddress, UnicastAddress: u}
}

// addrPort reads a unicast IPv4 or IPv6 TransportAddress; the zero value for anything else.
func addrPort(t *h245.TransportAddress) netip.AddrPort {
	if t == nil || t.Choice != h245.TransportAddressUnicastAddress || t.UnicastAddress == nil {
		return netip.AddrPort{}
	}
	u := t.UnicastAddress
	switch {
	case u.Choice == h245.UnicastAddressIPAddress && u.IPAddress != nil:
		if ip, ok := netip.AddrFromSlice(u.IPAddress.Network); ok {
			return netip.AddrPortFrom(ip, uint16(u.IPAddress.TsapIdentifier))
		}
	case u.Choice == h245.UnicastAddressIP6Address && u.IP6Address != nil:
		if ip, ok := netip.AddrFromSlice(u.IP6Address.Network); ok {
			return netip.AddrPortFrom(ip, uint16(u.IP6Address.TsapIdentifier))
		}
	}
	return netip.AddrPort{}
}

// audioCapability is codec at frames frames a packet.
func audioCapability(c Codec, frames int) *h245.AudioCapability {
	a := &h245.AudioCapability{}
	switch c {
	case G711Alaw:
		a.Choice, a.G711Alaw64k = h245.AudioCapabilityG711Alaw64k, int64(frames)
	case G711Ulaw:
		a.Choice, a.G711Ulaw64k = h245.AudioCapabilityG711Ulaw64k, int64(frames)
	}
	return a
}

// codecOf reads a G.711 64 kbit/s audio capability: the codec and its frames a packet, or 0.
func codecOf(a *h245.AudioCapability) (Codec, int) {
	if a == nil {
		return 0, 0
	}
	switch a.Choice {
	case h245.AudioCapabilityG711Alaw64k:
		return G711Alaw, int(a.G711Alaw64k)
	case h245.AudioCapabilityG711Ulaw64k:
		return G711Ulaw, int(a.G711Ulaw64k)
	}
	return 0, 0
}
