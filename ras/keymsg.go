package ras

import (
	"bytes"

	"github.com/callwake/callwake/asn1per"
	"github.com/callwake/callwake/h323/h225"
)

// The PBX hands an app its push key over secure H.323 (DTLS RAS, or RAS in
// an H.460.17 connection over TLS) in a RAS nonStandardMessage, never over
// the plain transports (B08). The vendor's real message is its own; this
// one is callwake's model of it: the nonStandardData names OID 2.999.1.1
// (X.660's arc for examples: callwake is no registered vendor) and carries
// the key as the push package encodes it.

// KeyMessageOID identifies callwake's push-key nonStandardMessage.
func KeyMessageOID() asn1per.ObjectIdentifier { return asn1per.ObjectIdentifier{2, 999, 1, 1} }

// NewKeyMessage builds the nonStandardMessage that carries data.
func NewKeyMessage(seq uint16, data []byte) *h225.RasMessage {
	return &h225.RasMessage{Choice: h225.RasMessageNonStandardMessage, NonStandardMessage: &h225.NonStandardMessage{
		RequestSeqNum: h225.RequestSeqNum(seq),
		NonStandardData: h225.NonStandardParameter{
			NonStandardIdentifier: h225.NonStandardIdentifier{Choice: h225.NonStandardIdentifierObject, Object: KeyMessageOID()},
			Data:                  bytes.Clone(data),
		},
	}}
}

// KeyMessageData returns what a key nonStandardMessage carries, and false
// for any other datagram.
func KeyMessageData(payload []byte) ([]byte, bool) {
	// Cheap first: no extension bit, then the root index (5 bits) of
	// nonStandardMessage.
	if len(payload) == 0 || payload[0]&0x80 != 0 || (payload[0]>>2)&0x1f != byte(h225.RasMessageNonStandardMessage-1) {
		return nil, false
	}
	m, err := Decode(payload)
	if err != nil || m.Choice != h225.RasMessageNonStandardMessage {
		return nil, false
	}
	id := m.NonStandardMessage.NonStandardData.NonStandardIdentifier
	if id.Choice != h225.NonStandardIdentifierObject || !id.Object.Equal(KeyMessageOID()) {
		return nil, false
	}
	return m.NonStandardMessage.NonStandardData.Data, true
}
