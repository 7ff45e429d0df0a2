package ras

import (
	"fmt"
	"github.com/callwake/callwake/node"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	epRAS  = netip.MustParseAddrPort("10.0.0.2:1719")
	epCS   = netip.MustParseAddrPort("10.0.0.2:1720")
	gkRAS  = netip.MustParseAddrPort("10.0.0.1:1719")
	epoch0 = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)
)

// harness connects an Endpoint and a Gatekeeper by shuttling their Send
// effects to each other instantly, with a fake clock and timer tables.
type harness struct {
	t        *testing.T
	now      time.Time
	ep       *Endpoint
	gk       *Gatekeeper
	epTimers map[TimerID]time.Time
	gkTimers map[TimerID]time.Time
	// log lists what happened: "ep ras.rrq seq=1", "gk ras.rcf seq=1",
	// "ep Registered ep-0001 2m0s", "gk record ras.registration_expired" ...
	log []string
	// drop, when set, loses the datagrams it returns true for.
	drop func(from string, s Send) bool
	// tamper, when set, may change a datagram in flight.
	tamper func(from string, s Send) []byte
	// gkSkew is added to the time the gatekeeper sees.
	gkSkew time.Duration
	// wire keeps every datagram sent, lost or not, for the dissector tests.
	wire []wireDatagram
}

type wireDatagram struct {
	at       time.Duration
	src, dst netip.AddrPort
	send     Send
}

func newHarness(t *testing.T, ec EndpointConfig, gc GatekeeperConfig) *harness {
	t.Helper()
	if !ec.RASAddress.IsValid() {
		ec.RASAddress, ec.CallSignalAddress, ec.Gatekeeper = epRAS, epCS, gkRAS
	}
	if ec.FirstSeqNum == 0 && ec.Random == nil {
		ec.FirstSeqNum = 1 // the logs number requests from 1
	}
	if gc.ID == "" {
		gc.ID, gc.RASAddress = "pbx", gkRAS
	}
	return &harness{t: t, now: epoch0, ep: NewEndpoint(ec), gk: NewGatekeeper(gc),
		epTimers: map[TimerID]time.Time{}, gkTimers: map[TimerID]time.Time{}}
}

func (h *harness) at() string { return fmt.Sprintf("%6.1fs ", h.now.Sub(epoch0).Seconds()) }

func (h *harness) logf(format string, args ...any) {
	h.log = append(h.log, h.at()+fmt.Sprintf(format, args...))
}

// epEffects applies effects of the endpoint.
func (h *harness) epEffects(effects []Effect) {
	for _, e := range effects {
		switch e := e.(type) {
		case Send:
			h.logf("ep %s%s", e.Event, attrText(e))
			h.wire = append(h.wire, wireDatagram{h.now.Sub(epoch0), epRAS, e.To, e})
			if h.drop != nil && h.drop("ep", e) {
				h.logf("   lost")
				continue
			}
			payload := e.Payload
			if h.tamper != nil {
				payload = h.tamper("ep", e)
			}
			h.gkEffects(h.gk.HandleDatagram(h.now.Add(h.gkSkew), epRAS, payload))
		case node.SetTimer:
			h.epTimers[TimerIDOf(e.ID)] = h.now.Add(e.After)
		case node.CancelTimer:
			delete(h.epTimers, TimerIDOf(e.ID))
		default:
			h.logf("ep %s", outcomeText(e))
		}
	}
}

func (h *harness) gkEffects(effects []Effect) {
	for _, e := range effects {
		switch e := e.(type) {
		case Send:
			h.logf("gk %s%s", e.Event, attrText(e))
			h.wire = append(h.wire, wireDatagram{h.now.Sub(epoch0), gkRAS, e.To, e})
			if e.To != epRAS {
				h.t.Errorf("gatekeeper sent %s to %v, want %v", e.Event, e.To, epRAS)
			}
			if h.drop != nil && h.drop("gk", e) {
				h.logf("   lost")
				continue
			}
			payload := e.Payload
			if h.tamper != nil {
				payload = h.tamper("gk", e)
			}
			h.epEffects(h.ep.HandleDatagram(h.now, gkRAS, payload))
		case node.SetTimer:
			h.gkTimers[TimerIDOf(e.ID)] = h.now.Add(e.After)
		case node.CancelTimer:
			delete(h.gkTimers, TimerIDOf(e.ID))
		default:
			h.logf("gk %s", outcomeText(e))
		}
	}
}

// attrText renders a Send's attributes for the harness log, without the
// token attribute (TestTokenAttribute checks it), so that the logs stay
// about the exchange.
func attrText(s Send) string {
	var b strings.Builder
	for _, a := range s.Attrs {
		if a.Key == "token" {
			continue
		}
		fmt.Fprintf(&b, " %s=%s", a.Key, a.Value)
	}
	return b.String()
}

func outcomeText(e Effect) string {
	switch e := e.(type) {
	case node.Record:
		var b strings.Builder
		b.WriteString("record " + e.Name)
		for _, a := range e.Attrs {
			switch {
			case a.Key == "error" && !strings.HasPrefix(a.Value, "ras:"):
				// The codec's wording is not ours to pin down.
				fmt.Fprintf(&b, " error=<codec>")
			case a.Key == "error" || a.Key == "why":
				fmt.Fprintf(&b, " %s=%q", a.Key, a.Value)
			}
		}
		return b.String()
	case Registered:
		text := fmt.Sprintf("Registered %s %v signal %v", e.EndpointID, e.TimeToLive, e.CallSignal)
		if e.AnswerPreGranted {
			text += " answer pre-granted"
		}
		return text
	case RegistrationFailed:
		return "RegistrationFailed " + e.Reason
	case Unregistered:
		return "Unregistered " + e.Reason
	case Admitted:
		return fmt.Sprintf("Admitted to %v", e.DestCallSignal)
	case AdmissionRejected:
		return "AdmissionRejected " + e.Reason
	case Disengaged:
		return "Disengaged " + e.Reason
	case EndpointRegistered:
		return "EndpointRegistered " + e.Registration.EndpointID + " " + e.Registration.Alias
	case EndpointUnregistered:
		return "EndpointUnregistered " + e.Registration.EndpointID + " " + e.Reason
	}
	return fmt.Sprintf("%T", e)
}

// advance moves the clock by d, firing due timers in time order (endpoint
// first on a tie, then by ID).
func (h *harness) advance(d time.Duration) {
	end := h.now.Add(d)
	for {
		side, id, when, ok := h.nextTimer(end)
		if !ok {
			break
		}
		h.now = when
		if side == "ep" {
			delete(h.epTimers, id)
			h.epEffects(h.ep.HandleTimer(h.now, id))
		} else {
			delete(h.gkTimers, id)
			h.gkEffects(h.gk.HandleTimer(h.now.Add(h.gkSkew), id))
		}
	}
	h.now = end
}

func (h *harness) nextTimer(end time.Time) (string, TimerID, time.Time, bool) {
	best, bestSide, bestID, found := end, "", TimerID(0), false
	for _, side := range []string{"ep", "gk"} {
		timers := h.epTimers
		if side == "gk" {
			timers = h.gkTimers
		}
		ids := make([]TimerID, 0, len(timers))
		for id := range timers {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			if w := timers[id]; !w.After(best) && (!found || w.Before(best)) {
				best, bestSide, bestID, found = w, side, id, true
			}
		}
	}
	return bestSide, bestID, best, found
}

// expectLog compares the log with want and resets it.
func (h *harness) expectLog(want ...string) {
	h.t.Helper()
	got := h.log
	h.log = nil
	if !slices.Equal(got, want) {
		h.t.Fatalf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
