package decode

import (
	"fmt"

	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/h323/q931"
)

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
	var f Fields
	switch m.Choice {
	case h225.RasMessageGatekeeperRequest:
		v := m.GatekeeperRequest
		f.RequestSeqNum, f.Aliases, f.GatekeeperIdentifier = seq(v.RequestSeqNum), aliases(v.EndpointAlias), str(v.GatekeeperIdentifier)
		f.RASAddress = []string{transport(&v.RasAddress)}
	case h225.RasMessageGatekeeperConfirm:
		v := m.GatekeeperConfirm
		f.RequestSeqNum, f.GatekeeperIdentifier = seq(v.RequestSeqNum), str(v.GatekeeperIdentifier)
		f.RASAddress = []string{transport(&v.RasAddress)}
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

// uuFields adds the key fields of the H.225.0 body.
func uuFields(f *Fields, b *h225.H323UUPDUH323MessageBody) {
	switch b.Choice {
	case h225.H323UUPDUH323MessageBodySetup:
		v := b.Setup
		f.Aliases, f.Destination = aliases(v.SourceAddress), aliases(v.DestinationAddress)
		f.CallIdentifier, f.EndpointIdentifier = callID(v.CallIdentifier), str(v.EndpointIdentifier)
	case h225.H323UUPDUH323MessageBodyCallProceeding:
		f.CallIdentifier = callID(b.CallProceeding.CallIdentifier)
	case h225.H323UUPDUH323MessageBodyAlerting:
		f.CallIdentifier, f.Aliases = callID(b.Alerting.CallIdentifier), aliases(b.Alerting.AlertingAddress)
	case h225.H323UUPDUH323MessageBodyConnect:
		f.CallIdentifier, f.Aliases = callID(b.Connect.CallIdentifier), aliases(b.Connect.ConnectedAddress)
	case h225.H323UUPDUH323MessageBodyReleaseComplete:
		v := b.ReleaseComplete
		f.CallIdentifier = callID(v.CallIdentifier)
		if v.Reason != nil {
			f.Reason = alternativeName(v.Reason.Choice, v.Reason.Raw)
		}
	case h225.H323UUPDUH323MessageBodyFacility:
		f.CallIdentifier = callID(b.Facility.CallIdentifier)
	case h225.H323UUPDUH323MessageBodyProgress:
		f.CallIdentifier = callID(&b.Progress.CallIdentifier)
	case h225.H323UUPDUH323MessageBodyInformation:
		f.CallIdentifier = callID(b.Information.CallIdentifier)
	}
}
