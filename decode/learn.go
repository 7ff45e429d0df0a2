package decode

import (
	"net/netip"

	"github.com/callwake/callwake/h323/h225"
)

// MaxLearnt bounds the addresses learnt from a capture's messages (each
// kind). A capture cannot make the decoder hold more: beyond it, messages
// are still found on the well-known ports and by the TPKT heuristic.
const MaxLearnt = 1 << 14

// learnt holds the transport addresses the capture's own messages announced
// for RAS and for call signalling: an endpoint's RRQ names its
// callSignalAddress (often not 1720), an ACF the address to call, a Setup
// where it comes from, a GCF the gatekeeper's RAS address. Traffic to or
// from them is H.225.0 whatever its port.
type learnt struct {
	ras, signalling map[netip.AddrPort]bool
}

func (l *learnt) isRAS(a netip.AddrPort) bool {
	return a.Port() == RASPort || l.ras[a]
}

func (l *learnt) isSignalling(a netip.AddrPort) bool {
	return a.Port() == SignallingPort || l.signalling[a]
}

// add records an address; it reports whether it is new.
func add(m *map[netip.AddrPort]bool, a netip.AddrPort) bool {
	if !a.IsValid() || a.Port() == 0 || (*m)[a] || len(*m) >= MaxLearnt {
		return false
	}
	if *m == nil {
		*m = map[netip.AddrPort]bool{}
	}
	(*m)[a] = true
	return true
}

func (d *Decoder) learnRASAddress(t *h225.TransportAddress) {
	if a, ok := addrOf(t); ok {
		add(&d.learnt.ras, a)
	}
}

// learnSignallingAddress records a call-signalling address and gives the
// TCP streams already open on it the second look they now deserve.
func (d *Decoder) learnSignallingAddress(t *h225.TransportAddress) {
	if a, ok := addrOf(t); ok && a.Port() != SignallingPort && add(&d.learnt.signalling, a) {
		d.tcp.secondLook(d, a)
	}
}

func (d *Decoder) learnEndpoints(es []h225.Endpoint) {
	for i := range es {
		for j := range es[i].CallSignalAddress {
			d.learnSignallingAddress(&es[i].CallSignalAddress[j])
		}
		for j := range es[i].RasAddress {
			d.learnRASAddress(&es[i].RasAddress[j])
		}
	}
}

func (d *Decoder) learnAlternateGKs(gks []h225.AlternateGK) {
	for i := range gks {
		d.learnRASAddress(&gks[i].RasAddress)
	}
}

// learnRAS records the addresses a RAS message announces.
func (d *Decoder) learnRAS(m *h225.RasMessage) {
	each := func(ts []h225.TransportAddress, f func(*h225.TransportAddress)) {
		for i := range ts {
			f(&ts[i])
		}
	}
	switch m.Choice {
	case h225.RasMessageGatekeeperRequest:
		d.learnRASAddress(&m.GatekeeperRequest.RasAddress)
		d.learnEndpoints(m.GatekeeperRequest.AlternateEndpoints)
	case h225.RasMessageGatekeeperConfirm:
		d.learnRASAddress(&m.GatekeeperConfirm.RasAddress)
		d.learnAlternateGKs(m.GatekeeperConfirm.AlternateGatekeeper)
	case h225.RasMessageGatekeeperReject:
		if alt := m.GatekeeperReject.AltGKInfo; alt != nil {
			d.learnAlternateGKs(alt.AlternateGatekeeper)
		}
	case h225.RasMessageRegistrationRequest:
		v := m.RegistrationRequest
		each(v.CallSignalAddress, d.learnSignallingAddress)
		each(v.RasAddress, d.learnRASAddress)
		d.learnEndpoints(v.AlternateEndpoints)
	case h225.RasMessageRegistrationConfirm:
		each(m.RegistrationConfirm.CallSignalAddress, d.learnSignallingAddress)
		d.learnAlternateGKs(m.RegistrationConfirm.AlternateGatekeeper)
	case h225.RasMessageUnregistrationRequest:
		each(m.UnregistrationRequest.CallSignalAddress, d.learnSignallingAddress)
	case h225.RasMessageAdmissionRequest:
		v := m.AdmissionRequest
		if v.SrcCallSignalAddress != nil {
			d.learnSignallingAddress(v.SrcCallSignalAddress)
		}
		if v.DestCallSignalAddress != nil {
			d.learnSignallingAddress(v.DestCallSignalAddress)
		}
	case h225.RasMessageAdmissionConfirm:
		d.learnSignallingAddress(&m.AdmissionConfirm.DestCallSignalAddress)
		d.learnEndpoints(m.AdmissionConfirm.AlternateEndpoints)
	case h225.RasMessageLocationConfirm:
		v := m.LocationConfirm
		d.learnSignallingAddress(&v.CallSignalAddress)
		d.learnRASAddress(&v.RasAddress)
		d.learnEndpoints(v.AlternateEndpoints)
	case h225.RasMessageInfoRequestResponse:
		v := m.InfoRequestResponse
		d.learnRASAddress(&v.RasAddress)
		each(v.CallSignalAddress, d.learnSignallingAddress)
	}
}

// learnSignalling records the addresses an H.225.0 body announces.
func (d *Decoder) learnSignalling(info *h225.H323UserInformation) {
	b := &info.H323UuPdu.H323MessageBody
	switch b.Choice {
	case h225.H323UUPDUH323MessageBodySetup:
		if a := b.Setup.SourceCallSignalAddress; a != nil {
			d.learnSignallingAddress(a)
		}
		if a := b.Setup.DestCallSignalAddress; a != nil {
			d.learnSignallingAddress(a)
		}
	case h225.H323UUPDUH323MessageBodyFacility:
		if a := b.Facility.AlternativeAddress; a != nil {
			d.learnSignallingAddress(a)
		}
	}
}
