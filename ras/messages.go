package ras

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/callwake/callwake/asn1per"
	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/timeline"
)

// vendor is the endpointVendor / terminalType vendor the endpoint announces:
// a T.35 identification plus product and version strings, as every stack
// sends in GRQ and RRQ. Each call returns a fresh value (its byte slices
// are new), so no message shares them.
func vendor() h225.VendorIdentifier {
	return h225.VendorIdentifier{
		Vendor:    h225.H221NonStandard{T35CountryCode: 181, T35Extension: 0, ManufacturerCode: 0x4357},
		ProductId: []byte("callwake endpoint"),
		VersionId: []byte("1.0"),
	}
}

// DefaultBandwidth is the bandwidth an ARQ asks for, in units of 100 bit/s
// (H.225.0 BandWidth): 1280 = 128 kbit/s, a voice call with headroom.
const DefaultBandwidth = 1280

// MaxDatagram bounds the RAS datagrams the cores decode: a RasMessage fits an
// unfragmented UDP datagram, and a bigger input is refused before decoding.
const MaxDatagram = 65507

// Info describes the endpoint a message speaks of. Fields that a message does
// not carry are ignored.
type Info struct {
	Alias  string // h323-ID alias
	Number string // dialledDigits alias; "" = none
	// DeviceAlias is a further h323-ID a full RRQ carries: the device among
	// its user's (as a hardware ID names it); "" = none.
	DeviceAlias       string
	RASAddress        netip.AddrPort
	CallSignalAddress netip.AddrPort
	EndpointID        string // assigned by the gatekeeper; "" = not yet
	GatekeeperID      string // "" = not known
}

// Decode parses a datagram as an H.225.0 RasMessage (aligned PER).
func Decode(payload []byte) (*h225.RasMessage, error) {
	if len(payload) == 0 {
		return nil, errors.New("ras: empty datagram")
	}
	if len(payload) > MaxDatagram {
		return nil, fmt.Errorf("ras: datagram of %d bytes exceeds %d", len(payload), MaxDatagram)
	}
	m, err := h225.UnmarshalRasMessage(payload)
	if err != nil {
		return nil, err
	}
	if m.Choice == 0 {
		return nil, errors.New("ras: message type unknown to this version")
	}
	return m, nil
}

// Encode returns the aligned-PER encoding of m.
func Encode(m *h225.RasMessage) ([]byte, error) { return m.Marshal() }

// TransportAddress converts an address to the H.225.0 form: ipAddress for
// IPv4, ip6Address for IPv6.
func TransportAddress(a netip.AddrPort) h225.TransportAddress {
	ip := a.Addr().Unmap()
	if ip.Is4() {
		b := ip.As4()
		return h225.TransportAddress{Choice: h225.TransportAddressIpAddress,
			IpAddress: &h225.TransportAddressIpAddressType{Ip: b[:], Port: int64(a.Port())}}
	}
	b := ip.As16()
	return h225.TransportAddress{Choice: h225.TransportAddressIp6Address,
		Ip6Address: &h225.TransportAddressIp6AddressType{Ip: b[:], Port: int64(a.Port())}}
}

