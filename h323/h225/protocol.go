package h225

import "github.com/callwake/callwake/asn1per"

// ProtocolIdentifierV7 returns the H.225.0 version 7 protocol identifier
// {itu-t(0) recommendation(0) h(8) 2250 version(0) 7}, the value the real
// stacks of the shared capture send in RAS and call signalling. Each call
// returns a fresh copy, so a message that holds it can be changed without
// touching any other message: the package keeps no mutable value.
func ProtocolIdentifierV7() ProtocolIdentifier {
	return ProtocolIdentifier(asn1per.ObjectIdentifier{0, 0, 8, 2250, 0, 7})
}
