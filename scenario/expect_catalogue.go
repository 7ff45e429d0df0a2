package scenario

import (
	"slices"
	"strings"
)

// The event catalogue: every event a simulated run records, with its
// attributes and their types. It is the one table the loader checks
// expectations against (an attribute an event never has, a value outside
// an attribute's type or values, a name the file does not define are load
// errors), the events table of docs/scenario-format.md is generated from
// (TestEventCatalogueDocs), and the schema's expectation items agree with
// (package schema's tests). TestEventCatalogueCoversLibrary runs the whole
// library and fails, naming what to add here, when the world records an
// event, an attribute or a value the catalogue does not list.

// AttrKind is the type of an attribute's value.
type AttrKind string

// The attribute kinds. Names (actor, device, user, pbx, push object) must
// be defined in the file; the infrastructure actors are InfraActors.
const (
	AttrText     AttrKind = "text"
	AttrActor    AttrKind = "actor"  // a device, a PBX, or push, apns, fcm
	AttrDevice   AttrKind = "device" // a device of the file
	AttrUser     AttrKind = "user"   // a user of the file
	AttrPBX      AttrKind = "pbx"    // a PBX of the file
	AttrPush     AttrKind = "push"   // a Push object of the file
	AttrDigits   AttrKind = "digits" // dialled digits, or "" for none
	AttrNumber   AttrKind = "number" // a whole number in [0, Max]
	AttrBool     AttrKind = "bool"   // true or false; absent means false
	AttrDuration AttrKind = "duration"
	AttrEnum     AttrKind = "enum" // one of Values
)

// InfraActors are the actors besides the file's devices and PBXs: the push
// service and the two vendor emulators, as message events name them.
var InfraActors = []string{"push", "apns", "fcm"}

// AttrSpec is one attribute an event may carry.
type AttrSpec struct {
	Key    string
	Kind   AttrKind
	Values []string // AttrEnum: every value a run records
	Max    int64    // AttrNumber: the largest value
	Doc    string   // what it says, a few words
}

// EventSpec is one event of the catalogue.
type EventSpec struct {
	Name  string
	Attrs []AttrSpec
	Doc   string // when a run records it, one sentence
	// Diagnostic events say that a message could not be used (malformed,
	// refused by a check, not encodable); a correct world records them only
	// when a scenario provokes them.
	Diagnostic bool
}

// Attr returns the spec of the event's attribute key, or nil.
func (e *EventSpec) Attr(key string) *AttrSpec {
	for i := range e.Attrs {
		if e.Attrs[i].Key == key {
			return &e.Attrs[i]
		}
	}
	return nil
}

// Keys returns the event's attribute keys in catalogue order.
func (e *EventSpec) Keys() []string {
	keys := make([]string, len(e.Attrs))
	for i, a := range e.Attrs {
		keys[i] = a.Key
	}
	return keys
}

// Attributes shared by many events.
var (
	attrFrom     = AttrSpec{Key: "from", Kind: AttrActor, Doc: "the sending actor"}
	attrTo       = AttrSpec{Key: "to", Kind: AttrActor, Doc: "the receiving actor"}
	attrDevice   = AttrSpec{Key: "device", Kind: AttrDevice, Doc: "the device it is about"}
	attrUser     = AttrSpec{Key: "user", Kind: AttrUser, Doc: "the user it is about"}
	attrCall     = AttrSpec{Key: "call", Kind: AttrNumber, Max: 1<<31 - 1, Doc: "the PBX's number of the call, from 1"}
	attrCause    = AttrSpec{Key: "cause", Kind: AttrNumber, Max: 127, Doc: "Q.850 cause value: 16 normal clearing, 17 user busy, 18 no user responding, 19 no answer, 21 call rejected"}
	attrSeq      = AttrSpec{Key: "seq", Kind: AttrNumber, Max: 65535, Doc: "the RAS requestSeqNum"}
	attrLost     = AttrSpec{Key: "lost", Kind: AttrBool, Doc: "the network dropped the datagram"}
	attrTunnel   = AttrSpec{Key: "tunnel", Kind: AttrEnum, Values: []string{"h460.17"}, Doc: "carried inside the call-signalling connection (h323-tcp, h323-tls)"}
	attrRetry    = AttrSpec{Key: "retry", Kind: AttrNumber, Max: 1<<31 - 1, Doc: "the retransmission's number (1 = the first resend)"}
	attrToken    = AttrSpec{Key: "token", Kind: AttrEnum, Values: []string{"hmac-sha1-96", "md5"}, Doc: "the H.235 token the device signed the request with"}
	attrError    = AttrSpec{Key: "error", Kind: AttrText, Doc: "what was wrong"}
	attrNumber   = AttrSpec{Key: "number", Kind: AttrDigits, Doc: `the caller's number ("" when the device does not know it)`}
	attrName     = AttrSpec{Key: "name", Kind: AttrText, Doc: `the caller's name ("" when the device does not know it)`}
	attrMessage  = AttrSpec{Key: "message", Kind: AttrEnum, Values: rasEventNames(), Doc: "the RAS message's event name"}
	attrPBX      = AttrSpec{Key: "pbx", Kind: AttrPBX, Doc: "the PBX"}
	attrPushName = AttrSpec{Key: "push", Kind: AttrPush, Doc: "the PBX's Push object"}
	attrAlias    = AttrSpec{Key: "alias", Kind: AttrUser, Doc: "the h323-ID the endpoint registered (its user)"}
)