// AddrPort converts an ipAddress or ip6Address TransportAddress back.
func AddrPort(t *h225.TransportAddress) (netip.AddrPort, bool) {
	if t == nil {
		return netip.AddrPort{}, false
	}
	var ip []byte
	var port int64
	switch {
	case t.Choice == h225.TransportAddressIpAddress && t.IpAddress != nil:
		ip, port = t.IpAddress.Ip, t.IpAddress.Port
	case t.Choice == h225.TransportAddressIp6Address && t.Ip6Address != nil:
		ip, port = t.Ip6Address.Ip, t.Ip6Address.Port
	default:
		return netip.AddrPort{}, false
	}
	addr, ok := netip.AddrFromSlice(ip)
	if !ok || port < 0 || port > 65535 {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(addr, uint16(port)), true
}

// Aliases returns the alias list of an endpoint: its h323-ID, then its number
// as dialledDigits when it has one.
func Aliases(alias, number string) []h225.AliasAddress {
	var out []h225.AliasAddress
	if alias != "" {
		out = append(out, h225.AliasAddress{Choice: h225.AliasAddressH323ID, H323ID: alias})
	}
	if number != "" {
		out = append(out, h225.AliasAddress{Choice: h225.AliasAddressDialledDigits, DialledDigits: number})
	}
	return out
}

// DestinationAlias is the alias an ARQ names for a destination: dialledDigits
// when the text is a dialable number, h323-ID otherwise.
func DestinationAlias(dest string) h225.AliasAddress {
	if isDialledDigits(dest) {
		return h225.AliasAddress{Choice: h225.AliasAddressDialledDigits, DialledDigits: dest}
	}
	return h225.AliasAddress{Choice: h225.AliasAddressH323ID, H323ID: dest}
}

func isDialledDigits(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c == '#' || c == '*' || c == ',') {
			return false
		}
	}
	return true
}

// AliasText returns the text of an h323-ID, dialledDigits, url-ID or email-ID
// alias.
func AliasText(a h225.AliasAddress) string {
	switch a.Choice {
	case h225.AliasAddressH323ID:
		return a.H323ID
	case h225.AliasAddressDialledDigits:
		return a.DialledDigits
	case h225.AliasAddressUrlID:
		return a.UrlID
	case h225.AliasAddressEmailID:
		return a.EmailID
	}
	return ""
}

// splitAliases finds the first h323-ID and the first dialledDigits of a list.
func splitAliases(list []h225.AliasAddress) (alias, number string) {
	for _, a := range list {
		switch a.Choice {
		case h225.AliasAddressH323ID:
			if alias == "" {
				alias = a.H323ID
			}
		case h225.AliasAddressDialledDigits:
			if number == "" {
				number = a.DialledDigits
			}
		}
	}
	return alias, number
}

func endpointType() h225.EndpointType {
	v := vendor()
	return h225.EndpointType{Vendor: &v, Terminal: &h225.TerminalInfo{}}
}

func ptr[T any](v T) *T { return &v }

func gatekeeperID(id string) *h225.GatekeeperIdentifier {
	if id == "" {
		return nil
	}
	return ptr(h225.GatekeeperIdentifier(id))
}

func endpointID(id string) *h225.EndpointIdentifier {
	if id == "" {
		return nil
	}
	return ptr(h225.EndpointIdentifier(id))
}

func ttlSeconds(d time.Duration) *h225.TimeToLive {
	if d <= 0 {
		return nil
	}
	s := int64((d + time.Second - 1) / time.Second)
	return ptr(h225.TimeToLive(s))
}

// protocolID is the H.225.0 version the messages announce (version 7, as
// the open-source stacks of the reference capture send it), a fresh copy per
// message.
func protocolID() h225.ProtocolIdentifier { return h225.ProtocolIdentifierV7() }

// NewGRQ builds a GatekeeperRequest. With offerAuth it lists the password
// authentication the endpoint can do, as the reference stacks do: the
// mechanism pwdHash once and the algorithms HMAC-SHA1-96 (H.235.1) and MD5
// (cryptoEPPwdHash).
func NewGRQ(seq uint16, ep Info, offerAuth bool) *h225.RasMessage {
	grq := &h225.GatekeeperRequest{
		RequestSeqNum:        h225.RequestSeqNum(seq),
		ProtocolIdentifier:   protocolID(),
		RasAddress:           TransportAddress(ep.RASAddress),
		EndpointType:         endpointType(),
		GatekeeperIdentifier: gatekeeperID(ep.GatekeeperID),
		EndpointAlias:        Aliases(ep.Alias, ep.Number),
	}
	if offerAuth {
		grq.AuthenticationCapability = []h225.AuthenticationMechanism{{Choice: h225.AuthenticationMechanismPwdHash}}
		grq.AlgorithmOIDs = []asn1per.ObjectIdentifier{OIDHMACSHA196(), OIDMD5()}
	}
	return &h225.RasMessage{Choice: h225.RasMessageGatekeeperRequest, GatekeeperRequest: grq}
}

