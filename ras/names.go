package ras

import "callwake/h323/h225"

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

// The reject reasons by their ASN.1 alternative names: the names are what the
// timeline shows (reason=securityDenial) and what scenarios expect.
var (
	gatekeeperRejectNames = map[h225.GatekeeperRejectReasonChoice]string{
		h225.GatekeeperRejectReasonResourceUnavailable:       "resourceUnavailable",
		h225.GatekeeperRejectReasonTerminalExcluded:          "terminalExcluded",
		h225.GatekeeperRejectReasonInvalidRevision:           "invalidRevision",
		h225.GatekeeperRejectReasonUndefinedReason:           "undefinedReason",
		h225.GatekeeperRejectReasonSecurityDenial:            "securityDenial",
		h225.GatekeeperRejectReasonGenericDataReason:         "genericDataReason",
		h225.GatekeeperRejectReasonNeededFeatureNotSupported: "neededFeatureNotSupported",
		h225.GatekeeperRejectReasonSecurityError:             "securityError",
	}
	registrationRejectNames = map[h225.RegistrationRejectReasonChoice]string{
		h225.RegistrationRejectReasonDiscoveryRequired:                "discoveryRequired",
		h225.RegistrationRejectReasonInvalidRevision:                  "invalidRevision",
		h225.RegistrationRejectReasonInvalidCallSignalAddress:         "invalidCallSignalAddress",
		h225.RegistrationRejectReasonInvalidRASAddress:                "invalidRASAddress",
		h225.RegistrationRejectReasonDuplicateAlias:                   "duplicateAlias",
		h225.RegistrationRejectReasonInvalidTerminalType:              "invalidTerminalType",
		h225.RegistrationRejectReasonUndefinedReason:                  "undefinedReason",
		h225.RegistrationRejectReasonTransportNotSupported:            "transportNotSupported",
		h225.RegistrationRejectReasonTransportQOSNotSupported:         "transportQOSNotSupported",
		h225.RegistrationRejectReasonResourceUnavailable:              "resourceUnavailable",
		h225.RegistrationRejectReasonInvalidAlias:                     "invalidAlias",
		h225.RegistrationRejectReasonSecurityDenial:                   "securityDenial",
		h225.RegistrationRejectReasonFullRegistrationRequired:         "fullRegistrationRequired",
		h225.RegistrationRejectReasonAdditiveRegistrationNotSupported: "additiveRegistrationNotSupported",
		h225.RegistrationRejectReasonInvalidTerminalAliases:           "invalidTerminalAliases",
		h225.RegistrationRejectReasonGenericDataReason:                "genericDataReason",
		h225.RegistrationRejectReasonNeededFeatureNotSupported:        "neededFeatureNotSupported",
		h225.RegistrationRejectReasonSecurityError:                    "securityError",
		h225.RegistrationRejectReasonRegisterWithAssignedGK:           "registerWithAssignedGK",
	}
	unregistrationRejectNames = map[h225.UnregRejectReasonChoice]string{
		h225.UnregRejectReasonNotCurrentlyRegistered: "notCurrentlyRegistered",
		h225.UnregRejectReasonCallInProgress:         "callInProgress",
		h225.UnregRejectReasonUndefinedReason:        "undefinedReason",
		h225.UnregRejectReasonPermissionDenied:       "permissionDenied",
		h225.UnregRejectReasonSecurityDenial:         "securityDenial",
		h225.UnregRejectReasonSecurityError:          "securityError",
	}
	admissionRejectNames = map[h225.AdmissionRejectReasonChoice]string{
		h225.AdmissionRejectReasonCalledPartyNotRegistered:  "calledPartyNotRegistered",
		h225.AdmissionRejectReasonInvalidPermission:         "invalidPermission",
		h225.AdmissionRejectReasonRequestDenied:             "requestDenied",
		h225.AdmissionRejectReasonUndefinedReason:           "undefinedReason",
		h225.AdmissionRejectReasonCallerNotRegistered:       "callerNotRegistered",
		h225.AdmissionRejectReasonRouteCallToGatekeeper:     "routeCallToGatekeeper",
		h225.AdmissionRejectReasonInvalidEndpointIdentifier: "invalidEndpointIdentifier",
		h225.AdmissionRejectReasonResourceUnavailable:       "resourceUnavailable",
		h225.AdmissionRejectReasonSecurityDenial:            "securityDenial",
		h225.AdmissionRejectReasonQosControlNotSupported:    "qosControlNotSupported",
		h225.AdmissionRejectReasonIncompleteAddress:         "incompleteAddress",
		h225.AdmissionRejectReasonAliasesInconsistent:       "aliasesInconsistent",
		h225.AdmissionRejectReasonRouteCallToSCN:            "routeCallToSCN",
		h225.AdmissionRejectReasonExceedsCallCapacity:       "exceedsCallCapacity",
		h225.AdmissionRejectReasonCollectDestination:        "collectDestination",
		h225.AdmissionRejectReasonCollectPIN:                "collectPIN",
		h225.AdmissionRejectReasonGenericDataReason:         "genericDataReason",
		h225.AdmissionRejectReasonNeededFeatureNotSupported: "neededFeatureNotSupported",
		h225.AdmissionRejectReasonSecurityError:             "securityError",
		h225.AdmissionRejectReasonSecurityDHmismatch:        "securityDHmismatch",
		h225.AdmissionRejectReasonNoRouteToDestination:      "noRouteToDestination",
		h225.AdmissionRejectReasonUnallocatedNumber:         "unallocatedNumber",
		h225.AdmissionRejectReasonRegisterWithAssignedGK:    "registerWithAssignedGK",
	}
	disengageRejectNames = map[h225.DisengageRejectReasonChoice]string{
		h225.DisengageRejectReasonNotRegistered:      "notRegistered",
		h225.DisengageRejectReasonRequestToDropOther: "requestToDropOther",
		h225.DisengageRejectReasonSecurityDenial:     "securityDenial",
		h225.DisengageRejectReasonSecurityError:      "securityError",
	}
)

// nameOf looks a reason up, with a neutral name for an alternative added by a
// later version of H.225.0 (decoded as an unknown extension).
func nameOf[K comparable](names map[K]string, k K) string {
	if name, ok := names[k]; ok {
		return name
	}
	return "unknownReason"
}

// RejectReason returns the ASN.1 name of the reject reason of a GRJ, RRJ,
// URJ, ARJ or DRJ, and false for any other message.
func RejectReason(m *h225.RasMessage) (string, bool) {
	switch m.Choice {
	case h225.RasMessageGatekeeperReject:
		return nameOf(gatekeeperRejectNames, m.GatekeeperReject.RejectReason.Choice), true
	case h225.RasMessageRegistrationReject:
		return nameOf(registrationRejectNames, m.RegistrationReject.RejectReason.Choice), true
	case h225.RasMessageUnregistrationReject:
		return nameOf(unregistrationRejectNames, m.UnregistrationReject.RejectReason.Choice), true
	case h225.RasMessageAdmissionReject:
		return nameOf(admissionRejectNames, m.AdmissionReject.RejectReason.Choice), true
	case h225.RasMessageDisengageReject:
		return nameOf(disengageRejectNames, m.DisengageReject.RejectReason.Choice), true
	}
	return "", false
}