// rasMessages are the RAS messages of H.225.0 (ras.NAME events), with what
// each is for.
var rasMessages = []struct{ name, doc string }{
	{"grq", "GatekeeperRequest: gatekeeper discovery"}, {"gcf", "GatekeeperConfirm"}, {"grj", "GatekeeperReject"},
	{"rrq", "RegistrationRequest (keepalive: a lightweight refresh)"}, {"rcf", "RegistrationConfirm"}, {"rrj", "RegistrationReject"},
	{"urq", "UnregistrationRequest"}, {"ucf", "UnregistrationConfirm"}, {"urj", "UnregistrationReject"},
	{"arq", "AdmissionRequest: before a call leg"}, {"acf", "AdmissionConfirm"}, {"arj", "AdmissionReject"},
	{"brq", "BandwidthRequest"}, {"bcf", "BandwidthConfirm"}, {"brj", "BandwidthReject"},
	{"drq", "DisengageRequest: after a call leg"}, {"dcf", "DisengageConfirm"}, {"drj", "DisengageReject"},
	{"lrq", "LocationRequest"}, {"lcf", "LocationConfirm"}, {"lrj", "LocationReject"},
	{"irq", "InfoRequest"}, {"irr", "InfoRequestResponse"}, {"iack", "InfoRequestAck"}, {"inak", "InfoRequestNak"},
	{"nsm", "NonStandardMessage"}, {"xrs", "UnknownMessageResponse"}, {"rip", "RequestInProgress: the answer will take longer"},
	{"rai", "ResourcesAvailableIndicate"}, {"rac", "ResourcesAvailableConfirm"},
	{"sci", "ServiceControlIndication"}, {"scr", "ServiceControlResponse"},
}

// rasRequests are the RAS messages a sender retransmits and signs.
var rasRequests = []string{"grq", "rrq", "urq", "arq", "brq", "drq", "lrq", "irq"}

// rasRejectReasons are the ASN.1 names of each reject's rejectReason (the
// reason attribute), plus unknownReason for an alternative this codec does
// not know. A test keeps them equal to the generated codec's.
var rasRejectReasons = map[string][]string{
	"grj": {"resourceUnavailable", "terminalExcluded", "invalidRevision", "undefinedReason", "securityDenial",
		"genericDataReason", "neededFeatureNotSupported", "securityError"},
	"rrj": {"discoveryRequired", "invalidRevision", "invalidCallSignalAddress", "invalidRASAddress", "duplicateAlias",
		"invalidTerminalType", "undefinedReason", "transportNotSupported", "transportQOSNotSupported", "resourceUnavailable",
		"invalidAlias", "securityDenial", "fullRegistrationRequired", "additiveRegistrationNotSupported",
		"invalidTerminalAliases", "genericDataReason", "neededFeatureNotSupported", "securityError", "registerWithAssignedGK"},
	"urj": {"notCurrentlyRegistered", "callInProgress", "undefinedReason", "permissionDenied", "securityDenial", "securityError"},
	"arj": {"calledPartyNotRegistered", "invalidPermission", "requestDenied", "undefinedReason", "callerNotRegistered",
		"routeCallToGatekeeper", "invalidEndpointIdentifier", "resourceUnavailable", "securityDenial", "qosControlNotSupported",
		"incompleteAddress", "aliasesInconsistent", "routeCallToSCN", "exceedsCallCapacity", "collectDestination", "collectPIN",
		"genericDataReason", "neededFeatureNotSupported", "securityError", "securityDHmismatch", "noRouteToDestination",
		"unallocatedNumber", "registerWithAssignedGK"},
	"drj": {"notRegistered", "requestToDropOther", "securityDenial", "securityError"},
}