// NewGCF builds a GatekeeperConfirm; a non-nil algorithm names the
// authentication the gatekeeper selects (authenticationMode pwdHash with that
// algorithmOID).
func NewGCF(seq uint16, gkID string, gkRAS netip.AddrPort, algorithm asn1per.ObjectIdentifier) *h225.RasMessage {
	gcf := &h225.GatekeeperConfirm{
		RequestSeqNum:        h225.RequestSeqNum(seq),
		ProtocolIdentifier:   protocolID(),
		GatekeeperIdentifier: gatekeeperID(gkID),
		RasAddress:           TransportAddress(gkRAS),
	}
	if algorithm != nil {
		gcf.AuthenticationMode = &h225.AuthenticationMechanism{Choice: h225.AuthenticationMechanismPwdHash}
		gcf.AlgorithmOID = algorithm
	}
	return &h225.RasMessage{Choice: h225.RasMessageGatekeeperConfirm, GatekeeperConfirm: gcf}
}

// NewGRJ builds a GatekeeperReject.
func NewGRJ(seq uint16, gkID string, reason h225.GatekeeperRejectReasonChoice) *h225.RasMessage {
	return &h225.RasMessage{Choice: h225.RasMessageGatekeeperReject, GatekeeperReject: &h225.GatekeeperReject{
		RequestSeqNum:        h225.RequestSeqNum(seq),
		ProtocolIdentifier:   protocolID(),
		GatekeeperIdentifier: gatekeeperID(gkID),
		RejectReason:         h225.GatekeeperRejectReason{Choice: reason},
	}}
}

// NewRRQ builds a full RegistrationRequest, shaped like the reference stacks'
// (one call-signalling and one RAS address, terminal type and vendor, the
// aliases, the requested time-to-live, keepAlive false).
func NewRRQ(seq uint16, ep Info, discoveryComplete bool, ttl time.Duration, maintainConnection bool) *h225.RasMessage {
	rrq := &h225.RegistrationRequest{
		RequestSeqNum:        h225.RequestSeqNum(seq),
		ProtocolIdentifier:   protocolID(),
		DiscoveryComplete:    discoveryComplete,
		CallSignalAddress:    []h225.TransportAddress{TransportAddress(ep.CallSignalAddress)},
		RasAddress:           []h225.TransportAddress{TransportAddress(ep.RASAddress)},
		TerminalType:         endpointType(),
		TerminalAlias:        Aliases(ep.Alias, ep.Number),
		GatekeeperIdentifier: gatekeeperID(ep.GatekeeperID),
		EndpointVendor:       vendor(),
		TimeToLive:           ttlSeconds(ttl),
		KeepAlive:            ptr(false),
		WillSupplyUUIEs:      ptr(false),
		MaintainConnection:   ptr(maintainConnection),
	}
	if ep.DeviceAlias != "" && ep.DeviceAlias != ep.Alias {
		rrq.TerminalAlias = append(rrq.TerminalAlias, h225.AliasAddress{Choice: h225.AliasAddressH323ID, H323ID: ep.DeviceAlias})
	}
	return &h225.RasMessage{Choice: h225.RasMessageRegistrationRequest, RegistrationRequest: rrq}
}

// NewKeepAliveRRQ builds a lightweight RRQ (H.225.0 7.9.1): keepAlive true
// with the endpointIdentifier, gatekeeperIdentifier and timeToLive; no
// aliases. The mandatory components keep the endpoint's addresses and vendor.
func NewKeepAliveRRQ(seq uint16, ep Info, ttl time.Duration) *h225.RasMessage {
	rrq := &h225.RegistrationRequest{
		RequestSeqNum:        h225.RequestSeqNum(seq),
		ProtocolIdentifier:   protocolID(),
		DiscoveryComplete:    ep.GatekeeperID != "",
		CallSignalAddress:    []h225.TransportAddress{TransportAddress(ep.CallSignalAddress)},
		RasAddress:           []h225.TransportAddress{TransportAddress(ep.RASAddress)},
		TerminalType:         endpointType(),
		GatekeeperIdentifier: gatekeeperID(ep.GatekeeperID),
		EndpointVendor:       vendor(),
		TimeToLive:           ttlSeconds(ttl),
		KeepAlive:            ptr(true),
		EndpointIdentifier:   endpointID(ep.EndpointID),
	}
	return &h225.RasMessage{Choice: h225.RasMessageRegistrationRequest, RegistrationRequest: rrq}
}

