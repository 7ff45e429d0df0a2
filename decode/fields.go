package decode

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/h323/q931"
)

// Fields are the key fields of a message; absent ones are empty.
type Fields struct {
	RequestSeqNum *int64 `json:"requestSeqNum,omitempty"`
	// CallReference is the Q.931 call reference value.
	CallReference *uint16 `json:"callReference,omitempty"`
	// Aliases are the message's own aliases (terminal, endpoint, source or
	// connected ones), as "h323-ID:alice" or "dialledDigits:2001".
	Aliases []string `json:"aliases,omitempty"`
	// Destination are the aliases called (destinationInfo, destinationAddress).
	Destination          []string `json:"destination,omitempty"`
	CallingNumber        string   `json:"callingNumber,omitempty"`
	CalledNumber         string   `json:"calledNumber,omitempty"`
	Display              string   `json:"display,omitempty"`
	Cause                *int     `json:"cause,omitempty"`
	CallIdentifier       string   `json:"callIdentifier,omitempty"`
	EndpointIdentifier   string   `json:"endpointIdentifier,omitempty"`
	GatekeeperIdentifier string   `json:"gatekeeperIdentifier,omitempty"`
	RejectReason         string   `json:"rejectReason,omitempty"`
	// Reason is a Release Complete's or a Facility's H.225.0 reason.
	Reason            string   `json:"reason,omitempty"`
	TimeToLive        *int64   `json:"timeToLive,omitempty"`
	KeepAlive         bool     `json:"keepAlive,omitempty"`
	CallSignalAddress []string `json:"callSignalAddress,omitempty"`
	RASAddress        []string `json:"rasAddress,omitempty"`
	// DestCallSignalAddress is the address an ARQ or a Setup asks to reach.
	DestCallSignalAddress string `json:"destCallSignalAddress,omitempty"`
	// AnswerCall: an ARQ asking to answer a call rather than place one.
	AnswerCall bool `json:"answerCall,omitempty"`
	// Authentication lists the H.235 mechanisms a GRQ offers or a GCF
	// picks; Algorithms the algorithm OIDs with them.
	Authentication []string `json:"authentication,omitempty"`
	Algorithms     []string `json:"algorithms,omitempty"`
	// Tokens are the message's H.235 tokens, without their secrets.
	Tokens []Token `json:"tokens,omitempty"`
	// Vendor is what an endpoint says of itself (endpointVendor, or the
	// vendor of a Setup's sourceInfo or an answer's destinationInfo).
	Vendor *Vendor `json:"vendor,omitempty"`
	// H245 names the H.245 messages tunnelled in the message
	// (h245Control), FastStart counts its fastStart proposals and
	// H245Address is where it offers a separate H.245 connection.
	H245        []string `json:"h245,omitempty"`
	FastStart   int      `json:"fastStart,omitempty"`
	H245Address string   `json:"h245Address,omitempty"`
	// TunnelledRAS counts the RAS messages an H.460.17 Facility carries
	// (each is a message of its own, after the Facility).
	TunnelledRAS int `json:"tunnelledRAS,omitempty"`
}

// Vendor is an H.225.0 VendorIdentifier.
type Vendor struct {
	// Manufacturer is the H.221 code, "country/extension/manufacturer".
	Manufacturer string `json:"manufacturer"`
	Product      string `json:"product,omitempty"`
	Version      string `json:"version,omitempty"`
}

// String renders the vendor as "product version (H.221 country/extension/manufacturer)".
func (v Vendor) String() string {
	var parts []string
	for _, p := range []string{v.Product, v.Version} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	parts = append(parts, "(H.221 "+v.Manufacturer+")")
	return strings.Join(parts, " ")
}

func vendorOf(v *h225.VendorIdentifier) *Vendor {
	if v == nil {
		return nil
	}
	h := v.Vendor
	return &Vendor{
		Manufacturer: fmt.Sprintf("%d/%d/%d", h.T35CountryCode, h.T35Extension, h.ManufacturerCode),
		Product:      printable(v.ProductId),
		Version:      printable(v.VersionId),
	}
}

