package decode

import (
	"fmt"

	"github.com/callwake/callwake/asn1per"
)

// H.245 messages tunnelled in H.225.0 (H323-UU-PDU.h245Control) are named
// from the first bits of their aligned PER encoding, without decoding them:
// MultimediaSystemControlMessage is an extensible CHOICE of four
// alternatives, each an extensible CHOICE whose index names the message.
// The tables are the alternatives of MULTIMEDIA-SYSTEM-CONTROL's
// MultimediaSystemControlMessage, RequestMessage, ResponseMessage,
// CommandMessage and IndicationMessage, root alternatives first, then the
// extension additions, in the module's order (a test checks them against
// the module when it is at hand).

// h245Kinds are the alternatives of MultimediaSystemControlMessage (root
// only: the module has no extension additions there).
var h245Kinds = []string{"request", "response", "command", "indication"}

// h245Message lists, per kind, the root alternatives and then the
// extension additions.
var h245Message = [][2][]string{
	{ // RequestMessage
		{"nonStandard", "masterSlaveDetermination", "terminalCapabilitySet", "openLogicalChannel",
			"closeLogicalChannel", "requestChannelClose", "multiplexEntrySend", "requestMultiplexEntry",
			"requestMode", "roundTripDelayRequest", "maintenanceLoopRequest"},
		{"communicationModeRequest", "conferenceRequest", "multilinkRequest", "logicalChannelRateRequest",
			"genericRequest"},
	},
	{ // ResponseMessage
		{"nonStandard", "masterSlaveDeterminationAck", "masterSlaveDeterminationReject",
			"terminalCapabilitySetAck", "terminalCapabilitySetReject", "openLogicalChannelAck",
			"openLogicalChannelReject", "closeLogicalChannelAck", "requestChannelCloseAck",
			"requestChannelCloseReject", "multiplexEntrySendAck", "multiplexEntrySendReject",
			"requestMultiplexEntryAck", "requestMultiplexEntryReject", "requestModeAck", "requestModeReject",
			"roundTripDelayResponse", "maintenanceLoopAck", "maintenanceLoopReject"},
		{"communicationModeResponse", "conferenceResponse", "multilinkResponse",
			"logicalChannelRateAcknowledge", "logicalChannelRateReject", "genericResponse"},
	},
	{ // CommandMessage
		{"nonStandard", "maintenanceLoopOffCommand", "sendTerminalCapabilitySet", "encryptionCommand",
			"flowControlCommand", "endSessionCommand", "miscellaneousCommand"},
		{"communicationModeCommand", "conferenceCommand", "h223MultiplexReconfiguration",
			"newATMVCCommand", "mobileMultilinkReconfigurationCommand", "genericCommand"},
	},
	{ // IndicationMessage
		{"nonStandard", "functionNotUnderstood", "masterSlaveDeterminationRelease",
			"terminalCapabilitySetRelease", "openLogicalChannelConfirm", "requestChannelCloseRelease",
			"multiplexEntrySendRelease", "requestMultiplexEntryRelease", "requestModeRelease",
			"miscellaneousIndication", "jitterIndication", "h223SkewIndication", "newATMVCIndication",
			"userInput"},
		{"h2250MaximumSkewIndication", "mcLocationIndication", "conferenceIndication",
			"vendorIdentification", "functionNotSupported", "multilinkIndication",
			"logicalChannelRateRelease", "flowControlIndication", "mobileMultilinkReconfigurationIndication",
			"genericIndication"},
	},
}

// H245Name names one PER-encoded MultimediaSystemControlMessage by its
// alternatives ("terminalCapabilitySet"; "nonStandard" comes with its kind,
// "nonStandard request", since every kind has one). A message that is too
// short or names an alternative the tables do not hold is shown for what
// could be read ("request extension(#7)", "undecodable H.245 (6 octets)").
// Only the first octets are read: the message's body is not decoded.
func H245Name(per []byte) string {
	d := asn1per.NewDecoder(per)
	kind, ok := choiceIndex(d, len(h245Kinds))
	if !ok || kind.extension {
		return fmt.Sprintf("undecodable H.245 (%d octets)", len(per))
	}
	tables := h245Message[kind.index]
	alt, ok := choiceIndex(d, len(tables[0]))
	switch {
	case !ok:
		return fmt.Sprintf("%s, undecodable (%d octets)", h245Kinds[kind.index], len(per))
	case alt.extension && alt.index < len(tables[1]):
		return tables[1][alt.index]
	case alt.extension:
		return fmt.Sprintf("%s extension(#%d)", h245Kinds[kind.index], alt.index)
	case alt.index >= len(tables[0]):
		return fmt.Sprintf("%s alternative %d", h245Kinds[kind.index], alt.index)
	case alt.index == 0:
		return "nonStandard " + h245Kinds[kind.index]
	}
	return tables[0][alt.index]
}

type choice struct {
	index     int
	extension bool
}

// choiceIndex reads the index of an extensible CHOICE with root
// alternatives (X.691 23): the extension bit, then either the root index as
// a constrained whole number in the fewest bits, or the extension
// addition's index as a normally small non-negative whole number (a 0 bit
// and six bits; a larger one is not worth reading here).
func choiceIndex(d *asn1per.Decoder, root int) (choice, bool) {
	ext, err := d.ReadBit()
	if err != nil {
		return choice{}, false
	}
	if ext {
		large, err := d.ReadBit()
		if err != nil || large {
			return choice{}, false
		}
		v, err := d.ReadBits(6)
		return choice{index: int(v), extension: true}, err == nil
	}
	bits := 0
	for 1<<bits < root {
		bits++
	}
	v, err := d.ReadBits(bits)
	return choice{index: int(v)}, err == nil
}