// NewRCF builds a RegistrationConfirm granting ttl (0 = none).
func NewRCF(seq uint16, gkID string, gkCallSignal netip.AddrPort, ep Info, ttl time.Duration) *h225.RasMessage {
	rcf := &h225.RegistrationConfirm{
		RequestSeqNum:        h225.RequestSeqNum(seq),
		ProtocolIdentifier:   protocolID(),
		CallSignalAddress:    []h225.TransportAddress{TransportAddress(gkCallSignal)},
		TerminalAlias:        Aliases(ep.Alias, ep.Number),
		GatekeeperIdentifier: gatekeeperID(gkID),
		EndpointIdentifier:   h225.EndpointIdentifier(ep.EndpointID),
		TimeToLive:           ttlSeconds(ttl),
		WillRespondToIRR:     ptr(false),
		MaintainConnection:   ptr(false),
	}
	return &h225.RasMessage{Choice: h225.RasMessageRegistrationConfirm, RegistrationConfirm: rcf}
}

// NewRRJ builds a RegistrationReject with a reason without parameters.
func NewRRJ(seq uint16, gkID string, reason h225.RegistrationRejectReasonChoice) *h225.RasMessage {
	return &h225.RasMessage{Choice: h225.RasMessageRegistrationReject, RegistrationReject: &h225.RegistrationReject{
		RequestSeqNum:        h225.RequestSeqNum(seq),
		ProtocolIdentifier:   protocolID(),
		RejectReason:         h225.RegistrationRejectReason{Choice: reason},
		GatekeeperIdentifier: gatekeeperID(gkID),
	}}
}

// NewURQ builds an UnregistrationRequest from an endpoint.
func NewURQ(seq uint16, ep Info) *h225.RasMessage {
	return &h225.RasMessage{Choice: h225.RasMessageUnregistrationRequest, UnregistrationRequest: &h225.UnregistrationRequest{
		RequestSeqNum:        h225.RequestSeqNum(seq),
		CallSignalAddress:    []h225.TransportAddress{TransportAddress(ep.CallSignalAddress)},
		EndpointAlias:        Aliases(ep.Alias, ep.Number),
		EndpointIdentifier:   endpointID(ep.EndpointID),
		GatekeeperIdentifier: gatekeeperID(ep.GatekeeperID),
	}}
}

// NewUCF builds an UnregistrationConfirm.
func NewUCF(seq uint16) *h225.RasMessage {
	return &h225.RasMessage{Choice: h225.RasMessageUnregistrationConfirm,
		UnregistrationConfirm: &h225.UnregistrationConfirm{RequestSeqNum: h225.RequestSeqNum(seq)}}
}

// NewURJ builds an UnregistrationReject.
func NewURJ(seq uint16, reason h225.UnregRejectReasonChoice) *h225.RasMessage {
	return &h225.RasMessage{Choice: h225.RasMessageUnregistrationReject, UnregistrationReject: &h225.UnregistrationReject{
		RequestSeqNum: h225.RequestSeqNum(seq),
		RejectReason:  h225.UnregRejectReason{Choice: reason},
	}}
}

// CallInfo identifies one call leg for admission and disengage.
type CallInfo struct {
	CallID        [16]byte // callIdentifier.guid
	ConferenceID  [16]byte
	CallReference uint16 // Q.931 call reference value (15 bits are significant)
	Answer        bool   // true: admission to answer an incoming call
	Destination   string // the called alias or number (outgoing calls)
	Calling       string // the calling number or alias, from the Setup (answering)
}