func endpointVendor(e *h225.EndpointType) *Vendor {
	if e == nil {
		return nil
	}
	return vendorOf(e.Vendor)
}

// printable turns an octet string meant as text into text: trailing NULs
// (C strings) dropped, anything unprintable quoted.
func printable(b []byte) string { return quoteUnprintable(strings.TrimRight(string(b), "\x00")) }

// quoteUnprintable quotes a text that holds control characters or invalid
// UTF-8, so that what a capture says cannot garble the output.
func quoteUnprintable(s string) string {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return strconv.Quote(s)
		}
	}
	return s
}

func formatInt(v int64) string { return strconv.FormatInt(v, 10) }

// Alias formats an alias as its ASN.1 alternative name and value
// ("h323-ID:alice", "dialledDigits:2001").
func Alias(a *h225.AliasAddress) string {
	switch a.Choice {
	case h225.AliasAddressDialledDigits:
		return "dialledDigits:" + a.DialledDigits
	case h225.AliasAddressH323ID:
		return "h323-ID:" + a.H323ID
	case h225.AliasAddressUrlID:
		return "url-ID:" + a.UrlID
	case h225.AliasAddressEmailID:
		return "email-ID:" + a.EmailID
	case h225.AliasAddressTransportID:
		return "transportID:" + transport(a.TransportID)
	case h225.AliasAddressPartyNumber:
		p := a.PartyNumber
		switch {
		case p.E164Number != nil:
			return "partyNumber:" + string(p.E164Number.PublicNumberDigits)
		case p.PrivateNumber != nil:
			return "partyNumber:" + string(p.PrivateNumber.PrivateNumberDigits)
		}
		return "partyNumber"
	}
	return fmt.Sprintf("alias(%d)", a.Choice)
}

func aliases(as []h225.AliasAddress) []string {
	var out []string
	for i := range as {
		out = append(out, Alias(&as[i]))
	}
	return out
}

func seq(n h225.RequestSeqNum) *int64 { v := int64(n); return &v }

func ttl(t *h225.TimeToLive) *int64 {
	if t == nil {
		return nil
	}
	v := int64(*t)
	return &v
}

func str[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return string(*p)
}

func callID(c *h225.CallIdentifier) string {
	if c == nil {
		return ""
	}
	return GUID(c.Guid)
}