// facilityReasons are the ASN.1 names of H.225.0's FacilityReason.
var facilityReasons = []string{"routeCallToGatekeeper", "callForwarded", "routeCallToMC", "undefinedReason",
	"conferenceListChoice", "startH245", "noH245", "newTokens", "featureSetUpdate", "forwardedElements", "transportedInformation"}

// q931Messages are the Q.931 messages H.225.0 uses (q931.NAME events).
var q931Messages = []struct{ name, doc string }{
	{"setup", "Setup: a call leg starts"}, {"call_proceeding", "Call Proceeding"}, {"alerting", "Alerting: the called side rings"},
	{"connect", "Connect: answered"}, {"progress", "Progress"}, {"setup_acknowledge", "Setup Acknowledge"},
	{"facility", "Facility"}, {"notify", "Notify"}, {"information", "Information"},
	{"status_enquiry", "Status Enquiry"}, {"status", "Status"}, {"release_complete", "Release Complete: the leg ends"},
}

// h245Course are the H.245 messages of a session's usual course.
var h245Course = []string{"terminal_capability_set", "terminal_capability_set_ack", "master_slave_determination",
	"master_slave_determination_ack", "open_logical_channel", "open_logical_channel_ack", "end_session_command"}

// h245Messages are the H.245 messages the call legs send on a separate H.245 connection (the
// tunnelled ones ride in a q931 event, named by its h245 attribute).
// Those but the session's usual course (capability sets, determination, channel opening,
// endSessionCommand and their acks) are Diagnostic: between the simulator's own devices they
// come only from a peer that refuses, times out or speaks what the peer does not do.
var h245Messages = []struct{ name, doc string }{
	{"terminal_capability_set", "H.245 terminalCapabilitySet: G.711 A-law and µ-law"},
	{"terminal_capability_set_ack", "H.245 terminalCapabilitySetAck"},
	{"terminal_capability_set_reject", "H.245 terminalCapabilitySetReject"},
	{"terminal_capability_set_release", "H.245 terminalCapabilitySetRelease: T101 ran out"},
	{"master_slave_determination", "H.245 masterSlaveDetermination"},
	{"master_slave_determination_ack", "H.245 masterSlaveDeterminationAck"},
	{"master_slave_determination_reject", "H.245 masterSlaveDeterminationReject"},
	{"master_slave_determination_release", "H.245 masterSlaveDeterminationRelease: T106 ran out"},
	{"open_logical_channel", "H.245 openLogicalChannel: a forward audio channel"},
	{"open_logical_channel_ack", "H.245 openLogicalChannelAck with the RTP and RTCP addresses"},
	{"open_logical_channel_reject", "H.245 openLogicalChannelReject"},
	{"close_logical_channel", "H.245 closeLogicalChannel"},
	{"close_logical_channel_ack", "H.245 closeLogicalChannelAck"},
	{"request_channel_close_ack", "H.245 requestChannelCloseAck"},
	{"request_channel_close_reject", "H.245 requestChannelCloseReject"},
	{"request_mode_reject", "H.245 requestModeReject"},
	{"round_trip_delay_response", "H.245 roundTripDelayResponse"},
	{"maintenance_loop_reject", "H.245 maintenanceLoopReject"},
	{"logical_channel_rate_reject", "H.245 logicalChannelRateReject"},
	{"function_not_understood", "H.245 functionNotUnderstood"},
	{"function_not_supported", "H.245 functionNotSupported"},
	{"end_session_command", "H.245 endSessionCommand: the session ends"},
}

func rasEventNames() []string {
	names := make([]string, len(rasMessages))
	for i, m := range rasMessages {
		names[i] = "ras." + m.name
	}
	return names
}

func enumAttr(key, doc string, values ...string) AttrSpec {
	return AttrSpec{Key: key, Kind: AttrEnum, Values: values, Doc: doc}
}

func textAttr(key, doc string) AttrSpec { return AttrSpec{Key: key, Kind: AttrText, Doc: doc} }