// NewARQ builds an AdmissionRequest for a point-to-point call, asking for the
// gatekeeper-routed model the PBX uses.
func NewARQ(seq uint16, ep Info, call CallInfo) *h225.RasMessage {
	arq := &h225.AdmissionRequest{
		RequestSeqNum:        h225.RequestSeqNum(seq),
		CallType:             h225.CallType{Choice: h225.CallTypePointToPoint},
		CallModel:            &h225.CallModel{Choice: h225.CallModelGatekeeperRouted},
		EndpointIdentifier:   h225.EndpointIdentifier(ep.EndpointID),
		SrcInfo:              Aliases(ep.Alias, ep.Number),
		SrcCallSignalAddress: ptr(TransportAddress(ep.CallSignalAddress)),
		BandWidth:            DefaultBandwidth,
		CallReferenceValue:   h225.CallReferenceValue(call.CallReference & 0x7fff),
		ConferenceID:         h225.ConferenceIdentifier(call.ConferenceID[:]),
		AnswerCall:           call.Answer,
		CanMapAlias:          ptr(true),
		CallIdentifier:       &h225.CallIdentifier{Guid: h225.GloballyUniqueID(call.CallID[:])},
		GatekeeperIdentifier: gatekeeperID(ep.GatekeeperID),
		WillSupplyUUIEs:      ptr(false),
	}
	if call.Destination != "" {
		arq.DestinationInfo = []h225.AliasAddress{DestinationAlias(call.Destination)}
	}
	if call.Answer {
		// Answering, the endpoint is the destination and the caller the
		// source (as the Setup named them).
		arq.DestinationInfo = Aliases(ep.Alias, ep.Number)
		arq.SrcInfo = nil
		if call.Calling != "" {
			arq.SrcInfo = []h225.AliasAddress{DestinationAlias(call.Calling)}
		}
		arq.SrcCallSignalAddress = nil // the caller's, which the endpoint does not know
	}
	if arq.SrcInfo == nil {
		arq.SrcInfo = []h225.AliasAddress{}
	}
	return &h225.RasMessage{Choice: h225.RasMessageAdmissionRequest, AdmissionRequest: arq}
}

// NewACF builds an AdmissionConfirm for the gatekeeper-routed model: the call
// signalling goes to the gatekeeper's own address.
func NewACF(seq uint16, bandwidth int64, gkCallSignal netip.AddrPort) *h225.RasMessage {
	return &h225.RasMessage{Choice: h225.RasMessageAdmissionConfirm, AdmissionConfirm: &h225.AdmissionConfirm{
		RequestSeqNum:         h225.RequestSeqNum(seq),
		BandWidth:             h225.BandWidth(bandwidth),
		CallModel:             h225.CallModel{Choice: h225.CallModelGatekeeperRouted},
		DestCallSignalAddress: TransportAddress(gkCallSignal),
		WillRespondToIRR:      ptr(false),
	}}
}

// NewARJ builds an AdmissionReject.
func NewARJ(seq uint16, reason h225.AdmissionRejectReasonChoice) *h225.RasMessage {
	return &h225.RasMessage{Choice: h225.RasMessageAdmissionReject, AdmissionReject: &h225.AdmissionReject{
		RequestSeqNum: h225.RequestSeqNum(seq),
		RejectReason:  h225.AdmissionRejectReason{Choice: reason},
	}}
}

// NewDRQ builds a DisengageRequest (normalDrop) for a call that ended.
func NewDRQ(seq uint16, ep Info, call CallInfo) *h225.RasMessage {
	return &h225.RasMessage{Choice: h225.RasMessageDisengageRequest, DisengageRequest: &h225.DisengageRequest{
		RequestSeqNum:        h225.RequestSeqNum(seq),
		EndpointIdentifier:   h225.EndpointIdentifier(ep.EndpointID),
		ConferenceID:         h225.ConferenceIdentifier(call.ConferenceID[:]),
		CallReferenceValue:   h225.CallReferenceValue(call.CallReference & 0x7fff),
		DisengageReason:      h225.DisengageReason{Choice: h225.DisengageReasonNormalDrop},
		CallIdentifier:       &h225.CallIdentifier{Guid: h225.GloballyUniqueID(call.CallID[:])},
		GatekeeperIdentifier: gatekeeperID(ep.GatekeeperID),
		AnsweredCall:         ptr(call.Answer),
	}}
}