// rasFields picks the key fields of each RAS message.
func rasFields(m *h225.RasMessage) Fields {
	f := Fields{Tokens: tokensOf(chosen(m))}
	switch m.Choice {
	case h225.RasMessageGatekeeperRequest:
		v := m.GatekeeperRequest
		f.RequestSeqNum, f.Aliases, f.GatekeeperIdentifier = seq(v.RequestSeqNum), aliases(v.EndpointAlias), str(v.GatekeeperIdentifier)
		f.RASAddress = []string{transport(&v.RasAddress)}
		f.Vendor = endpointVendor(&v.EndpointType)
		for i := range v.AuthenticationCapability {
			a := &v.AuthenticationCapability[i]
			f.Authentication = append(f.Authentication, alternativeName(a.Choice, a.Raw))
		}
		for _, oid := range v.AlgorithmOIDs {
			f.Algorithms = append(f.Algorithms, OIDName(oid))
		}
	case h225.RasMessageGatekeeperConfirm:
		v := m.GatekeeperConfirm
		f.RequestSeqNum, f.GatekeeperIdentifier = seq(v.RequestSeqNum), str(v.GatekeeperIdentifier)
		f.RASAddress = []string{transport(&v.RasAddress)}
		if a := v.AuthenticationMode; a != nil {
			f.Authentication = []string{alternativeName(a.Choice, a.Raw)}
		}
		if v.AlgorithmOID != nil {
			f.Algorithms = []string{OIDName(v.AlgorithmOID)}
		}
	case h225.RasMessageGatekeeperReject:
		v := m.GatekeeperReject
		f.RequestSeqNum, f.GatekeeperIdentifier = seq(v.RequestSeqNum), str(v.GatekeeperIdentifier)
		f.RejectReason = alternativeName(v.RejectReason.Choice, v.RejectReason.Raw)
	case h225.RasMessageRegistrationRequest:
		v := m.RegistrationRequest
		f.RequestSeqNum, f.Aliases, f.GatekeeperIdentifier = seq(v.RequestSeqNum), aliases(v.TerminalAlias), str(v.GatekeeperIdentifier)
		f.CallSignalAddress, f.RASAddress = transports(v.CallSignalAddress), transports(v.RasAddress)
		f.EndpointIdentifier, f.TimeToLive = str(v.EndpointIdentifier), ttl(v.TimeToLive)
		f.KeepAlive = v.KeepAlive != nil && *v.KeepAlive
		f.Vendor = vendorOf(&v.EndpointVendor)
	case h225.RasMessageRegistrationConfirm:
		v := m.RegistrationConfirm
		f.RequestSeqNum, f.Aliases, f.GatekeeperIdentifier = seq(v.RequestSeqNum), aliases(v.TerminalAlias), str(v.GatekeeperIdentifier)
		f.CallSignalAddress = transports(v.CallSignalAddress)
		f.EndpointIdentifier, f.TimeToLive = string(v.EndpointIdentifier), ttl(v.TimeToLive)
	case h225.RasMessageRegistrationReject:
		v := m.RegistrationReject
		f.RequestSeqNum, f.GatekeeperIdentifier = seq(v.RequestSeqNum), str(v.GatekeeperIdentifier)
		f.RejectReason = alternativeName(v.RejectReason.Choice, v.RejectReason.Raw)
	case h225.RasMessageUnregistrationRequest:
		v := m.UnregistrationRequest
		f.RequestSeqNum, f.Aliases, f.GatekeeperIdentifier = seq(v.RequestSeqNum), aliases(v.EndpointAlias), str(v.GatekeeperIdentifier)
		f.CallSignalAddress, f.EndpointIdentifier = transports(v.CallSignalAddress), str(v.EndpointIdentifier)
	case h225.RasMessageUnregistrationConfirm:
		f.RequestSeqNum = seq(m.UnregistrationConfirm.RequestSeqNum)
	case h225.RasMessageUnregistrationReject:
		v := m.UnregistrationReject
		f.RequestSeqNum, f.RejectReason = seq(v.RequestSeqNum), alternativeName(v.RejectReason.Choice, v.RejectReason.Raw)
	case h225.RasMessageAdmissionRequest:
		v := m.AdmissionRequest
		f.RequestSeqNum, f.Aliases, f.Destination = seq(v.RequestSeqNum), aliases(v.SrcInfo), aliases(v.DestinationInfo)
		f.EndpointIdentifier, f.GatekeeperIdentifier = string(v.EndpointIdentifier), str(v.GatekeeperIdentifier)
		f.CallIdentifier = callID(v.CallIdentifier)
		if v.SrcCallSignalAddress != nil {
			f.CallSignalAddress = []string{transport(v.SrcCallSignalAddress)}
		}
		if v.DestCallSignalAddress != nil {
			f.DestCallSignalAddress = transport(v.DestCallSignalAddress)
		}
		f.AnswerCall = bool(v.AnswerCall)
	case h225.RasMessageAdmissionConfirm:
		v := m.AdmissionConfirm
		f.RequestSeqNum, f.Destination = seq(v.RequestSeqNum), aliases(v.DestinationInfo)
		f.CallSignalAddress = []string{transport(&v.DestCallSignalAddress)}
	case h225.RasMessageAdmissionReject:
		v := m.AdmissionReject
		f.RequestSeqNum, f.RejectReason = seq(v.RequestSeqNum), alternativeName(v.RejectReason.Choice, v.RejectReason.Raw)
	case h225.RasMessageBandwidthRequest:
		v := m.BandwidthRequest
		f.RequestSeqNum, f.EndpointIdentifier, f.CallIdentifier = seq(v.RequestSeqNum), string(v.EndpointIdentifier), callID(v.CallIdentifier)
	case h225.RasMessageBandwidthConfirm:
		f.RequestSeqNum = seq(m.BandwidthConfirm.RequestSeqNum)
	case h225.RasMessageBandwidthReject:
		v := m.BandwidthReject
		f.RequestSeqNum, f.RejectReason = seq(v.RequestSeqNum), alternativeName(v.RejectReason.Choice, v.RejectReason.Raw)
	case h225.RasMessageDisengageRequest:
		v := m.DisengageRequest
		f.RequestSeqNum, f.EndpointIdentifier, f.CallIdentifier = seq(v.RequestSeqNum), string(v.EndpointIdentifier), callID(v.CallIdentifier)
		f.GatekeeperIdentifier = str(v.GatekeeperIdentifier)
	case h225.RasMessageDisengageConfirm:
		f.RequestSeqNum = seq(m.DisengageConfirm.RequestSeqNum)
	case h225.RasMessageDisengageReject:
		v := m.DisengageReject
		f.RequestSeqNum, f.RejectReason = seq(v.RequestSeqNum), alternativeName(v.RejectReason.Choice, v.RejectReason.Raw)
	case h225.RasMessageLocationRequest:
		v := m.LocationRequest
		f.RequestSeqNum, f.Aliases, f.Destination = seq(v.RequestSeqNum), aliases(v.SourceInfo), aliases(v.DestinationInfo)
		f.EndpointIdentifier = str(v.EndpointIdentifier)
	case h225.RasMessageLocationConfirm:
		v := m.LocationConfirm
		f.RequestSeqNum = seq(v.RequestSeqNum)
		f.CallSignalAddress, f.RASAddress = []string{transport(&v.CallSignalAddress)}, []string{transport(&v.RasAddress)}
	case h225.RasMessageLocationReject:
		v := m.LocationReject
		f.RequestSeqNum, f.RejectReason = seq(v.RequestSeqNum), alternativeName(v.RejectReason.Choice, v.RejectReason.Raw)
	case h225.RasMessageInfoRequest:
		v := m.InfoRequest
		f.RequestSeqNum, f.CallIdentifier = seq(v.RequestSeqNum), callID(v.CallIdentifier)
	case h225.RasMessageInfoRequestResponse:
		v := m.InfoRequestResponse
		f.RequestSeqNum, f.Aliases, f.EndpointIdentifier = seq(v.RequestSeqNum), aliases(v.EndpointAlias), string(v.EndpointIdentifier)
		f.CallSignalAddress, f.RASAddress = transports(v.CallSignalAddress), []string{transport(&v.RasAddress)}
	case h225.RasMessageRequestInProgress:
		f.RequestSeqNum = seq(m.RequestInProgress.RequestSeqNum)
	case h225.RasMessageUnknownMessageResponse:
		f.RequestSeqNum = seq(m.UnknownMessageResponse.RequestSeqNum)
	}
	return f
}

