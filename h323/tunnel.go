package h323

import (
	"errors"
	"fmt"

	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/h323/q931"
)

// H.460.17 ("Using H.225.0 call signalling connection as transport for RAS")
// carries RAS messages inside the call-signalling TCP (or TLS) connection an
// endpoint keeps open to its gatekeeper, for endpoints behind NAT. Each RAS
// message travels in its own Q.931 Facility message:
//
//   - call reference value 0 (the dummy call reference: the message belongs
//     to no call), flag 0;
//   - a User-user element whose H323-UU-PDU has the h323-message-body
//     "empty" and h245Tunnelling true, as the open-source stacks send it;
//   - H323-UU-PDU.genericData with one GenericData whose id is standard 17
//     (the H.460.17 feature) and whose parameter standard 1 has the raw
//     content: the PER-encoded RasMessage octets, unchanged.
//
// Those are the bytes the gatekeeper would otherwise receive on UDP 1719;
// the tunnel adds no fields of its own, so H.235 tokens and sequence numbers
// work as over UDP.

// H46017FeatureID is the generic identifier (standard) of H.460.17.
const H46017FeatureID = 17

// h46017RASParameter is the parameter (standard 1) carrying a RAS message.
const h46017RASParameter = 1

// ErrNotTunnel: the message is not an H.460.17 RAS carrier.
var ErrNotTunnel = errors.New("h323: not an H.460.17 RAS tunnel message")

// EncodeRASTunnel wraps one encoded RasMessage into the Q.931 Facility that
// carries it over a call-signalling connection (H.460.17). The result has no
// TPKT header.
func EncodeRASTunnel(ras []byte) ([]byte, error) {
	if len(ras) == 0 {
		return nil, fmt.Errorf("h323: H.460.17: empty RAS message")
	}
	msg := q931.Message{Type: q931.Facility, CallReference: 0}
	uu := h225.H323UserInformation{H323UuPdu: h225.H323UUPDU{
		H323MessageBody: h225.H323UUPDUH323MessageBody{Choice: h225.H323UUPDUH323MessageBodyEmpty},
		H245Tunnelling:  boolPtr(true),
		GenericData: []h225.GenericData{{
			Id: h225.GenericIdentifier{Choice: h225.GenericIdentifierStandard, Standard: H46017FeatureID},
			Parameters: []h225.EnumeratedParameter{{
				Id:      h225.GenericIdentifier{Choice: h225.GenericIdentifierStandard, Standard: h46017RASParameter},
				Content: &h225.Content{Choice: h225.ContentRaw, Raw: append([]byte(nil), ras...)},
			}},
		}},
	}}
	per, err := uu.Marshal()
	if err != nil {
		return nil, fmt.Errorf("h323: H.460.17: %w", err)
	}
	if err := msg.Add(q931.H225UserUser(per)); err != nil {
		return nil, fmt.Errorf("h323: H.460.17: %w", err)
	}
	return msg.Encode()
}

// IsRASTunnel reports cheaply whether payload (a Q.931 message without TPKT)
// can be an H.460.17 carrier: a Facility on the dummy call reference. A
// driver uses it to route a message to DecodeRASTunnel rather than to a leg.
func IsRASTunnel(payload []byte) bool {
	ref, _, typ, err := PeekCallReference(payload)
	return err == nil && ref == 0 && typ == byte(q931.Facility)
}

// DecodeRASTunnel returns the RAS messages an H.460.17 Facility carries, in
// order. It fails with ErrNotTunnel for a message that is not one (another
// type, a real call reference, no H.460.17 generic data) and with
// ErrMalformed when it cannot be decoded. The returned slices are copies.
func DecodeRASTunnel(payload []byte) ([][]byte, error) {
	if !IsRASTunnel(payload) {
		return nil, ErrNotTunnel
	}
	msg, err := q931.Decode(payload)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	uu, err := msg.UserUser()
	if err != nil {
		return nil, fmt.Errorf("%w: H.460.17 facility: %w", ErrMalformed, err)
	}
	var info h225.H323UserInformation
	if err := info.Unmarshal(uu.Data); err != nil {
		return nil, fmt.Errorf("%w: H.460.17 facility: %w", ErrMalformed, err)
	}
	var out [][]byte
	for _, g := range info.H323UuPdu.GenericData {
		if g.Id.Choice != h225.GenericIdentifierStandard || g.Id.Standard != H46017FeatureID {
			continue
		}
		for _, p := range g.Parameters {
			if p.Id.Choice == h225.GenericIdentifierStandard && p.Id.Standard == h46017RASParameter &&
				p.Content != nil && p.Content.Choice == h225.ContentRaw && len(p.Content.Raw) > 0 {
				out = append(out, append([]byte(nil), p.Content.Raw...))
			}
		}
	}
	if len(out) == 0 {
		return nil, ErrNotTunnel
	}
	return out, nil
}