// NewDCF builds a DisengageConfirm.
func NewDCF(seq uint16) *h225.RasMessage {
	return &h225.RasMessage{Choice: h225.RasMessageDisengageConfirm,
		DisengageConfirm: &h225.DisengageConfirm{RequestSeqNum: h225.RequestSeqNum(seq)}}
}

// NewDRJ builds a DisengageReject.
func NewDRJ(seq uint16, reason h225.DisengageRejectReasonChoice) *h225.RasMessage {
	return &h225.RasMessage{Choice: h225.RasMessageDisengageReject, DisengageReject: &h225.DisengageReject{
		RequestSeqNum: h225.RequestSeqNum(seq),
		RejectReason:  h225.DisengageRejectReason{Choice: reason},
	}}
}

// NewIRQ builds an InfoRequest from a gatekeeper: callReferenceValue 0 asks
// about the endpoint and all its calls.
func NewIRQ(seq uint16, replyTo netip.AddrPort) *h225.RasMessage {
	return &h225.RasMessage{Choice: h225.RasMessageInfoRequest, InfoRequest: &h225.InfoRequest{
		RequestSeqNum: h225.RequestSeqNum(seq),
		ReplyAddress:  ptr(TransportAddress(replyTo)),
	}}
}

// NewIRR builds an InfoRequestResponse describing the endpoint (no calls).
func NewIRR(seq uint16, ep Info) *h225.RasMessage {
	return &h225.RasMessage{Choice: h225.RasMessageInfoRequestResponse, InfoRequestResponse: &h225.InfoRequestResponse{
		RequestSeqNum:      h225.RequestSeqNum(seq),
		EndpointType:       endpointType(),
		EndpointIdentifier: h225.EndpointIdentifier(ep.EndpointID),
		RasAddress:         TransportAddress(ep.RASAddress),
		CallSignalAddress:  []h225.TransportAddress{TransportAddress(ep.CallSignalAddress)},
		EndpointAlias:      Aliases(ep.Alias, ep.Number),
		NeedResponse:       ptr(false),
	}}
}

// NewRIP builds a RequestInProgress: the answer to request seq will take up
// to delay (sent in milliseconds, 1..65535).
func NewRIP(seq uint16, delay time.Duration) *h225.RasMessage {
	ms := min(max(delay.Milliseconds(), 1), 65535)
	return &h225.RasMessage{Choice: h225.RasMessageRequestInProgress,
		RequestInProgress: &h225.RequestInProgress{RequestSeqNum: h225.RequestSeqNum(seq), Delay: ms}}
}

// NewXRS builds an UnknownMessageResponse quoting the message not understood.
func NewXRS(seq uint16, notUnderstood []byte) *h225.RasMessage {
	return &h225.RasMessage{Choice: h225.RasMessageUnknownMessageResponse, UnknownMessageResponse: &h225.UnknownMessageResponse{
		RequestSeqNum:        h225.RequestSeqNum(max(seq, 1)),
		MessageNotUnderstood: append([]byte{}, notUnderstood...),
	}}
}