// q931Fields picks the Q.931 information elements of interest. An element
// that is present but malformed is left out here: the message re-encodes
// from its raw elements anyway, and verification judges the bytes.
func q931Fields(m *q931.Message) Fields {
	ref := m.CallReference
	f := Fields{CallReference: &ref}
	if p, err := m.CallingPartyNumber(); err == nil {
		f.CallingNumber = p.Digits
	}
	if p, err := m.CalledPartyNumber(); err == nil {
		f.CalledNumber = p.Digits
	}
	if d, err := m.Display(); err == nil {
		f.Display = string(d)
	}
	if c, err := m.Cause(); err == nil {
		v := int(c.Value)
		f.Cause = &v
	}
	return f
}

// uuFields adds the key fields of the H.225.0 body and its H.245 content.
func uuFields(f *Fields, pdu *h225.H323UUPDU) {
	for _, h := range pdu.H245Control {
		f.H245 = append(f.H245, H245Name(h))
	}
	b := &pdu.H323MessageBody
	f.Tokens = tokensOf(chosen(b))
	switch b.Choice {
	case h225.H323UUPDUH323MessageBodySetup:
		v := b.Setup
		f.Aliases, f.Destination = aliases(v.SourceAddress), aliases(v.DestinationAddress)
		f.CallIdentifier, f.EndpointIdentifier = callID(v.CallIdentifier), str(v.EndpointIdentifier)
		f.Vendor, f.FastStart = endpointVendor(&v.SourceInfo), len(v.FastStart)
		if v.SourceCallSignalAddress != nil {
			f.CallSignalAddress = []string{transport(v.SourceCallSignalAddress)}
		}
		if v.DestCallSignalAddress != nil {
			f.DestCallSignalAddress = transport(v.DestCallSignalAddress)
		}
		f.H245Address = h245Address(v.H245Address)
	case h225.H323UUPDUH323MessageBodyCallProceeding:
		v := b.CallProceeding
		f.CallIdentifier, f.Vendor, f.FastStart = callID(v.CallIdentifier), endpointVendor(&v.DestinationInfo), len(v.FastStart)
		f.H245Address = h245Address(v.H245Address)
	case h225.H323UUPDUH323MessageBodyAlerting:
		v := b.Alerting
		f.CallIdentifier, f.Aliases = callID(v.CallIdentifier), aliases(v.AlertingAddress)
		f.Vendor, f.FastStart, f.H245Address = endpointVendor(&v.DestinationInfo), len(v.FastStart), h245Address(v.H245Address)
	case h225.H323UUPDUH323MessageBodyConnect:
		v := b.Connect
		f.CallIdentifier, f.Aliases = callID(v.CallIdentifier), aliases(v.ConnectedAddress)
		f.Vendor, f.FastStart, f.H245Address = endpointVendor(&v.DestinationInfo), len(v.FastStart), h245Address(v.H245Address)
	case h225.H323UUPDUH323MessageBodyReleaseComplete:
		v := b.ReleaseComplete
		f.CallIdentifier = callID(v.CallIdentifier)
		if v.Reason != nil {
			f.Reason = alternativeName(v.Reason.Choice, v.Reason.Raw)
		}
	case h225.H323UUPDUH323MessageBodyFacility:
		v := b.Facility
		f.CallIdentifier, f.Reason = callID(v.CallIdentifier), alternativeName(v.Reason.Choice, v.Reason.Raw)
		f.FastStart, f.H245Address = len(v.FastStart), h245Address(v.H245Address)
	case h225.H323UUPDUH323MessageBodyProgress:
		f.CallIdentifier = callID(&b.Progress.CallIdentifier)
	case h225.H323UUPDUH323MessageBodyInformation:
		f.CallIdentifier = callID(b.Information.CallIdentifier)
	}
}

