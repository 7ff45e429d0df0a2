package ras

import (
	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/timeline"
)

// Event names of the RAS messages, as the timeline and the scenarios spell
// them: "ras." and the usual three-letter abbreviation of H.225.0.
var eventNames = map[h225.RasMessageChoice]string{
	h225.RasMessageGatekeeperRequest:          "ras.grq",
	h225.RasMessageGatekeeperConfirm:          "ras.gcf",
	h225.RasMessageGatekeeperReject:           "ras.grj",
	h225.RasMessageRegistrationRequest:        "ras.rrq",
	h225.RasMessageRegistrationConfirm:        "ras.rcf",
	h225.RasMessageRegistrationReject:         "ras.rrj",
	h225.RasMessageUnregistrationRequest:      "ras.urq",
	h225.RasMessageUnregistrationConfirm:      "ras.ucf",
	h225.RasMessageUnregistrationReject:       "ras.urj",
	h225.RasMessageAdmissionRequest:           "ras.arq",
	h225.RasMessageAdmissionConfirm:           "ras.acf",
	h225.RasMessageAdmissionReject:            "ras.arj",
	h225.RasMessageBandwidthRequest:           "ras.brq",
	h225.RasMessageBandwidthConfirm:           "ras.bcf",
	h225.RasMessageBandwidthReject:            "ras.brj",
	h225.RasMessageDisengageRequest:           "ras.drq",
	h225.RasMessageDisengageConfirm:           "ras.dcf",
	h225.RasMessageDisengageReject:            "ras.drj",
	h225.RasMessageLocationRequest:            "ras.lrq",
	h225.RasMessageLocationConfirm:            "ras.lcf",
	h225.RasMessageLocationReject:             "ras.lrj",
	h225.RasMessageInfoRequest:                "ras.irq",
	h225.RasMessageInfoRequestResponse:        "ras.irr",
	h225.RasMessageNonStandardMessage:         "ras.nsm",
	h225.RasMessageUnknownMessageResponse:     "ras.xrs",
	h225.RasMessageRequestInProgress:          "ras.rip",
	h225.RasMessageResourcesAvailableIndicate: "ras.rai",
	h225.RasMessageResourcesAvailableConfirm:  "ras.rac",
	h225.RasMessageInfoRequestAck:             "ras.iack",
	h225.RasMessageInfoRequestNak:             "ras.inak",
	h225.RasMessageServiceControlIndication:   "ras.sci",
	h225.RasMessageServiceControlResponse:     "ras.scr",
	h225.RasMessageAdmissionConfirmSequence:   "ras.acf_sequence",
}

// EventName returns the timeline name of a message ("ras.rrq", ...), or
// "ras.unknown" for an alternative this version does not know.
func EventName(m *h225.RasMessage) string {
	if name, ok := eventNames[m.Choice]; ok {
		return name
	}
	return "ras.unknown"
}

// reasonName is the name of a reject reason: its ASN.1 alternative name, which
// the timeline shows (reason=securityDenial) and scenarios expect, or a neutral
// name for an alternative added by a later version of H.225.0 (decoded as an
// unknown extension, which leaves the choice 0 and String "").
func reasonName(asnName string) string {
	if asnName == "" {
		return "unknownReason"
	}
	return asnName
}

// RejectReason returns the ASN.1 name of the reject reason of a GRJ, RRJ,
// URJ, ARJ or DRJ, and false for any other message.
func RejectReason(m *h225.RasMessage) (string, bool) {
	switch m.Choice {
	case h225.RasMessageGatekeeperReject:
		return reasonName(m.GatekeeperReject.RejectReason.Choice.String()), true
	case h225.RasMessageRegistrationReject:
		return reasonName(m.RegistrationReject.RejectReason.Choice.String()), true
	case h225.RasMessageUnregistrationReject:
		return reasonName(m.UnregistrationReject.RejectReason.Choice.String()), true
	case h225.RasMessageAdmissionReject:
		return reasonName(m.AdmissionReject.RejectReason.Choice.String()), true
	case h225.RasMessageDisengageReject:
		return reasonName(m.DisengageReject.RejectReason.Choice.String()), true
	}
	return "", false
}

// Describe names a RAS datagram for a timeline (its event name, e.g.
// "ras.rcf", and Attrs); false for one that does not decode.
func Describe(payload []byte) (string, []timeline.Attr, bool) {
	m, err := Decode(payload)
	if err != nil {
		return "", nil, false
	}
	return EventName(m), Attrs(m), true
}