// SeqNum returns the requestSeqNum of any RAS message, or 0 for one without
// (an unknown alternative, a nonStandardMessage's is returned as well).
func SeqNum(m *h225.RasMessage) uint16 {
	var s h225.RequestSeqNum
	switch m.Choice {
	case h225.RasMessageGatekeeperRequest:
		s = m.GatekeeperRequest.RequestSeqNum
	case h225.RasMessageGatekeeperConfirm:
		s = m.GatekeeperConfirm.RequestSeqNum
	case h225.RasMessageGatekeeperReject:
		s = m.GatekeeperReject.RequestSeqNum
	case h225.RasMessageRegistrationRequest:
		s = m.RegistrationRequest.RequestSeqNum
	case h225.RasMessageRegistrationConfirm:
		s = m.RegistrationConfirm.RequestSeqNum
	case h225.RasMessageRegistrationReject:
		s = m.RegistrationReject.RequestSeqNum
	case h225.RasMessageUnregistrationRequest:
		s = m.UnregistrationRequest.RequestSeqNum
	case h225.RasMessageUnregistrationConfirm:
		s = m.UnregistrationConfirm.RequestSeqNum
	case h225.RasMessageUnregistrationReject:
		s = m.UnregistrationReject.RequestSeqNum
	case h225.RasMessageAdmissionRequest:
		s = m.AdmissionRequest.RequestSeqNum
	case h225.RasMessageAdmissionConfirm:
		s = m.AdmissionConfirm.RequestSeqNum
	case h225.RasMessageAdmissionReject:
		s = m.AdmissionReject.RequestSeqNum
	case h225.RasMessageBandwidthRequest:
		s = m.BandwidthRequest.RequestSeqNum
	case h225.RasMessageBandwidthConfirm:
		s = m.BandwidthConfirm.RequestSeqNum
	case h225.RasMessageBandwidthReject:
		s = m.BandwidthReject.RequestSeqNum
	case h225.RasMessageDisengageRequest:
		s = m.DisengageRequest.RequestSeqNum
	case h225.RasMessageDisengageConfirm:
		s = m.DisengageConfirm.RequestSeqNum
	case h225.RasMessageDisengageReject:
		s = m.DisengageReject.RequestSeqNum
	case h225.RasMessageLocationRequest:
		s = m.LocationRequest.RequestSeqNum
	case h225.RasMessageLocationConfirm:
		s = m.LocationConfirm.RequestSeqNum
	case h225.RasMessageLocationReject:
		s = m.LocationReject.RequestSeqNum
	case h225.RasMessageInfoRequest:
		s = m.InfoRequest.RequestSeqNum
	case h225.RasMessageInfoRequestResponse:
		s = m.InfoRequestResponse.RequestSeqNum
	case h225.RasMessageNonStandardMessage:
		s = m.NonStandardMessage.RequestSeqNum
	case h225.RasMessageUnknownMessageResponse:
		s = m.UnknownMessageResponse.RequestSeqNum
	case h225.RasMessageRequestInProgress:
		s = m.RequestInProgress.RequestSeqNum
	case h225.RasMessageResourcesAvailableIndicate:
		s = m.ResourcesAvailableIndicate.RequestSeqNum
	case h225.RasMessageResourcesAvailableConfirm:
		s = m.ResourcesAvailableConfirm.RequestSeqNum
	case h225.RasMessageInfoRequestAck:
		s = m.InfoRequestAck.RequestSeqNum
	case h225.RasMessageInfoRequestNak:
		s = m.InfoRequestNak.RequestSeqNum
	case h225.RasMessageServiceControlIndication:
		s = m.ServiceControlIndication.RequestSeqNum
	case h225.RasMessageServiceControlResponse:
		s = m.ServiceControlResponse.RequestSeqNum
	}
	return uint16(s)
}

// IsKeepAlive tells whether m is a lightweight RRQ.
func IsKeepAlive(m *h225.RasMessage) bool {
	return m.Choice == h225.RasMessageRegistrationRequest && m.RegistrationRequest.KeepAlive != nil && *m.RegistrationRequest.KeepAlive
}

// Attrs returns the timeline attributes of a message: seq, keepalive=true on
// a lightweight RRQ, reason on a reject.
func Attrs(m *h225.RasMessage) []timeline.Attr {
	attrs := []timeline.Attr{{Key: "seq", Value: strconv.Itoa(int(SeqNum(m)))}}
	if IsKeepAlive(m) {
		attrs = append(attrs, timeline.Attr{Key: "keepalive", Value: "true"})
	}
	if reason, ok := RejectReason(m); ok {
		attrs = append(attrs, timeline.Attr{Key: "reason", Value: reason})
	}
	return attrs
}