func h245Address(t *h225.TransportAddress) string {
	if t == nil {
		return ""
	}
	return transport(t)
}

// MaxEndpoints bounds the endpoints a summary lists.
const MaxEndpoints = 4096

// Endpoint is an H.323 endpoint as its messages describe it: the address
// it sent from, its aliases and its vendor.
type Endpoint struct {
	Address string   `json:"address"`
	Aliases []string `json:"aliases,omitempty"`
	Vendor  Vendor   `json:"vendor"`
}

// noteEndpoint records the vendor a message's sender announces, once per
// endpoint: an endpoint speaks from several addresses (RAS, and a port per
// call), so one that names the same aliases and vendor again is the same.
func (d *Decoder) noteEndpoint(m *Message) {
	if m.Source == "" || m.Fields.Vendor == nil {
		return
	}
	key := m.Source
	if len(m.Fields.Aliases) > 0 {
		key = strings.Join(m.Fields.Aliases, ",") + " " + m.Fields.Vendor.String()
	}
	if _, ok := d.endpoints[key]; ok || len(d.sum.Endpoints) >= MaxEndpoints {
		return
	}
	d.endpoints[key] = len(d.sum.Endpoints)
	d.sum.Endpoints = append(d.sum.Endpoints, Endpoint{Address: m.Source, Aliases: m.Fields.Aliases, Vendor: *m.Fields.Vendor})
}
