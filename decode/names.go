package decode

import "callwake/h323/h225"

// The ASN.1 names of the CHOICE alternatives the decoder prints, as H.225.0
// spells them (and a dissector shows them). The generated codec numbers the
// alternatives; these tables give them their names.
// rasMessageNames names the RasMessage alternatives.
var rasMessageNames = map[h225.RasMessageChoice]string{
	h225.RasMessageGatekeeperRequest:          "gatekeeperRequest",
	h225.RasMessageGatekeeperConfirm:          "gatekeeperConfirm",
	h225.RasMessageGatekeeperReject:           "gatekeeperReject",
	h225.RasMessageRegistrationRequest:        "registrationRequest",
	h225.RasMessageRegistrationConfirm:        "registrationConfirm",
	h225.RasMessageRegistrationReject:         "registrationReject",
	h225.RasMessageUnregistrationRequest:      "unregistrationRequest",
	h225.RasMessageUnregistrationConfirm:      "unregistrationConfirm",
	h225.RasMessageUnregistrationReject:       "unregistrationReject",
	h225.RasMessageAdmissionRequest:           "admissionRequest",
	h225.RasMessageAdmissionConfirm:           "admissionConfirm",
	h225.RasMessageAdmissionReject:            "admissionReject",
	h225.RasMessageBandwidthRequest:           "bandwidthRequest",
	h225.RasMessageBandwidthConfirm:           "bandwidthConfirm",
	h225.RasMessageBandwidthReject:            "bandwidthReject",
	h225.RasMessageDisengageRequest:           "disengageRequest",
	h225.RasMessageDisengageConfirm:           "disengageConfirm",
	h225.RasMessageDisengageReject:            "disengageReject",
	h225.RasMessageLocationRequest:            "locationRequest",
	h225.RasMessageLocationConfirm:            "locationConfirm",
	h225.RasMessageLocationReject:             "locationReject",
	h225.RasMessageInfoRequest:                "infoRequest",
	h225.RasMessageInfoRequestResponse:        "infoRequestResponse",
	h225.RasMessageNonStandardMessage:         "nonStandardMessage",
	h225.RasMessageUnknownMessageResponse:     "unknownMessageResponse",
	h225.RasMessageRequestInProgress:          "requestInProgress",
	h225.RasMessageResourcesAvailableIndicate: "resourcesAvailableIndicate",
	h225.RasMessageResourcesAvailableConfirm:  "resourcesAvailableConfirm",
	h225.RasMessageInfoRequestAck:             "infoRequestAck",
	h225.RasMessageInfoRequestNak:             "infoRequestNak",
	h225.RasMessageServiceControlIndication:   "serviceControlIndication",
	h225.RasMessageServiceControlResponse:     "serviceControlResponse",
	h225.RasMessageAdmissionConfirmSequence:   "admissionConfirmSequence",
}

// bodyNames names the H323-UU-PDU message body alternatives.
var bodyNames = map[h225.H323UUPDUH323MessageBodyChoice]string{
	h225.H323UUPDUH323MessageBodySetup:            "setup",
	h225.H323UUPDUH323MessageBodyCallProceeding:   "callProceeding",
	h225.H323UUPDUH323MessageBodyConnect:          "connect",
	h225.H323UUPDUH323MessageBodyAlerting:         "alerting",
	h225.H323UUPDUH323MessageBodyInformation:      "information",
	h225.H323UUPDUH323MessageBodyReleaseComplete:  "releaseComplete",
	h225.H323UUPDUH323MessageBodyFacility:         "facility",
	h225.H323UUPDUH323MessageBodyProgress:         "progress",
	h225.H323UUPDUH323MessageBodyEmpty:            "empty",
	h225.H323UUPDUH323MessageBodyStatus:           "status",
	h225.H323UUPDUH323MessageBodyStatusInquiry:    "statusInquiry",
	h225.H323UUPDUH323MessageBodySetupAcknowledge: "setupAcknowledge",
	h225.H323UUPDUH323MessageBodyNotify:           "notify",
}

// gatekeeperRejectNames names GatekeeperRejectReason.
var gatekeeperRejectNames = map[h225.GatekeeperRejectReasonChoice]string{
	h225.GatekeeperRejectReasonResourceUnavailable:       "resourceUnavailable",
	h225.GatekeeperRejectReasonTerminalExcluded:          "terminalExcluded",
	h225.GatekeeperRejectReasonInvalidRevision:           "invalidRevision",
	h225.GatekeeperRejectReasonUndefinedReason:           "undefinedReason",
	h225.GatekeeperRejectReasonSecurityDenial:            "securityDenial",
	h225.GatekeeperRejectReasonGenericDataReason:         "genericDataReason",
	h225.GatekeeperRejectReasonNeededFeatureNotSupported: "neededFeatureNotSupported",
	h225.GatekeeperRejectReasonSecurityError:             "securityError",
}