// Events is the catalogue, in the order the reference lists it.
var Events = func() []EventSpec {
	events := []EventSpec{
		{Name: "pbx.push_connected", Doc: "A PBX's Push object logged in to the push service (the green checkmark, B01).",
			Attrs: []AttrSpec{attrPBX, attrPushName}},
		{Name: "pbx.push_disconnected", Doc: "The Push object lost its connection or could not make it; it retries after retry_in (B01-B06). reconfigured: an action changed it while it was logged in, and it connects again at once.",
			Attrs: []AttrSpec{attrPBX, attrPushName,
				enumAttr("reason", "why", "certificate", "untrusted", "dns", "unreachable", "http_proxy", "replaced", "login_failed",
					"timeout", "service_unavailable", "connection_lost", "protocol", "reconfigured"),
				{Key: "retry_in", Kind: AttrDuration, Doc: "the reconnection backoff"}}},
		{Name: "pbx.restarted", Doc: "A PBX restarts (action restart): every registration, call and connection is lost; it is off the network for down.",
			Attrs: []AttrSpec{attrPBX, {Key: "down", Kind: AttrDuration, Doc: "how long it stays off the network"}}},
		{Name: "pbx.up", Doc: "A PBX that restarted with a downtime listens again.",
			Attrs: []AttrSpec{attrPBX}},
		{Name: "push.request", Doc: "The PBX asks the push service to push a device (PushNotifyPost).",
			Attrs: []AttrSpec{attrFrom, attrTo, attrUser, attrDevice,
				enumAttr("type", "the push type, in clear (B07)", "call", "notification")}},
		{Name: "push.rejected", Doc: "The push service refuses a connection, a login or a request.",
			Attrs: []AttrSpec{attrFrom, attrTo,
				enumAttr("reason", "why", "certificate", "replaced", "login_failed", "service_unavailable", "malformed",
					"not_logged_in", "unknown_platform"),
				enumAttr("certificate", "what the Push object presented", string(CertificateDevice), string(CertificateUnverifiedDevice),
					string(CertificateOwn), string(CertificateNone)),
				{Key: "serial", Kind: AttrNumber, Max: 1<<63 - 1, Doc: "its certificate's serial"},
				textAttr("system", "the system name it logged in with"), attrError,
				textAttr("src", "the request's src"), textAttr("mt", "the unexpected message's type")}},
		{Name: "push.forwarded", Doc: "The push service hands the push to APNs or FCM and gets its answer.",
			Attrs: []AttrSpec{attrFrom, attrTo, enumAttr("platform", "the vendor", "apns", "fcm"),
				{Key: "status", Kind: AttrNumber, Max: 599, Doc: "the vendor's HTTP status"}}},
		{Name: "push.delivered", Doc: "The vendor delivers the push to the phone.",
			Attrs: []AttrSpec{attrFrom, attrTo, attrDevice}},
		{Name: "push.dropped", Doc: "The push does not reach the app, and why (B20-B28).",
			Attrs: []AttrSpec{attrFrom, attrTo, attrDevice,
				enumAttr("reason", "why", "vendor_unreachable", "notifications_denied", "pushkit_penalty", "not_a_call", "hms_stale",
					"data_saver", "events_off", "calling_account_off", "not_default", "push_off", "start_never", "dnd_closed",
					"logged_out", "no_push")}},
		{Name: "app.started", Doc: "The app process starts.",
			Attrs: []AttrSpec{attrDevice, enumAttr("reason", "what started it", "push", "user")}},
		{Name: "app.stopped", Doc: "The app process ends, or its OS suspends it; it unregisters (URQ).",
			Attrs: []AttrSpec{attrDevice, enumAttr("reason", "idle: myPBX's 10 s idle exit (B24); suspended: the OS suspended it in the background (B29); user: closed or logged out by an action", "idle", "suspended", "user")}},
		{Name: "app.push_mode", Doc: "myPBX for Android's push mode changed: auto and on become active at the first push (B24).",
			Attrs: []AttrSpec{attrDevice, enumAttr("mode", "the mode now", "auto", "on", "off", "active"),
				enumAttr("was", "the mode before", "auto", "on", "off", "active")}},
		{Name: "app.key_received", Doc: "The PBX hands the app its push decryption key over a secure path (B08); an app whose path is up at the start gets it at 0s.",
			Attrs: []AttrSpec{attrFrom, attrTo, attrDevice, enumAttr("via", "the path", "websocket", "h323-tls", "h323-dtls")}},
	}
	for _, m := range rasMessages {
		spec := EventSpec{Name: "ras." + m.name, Doc: m.doc + ".", Attrs: []AttrSpec{attrFrom, attrTo, attrSeq}}
		if reasons, ok := rasRejectReasons[m.name]; ok {
			spec.Attrs = append(spec.Attrs, enumAttr("reason", "the rejectReason's ASN.1 name", append(slices.Clone(reasons), "unknownReason")...))
		}
		if m.name == "rrq" {
			spec.Attrs = append(spec.Attrs, AttrSpec{Key: "keepalive", Kind: AttrBool, Doc: "a lightweight (keep-alive) RRQ"})
		}
		if m.name == "urq" {
			spec.Attrs = append(spec.Attrs, AttrSpec{Key: "cleanup", Kind: AttrBool,
				Doc: "sent by an endpoint that gave up a registration the gatekeeper may hold"})
		}
		if slices.Contains(rasRequests, m.name) {
			spec.Attrs = append(spec.Attrs, attrRetry, attrToken)
		}
		spec.Attrs = append(spec.Attrs, attrLost, attrTunnel)
		events = append(events, spec)
	}
	events = append(events,
		EventSpec{Name: "ras.registration_expired", Doc: "The gatekeeper dropped a registration that was not refreshed within its time to live (B30).",
			Attrs: []AttrSpec{attrAlias, textAttr("endpoint_id", "the endpointIdentifier it had")}},
		EventSpec{Name: "ras.security_error", Diagnostic: true, Doc: "A RAS message failed its H.235 check (B31).",
			Attrs: []AttrSpec{attrAlias, attrMessage, attrSeq, attrError}},
		EventSpec{Name: "ras.malformed", Diagnostic: true, Doc: "A datagram that is not a RAS message, or a tunnel from an unknown endpoint.",
			Attrs: []AttrSpec{textAttr("from", "the sender (its address when it is no actor)"), attrTo, attrError}},
		EventSpec{Name: "ras.ignored", Diagnostic: true, Doc: "A RAS message the receiver has no use for (an answer to no request of its own).",
			Attrs: []AttrSpec{attrMessage, attrSeq, textAttr("why", "why")}},
		EventSpec{Name: "ras.encode_error", Diagnostic: true, Doc: "A RAS message could not be encoded (a bug or an impossible configuration).",
			Attrs: []AttrSpec{attrMessage, attrError}},
	)
	for _, m := range q931Messages {
		spec := EventSpec{Name: "q931." + m.name, Doc: m.doc + ".", Attrs: []AttrSpec{attrFrom, attrTo}}
		switch m.name {
		case "release_complete", "status":
			spec.Attrs = append(spec.Attrs, attrCause)
		case "facility":
			spec.Attrs = append(spec.Attrs, enumAttr("reason", "the FacilityReason's ASN.1 name", facilityReasons...))
		}
		spec.Attrs = append(spec.Attrs, textAttr("h245", "the H.245 messages tunnelled in it (ASN.1 names, comma-separated)"))
		events = append(events, spec)
	}
	for _, m := range h245Messages {
		events = append(events, EventSpec{Name: "h245." + m.name, Doc: m.doc + ", on the call's separate H.245 connection.",
			Attrs: []AttrSpec{attrFrom, attrTo}, Diagnostic: !slices.Contains(h245Course, m.name)})
	}
	events = append(events,
		EventSpec{Name: "h245.channel_opened", Doc: "A device's audio channel towards its peer was acknowledged: the codec and where RTP goes (none is sent).",
			Attrs: []AttrSpec{attrDevice, enumAttr("codec", "the H.245 codec", "g711Alaw64k", "g711Ulaw64k"), textAttr("rtp", "the peer's RTP address")}},
		EventSpec{Name: "h245.no_common_codec", Diagnostic: true, Doc: "Capability exchange found no codec in common: the call is cleared with cause 88.",
			Attrs: []AttrSpec{attrDevice, attrPBX}},
		EventSpec{Name: "h245.failure", Diagnostic: true, Doc: "An H.245 procedure failed (rejected, unanswered, undecodable).",
			Attrs: []AttrSpec{attrDevice, attrPBX, attrError}},
		EventSpec{Name: "h245.listen_failed", Diagnostic: true, Doc: "A call's H.245 listening port could not be bound.",
			Attrs: []AttrSpec{attrDevice, attrPBX, attrError}},
		EventSpec{Name: "h245.connect_failed", Diagnostic: true, Doc: "A call's separate H.245 connection could not be opened.",
			Attrs: []AttrSpec{attrDevice, attrPBX, attrError}},
	)
	events = append(events,
		EventSpec{Name: "q931.protocol_error", Diagnostic: true, Doc: "A call-signalling message broke the protocol (it could not be decoded, or came in the wrong state).",
			Attrs: []AttrSpec{attrFrom, attrTo, attrError}},
		EventSpec{Name: "q931.malformed", Diagnostic: true, Doc: "A TPKT frame on a signalling connection was not a Q.931 message.",
			Attrs: []AttrSpec{attrFrom, attrTo, attrError}},
		EventSpec{Name: "q931.unexpected", Diagnostic: true, Doc: "A call-signalling message for no call of the receiver.",
			Attrs: []AttrSpec{attrFrom, attrTo}},
		EventSpec{Name: "call.push_skipped", Doc: "The PBX does not push a device of the called user, and why (B10, B15, B26).",
			Attrs: []AttrSpec{attrCall, attrUser, attrDevice,
				enumAttr("reason", "why", "no_push_field", "no_push_object", "push_disconnected", "no_token", "cfnr_skips_push")}},
		EventSpec{Name: "call.push_failed", Doc: "The push service or the vendor refused a push while the call waited for the device.",
			Attrs: []AttrSpec{attrCall, attrUser, attrDevice, textAttr("reason", "the service's or vendor's error, e.g. ServiceUnavailable, Unregistered")}},
		EventSpec{Name: "call.push_timeout", Doc: "The registration timeout ran out: the pushed app did not register in time (B12).",
			Attrs: []AttrSpec{attrCall, attrUser}},
		EventSpec{Name: "call.forwarded", Doc: "A forward takes the call.",
			Attrs: []AttrSpec{attrCall, enumAttr("reason", "which forward", "cfnr", "cfb", "cfu"),
				{Key: "to", Kind: AttrDigits, Doc: "the forward's number"}}},
		EventSpec{Name: "call.released", Doc: "The PBX released the call towards the caller.",
			Attrs: []AttrSpec{attrCall, attrCause}},
		EventSpec{Name: "call.not_placed", Doc: "A device's call was not admitted, so no Setup was sent.",
			Attrs: []AttrSpec{attrDevice, {Key: "to", Kind: AttrDigits, Doc: "the dialled number"},
				textAttr("reason", "the ARJ reason, e.g. calledPartyNotRegistered, or notRegistered when the device has no registration")}},
		EventSpec{Name: "call.failed", Diagnostic: true, Doc: "A device could not start a call leg it was admitted for.",
			Attrs: []AttrSpec{attrDevice, textAttr("reason", "why")}},
		EventSpec{Name: "device.ringing", Doc: "What the device's user sees ringing.",
			Attrs: []AttrSpec{attrDevice, attrNumber, attrName,
				{Key: "ui", Kind: AttrBool, Doc: "a call screen is shown (false: Android overlay off, B23)"},
				{Key: "silent", Kind: AttrBool, Doc: "rings without sound (12r2 DND, B27)"}}},
		EventSpec{Name: "device.caller_updated", Doc: "The caller's name arrived after the push (iOS, B17).",
			Attrs: []AttrSpec{attrDevice, attrNumber, attrName}},
		EventSpec{Name: "device.answered", Doc: "The device's user answered.",
			Attrs: []AttrSpec{attrDevice}},
	)
	return events
}()

var eventIndex = func() map[string]*EventSpec {
	m := make(map[string]*EventSpec, len(Events))
	for i := range Events {
		m[Events[i].Name] = &Events[i]
	}
	return m
}()

// Event returns the catalogue entry of an event name, or nil.
func Event(name string) *EventSpec { return eventIndex[name] }

// EventNames are the names of the catalogue, sorted: the names an
// expectation may cite.
var EventNames = func() []string {
	names := make([]string, len(Events))
	for i, e := range Events {
		names[i] = e.Name
	}
	slices.Sort(names)
	return names
}()

// describeKind names an attribute's type for messages and the reference.
func (a *AttrSpec) describeKind() string {
	switch a.Kind {
	case AttrEnum:
		return "one of " + strings.Join(a.Values, ", ")
	case AttrActor:
		return "an actor (a device, a PBX, push, apns or fcm)"
	case AttrNumber:
		return "a whole number"
	case AttrBool:
		return "true or false"
	case AttrDigits:
		return `dialled digits (or "")`
	case AttrDuration:
		return "a duration"
	case AttrPush:
		return "a Push object's name"
	case AttrDevice, AttrUser, AttrPBX:
		return "a " + string(a.Kind) + " name"
	}
	return "text"
}