// registrationRejectNames names RegistrationRejectReason.
var registrationRejectNames = map[h225.RegistrationRejectReasonChoice]string{
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

// unregistrationRejectNames names UnregRejectReason.
var unregistrationRejectNames = map[h225.UnregRejectReasonChoice]string{
	h225.UnregRejectReasonNotCurrentlyRegistered: "notCurrentlyRegistered",
	h225.UnregRejectReasonCallInProgress:         "callInProgress",
	h225.UnregRejectReasonUndefinedReason:        "undefinedReason",
	h225.UnregRejectReasonPermissionDenied:       "permissionDenied",
	h225.UnregRejectReasonSecurityDenial:         "securityDenial",
	h225.UnregRejectReasonSecurityError:          "securityError",
}

// admissionRejectNames names AdmissionRejectReason.
var admissionRejectNames = map[h225.AdmissionRejectReasonChoice]string{
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

// bandwidthRejectNames names BandRejectReason.
var bandwidthRejectNames = map[h225.BandRejectReasonChoice]string{
	h225.BandRejectReasonNotBound:              "notBound",
	h225.BandRejectReasonInvalidConferenceID:   "invalidConferenceID",
	h225.BandRejectReasonInvalidPermission:     "invalidPermission",
	h225.BandRejectReasonInsufficientResources: "insufficientResources",
	h225.BandRejectReasonInvalidRevision:       "invalidRevision",
	h225.BandRejectReasonUndefinedReason:       "undefinedReason",
	h225.BandRejectReasonSecurityDenial:        "securityDenial",
	h225.BandRejectReasonSecurityError:         "securityError",
}

// disengageRejectNames names DisengageRejectReason.
var disengageRejectNames = map[h225.DisengageRejectReasonChoice]string{
	h225.DisengageRejectReasonNotRegistered:      "notRegistered",
	h225.DisengageRejectReasonRequestToDropOther: "requestToDropOther",
	h225.DisengageRejectReasonSecurityDenial:     "securityDenial",
	h225.DisengageRejectReasonSecurityError:      "securityError",
}

// locationRejectNames names LocationRejectReason.
var locationRejectNames = map[h225.LocationRejectReasonChoice]string{
	h225.LocationRejectReasonNotRegistered:             "notRegistered",
	h225.LocationRejectReasonInvalidPermission:         "invalidPermission",
	h225.LocationRejectReasonRequestDenied:             "requestDenied",
	h225.LocationRejectReasonUndefinedReason:           "undefinedReason",
	h225.LocationRejectReasonSecurityDenial:            "securityDenial",
	h225.LocationRejectReasonAliasesInconsistent:       "aliasesInconsistent",
	h225.LocationRejectReasonRouteCalltoSCN:            "routeCalltoSCN",
	h225.LocationRejectReasonResourceUnavailable:       "resourceUnavailable",
	h225.LocationRejectReasonGenericDataReason:         "genericDataReason",
	h225.LocationRejectReasonNeededFeatureNotSupported: "neededFeatureNotSupported",
	h225.LocationRejectReasonHopCountExceeded:          "hopCountExceeded",
	h225.LocationRejectReasonIncompleteAddress:         "incompleteAddress",
	h225.LocationRejectReasonSecurityError:             "securityError",
	h225.LocationRejectReasonSecurityDHmismatch:        "securityDHmismatch",
	h225.LocationRejectReasonNoRouteToDestination:      "noRouteToDestination",
	h225.LocationRejectReasonUnallocatedNumber:         "unallocatedNumber",
}

// releaseCompleteNames names ReleaseCompleteReason.
var releaseCompleteNames = map[h225.ReleaseCompleteReasonChoice]string{
	h225.ReleaseCompleteReasonNoBandwidth:                 "noBandwidth",
	h225.ReleaseCompleteReasonGatekeeperResources:         "gatekeeperResources",
	h225.ReleaseCompleteReasonUnreachableDestination:      "unreachableDestination",
	h225.ReleaseCompleteReasonDestinationRejection:        "destinationRejection",
	h225.ReleaseCompleteReasonInvalidRevision:             "invalidRevision",
	h225.ReleaseCompleteReasonNoPermission:                "noPermission",
	h225.ReleaseCompleteReasonUnreachableGatekeeper:       "unreachableGatekeeper",
	h225.ReleaseCompleteReasonGatewayResources:            "gatewayResources",
	h225.ReleaseCompleteReasonBadFormatAddress:            "badFormatAddress",
	h225.ReleaseCompleteReasonAdaptiveBusy:                "adaptiveBusy",
	h225.ReleaseCompleteReasonInConf:                      "inConf",
	h225.ReleaseCompleteReasonUndefinedReason:             "undefinedReason",
	h225.ReleaseCompleteReasonFacilityCallDeflection:      "facilityCallDeflection",
	h225.ReleaseCompleteReasonSecurityDenied:              "securityDenied",
	h225.ReleaseCompleteReasonCalledPartyNotRegistered:    "calledPartyNotRegistered",
	h225.ReleaseCompleteReasonCallerNotRegistered:         "callerNotRegistered",
	h225.ReleaseCompleteReasonNewConnectionNeeded:         "newConnectionNeeded",
	h225.ReleaseCompleteReasonNonStandardReason:           "nonStandardReason",
	h225.ReleaseCompleteReasonReplaceWithConferenceInvite: "replaceWithConferenceInvite",
	h225.ReleaseCompleteReasonGenericDataReason:           "genericDataReason",
	h225.ReleaseCompleteReasonNeededFeatureNotSupported:   "neededFeatureNotSupported",
	h225.ReleaseCompleteReasonTunnelledSignallingRejected: "tunnelledSignallingRejected",
	h225.ReleaseCompleteReasonInvalidCID:                  "invalidCID",
	h225.ReleaseCompleteReasonSecurityError:               "securityError",
	h225.ReleaseCompleteReasonHopCountExceeded:            "hopCountExceeded",
}
