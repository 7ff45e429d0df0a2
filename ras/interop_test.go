package ras

import (
	"fmt"
	"github.com/callwake/callwake/node"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/h323/h225"
)

// The shared captures hold what GNU Gatekeeper 5.15 and H323Plus 1.28 put on
// the wire (password "secret" where H.235 is used). The tests below feed the
// recorded gatekeeper messages to our Endpoint and the recorded endpoint
// requests to our Gatekeeper, at the capture's own times.

const capturePassword = "secret"

// endpointExchange is one endpoint's part of a capture, replayed against our
// Endpoint: its requests are made by calling the Endpoint (with the capture's
// sequence numbers), the gatekeeper's datagrams are handed to it as recorded.
type endpointExchange struct {
	capture  string
	port     uint16 // the endpoint's RAS port in the capture
	password string
	want     []string // the outcomes, as outcomeText renders them
}

func TestCaptureGatekeeperMessagesAtOurEndpoint(t *testing.T) {
	tests := []endpointExchange{
		// phonesim (alice/secret) at GnuGk with H.235: the signed RCF names as
		// recipient the endpointIdentifier it assigns; the capture's phonesim
		// refused it three times, ours accepts the first and ignores the
		// answers to the retransmissions it does not make.
		{"phonesim-simph323-gnugk-h235.pcapng", 47608, capturePassword, []string{"Registered 16871979_endp 1m0s signal 127.0.0.1:1720"}},
		// H323Plus (bob/secret): the same kind of RCF, then URQ and a signed UCF.
		{"phonesim-simph323-gnugk-h235.pcapng", 59136, capturePassword, []string{"Registered 3331868958_endp 1m0s signal 127.0.0.1:1720", "Unregistered urq"}},
		// phonesim with a wrong password: the unsigned RRJ securityDenial is accepted.
		{"phonesim-simph323-gnugk-h235.pcapng", 51706, capturePassword, []string{"RegistrationFailed securityDenial"}},
		{"simph323-gnugk-wrong-password.pcapng", 53765, capturePassword, []string{"RegistrationFailed securityDenial"}},
		// Without authentication: registration, then the gatekeeper's URQ.
		{"ras-h235-register-unregister.pcapng", 45910, "", []string{"Registered 2913614236_endp 1m0s signal 127.0.0.1:1720", "Unregistered gatekeeper"}},
		{"ras-h235-register-unregister.pcapng", 54337, "", nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s port %d", tt.capture, tt.port), func(t *testing.T) {
			got := replayAtEndpoint(t, sharedRAS(t, tt.capture), tt.port, tt.password)
			if tt.port == 54337 {
				// The second endpoint of that capture registers with a TTL
				// and is not unregistered in it.
				if len(got) != 1 || !strings.HasPrefix(got[0], "Registered ") {
					t.Fatalf("outcomes %q, want one registration", got)
				}
				return
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("outcomes %q, want %q", got, tt.want)
			}
		})
	}
}

// replayAtEndpoint plays one endpoint's exchange of a capture against our
// Endpoint and returns its outcomes. It fails on any security error, refusal
// or malformed record, and when our requests do not carry the capture's
// sequence numbers or go elsewhere than the capture's.
func replayAtEndpoint(t *testing.T, records []capture.Record, port uint16, password string) []string {
	t.Helper()
	var mine []capture.Record
	for _, r := range records {
		if r.Src.Port() == port || r.Dst.Port() == port {
			mine = append(mine, r)
		}
	}
	if len(mine) == 0 {
		t.Fatalf("no datagrams of port %d", port)
	}
	first, err := Decode(mine[0].Payload)
	if err != nil || first.Choice != h225.RasMessageGatekeeperRequest {
		t.Fatalf("the exchange does not start with a GRQ: %v", err)
	}
	alias, number := splitAliases(first.GatekeeperRequest.EndpointAlias)
	ep := NewEndpoint(EndpointConfig{Alias: alias, Number: number, Password: password,
		RASAddress: mine[0].Src, CallSignalAddress: netip.AddrPortFrom(mine[0].Src.Addr(), 1720),
		Gatekeeper: mine[0].Dst, Discover: true, TimeToLive: time.Minute, FirstSeqNum: SeqNum(first)})
	var outcomes []string
	var sent []Send
	apply := func(at time.Time, effects []Effect) {
		for _, e := range effects {
			switch e := e.(type) {
			case Send:
				sent = append(sent, e)
			case node.Record:
				if e.Name != "ras.ignored" {
					t.Errorf("%v: %s", at.Format("15:04:05.000"), outcomeText(e)+fmt.Sprint(e.Attrs))
				}
			case node.SetTimer, node.CancelTimer:
			default:
				outcomes = append(outcomes, outcomeText(e))
			}
		}
	}
	for _, r := range mine {
		m, err := Decode(r.Payload)
		if err != nil {
			t.Fatalf("packet %d: %v", r.Index, err)
		}
		if r.Dst.Port() != port { // a request of the endpoint: ours is made by the core
			switch m.Choice {
			case h225.RasMessageGatekeeperRequest:
				apply(r.At, ep.Register(r.At))
			case h225.RasMessageUnregistrationRequest:
				apply(r.At, ep.Unregister(r.At))
			}
			// An RRQ follows the GCF by itself, and we retransmit nothing.
			if s := lastSend(sent, EventName(m)); s != nil {
				if sm, _ := Decode(s.Payload); SeqNum(sm) != SeqNum(m) || s.To != r.Dst {
					t.Errorf("packet %d: our %s seq %d to %v, the capture's seq %d to %v", r.Index, s.Event, SeqNum(sm), s.To, SeqNum(m), r.Dst)
				}
			}
			continue
		}
		apply(r.At, ep.HandleDatagram(r.At, r.Src, r.Payload))
	}
	return outcomes
}

func lastSend(sent []Send, event string) *Send {
	for i := len(sent) - 1; i >= 0; i-- {
		if sent[i].Event == event {
			return &sent[i]
		}
	}
	return nil
}

// gatekeeperDifference is where our Gatekeeper answers a recorded request
// otherwise than GNU Gatekeeper did, on purpose.
var gatekeeperDifferences = map[string]string{
	// A GRQ that offers no authentication, for an alias that needs a password:
	// GnuGk confirms and refuses the unsigned RRQ that follows; we refuse at
	// once (GRJ securityDenial, B31). The RRQ is refused by both.
	"phonesim-simph323-gnugk-h235.pcapng#5": "ras.grj reason=securityDenial",
	// A second endpoint registering an alias held by another call-signalling
	// address: GnuGk refuses (duplicateAlias); our PBX lets the newer
	// registration replace the older, as a mobile app that changed network
	// must be able to.
	"phonesim-simph323-gnugk-h235.pcapng#19": "ras.rcf",
	// Not a difference of behaviour: the URQ names (and its token signs as)
	// the endpointIdentifier GnuGk assigned, and ours assigned another one.
	// TestOurGatekeeperSignsLikeGnuGk runs the same unregistration with the
	// identifier ours assigned.
	"phonesim-simph323-gnugk-h235.pcapng#25": "ras.urj reason=notCurrentlyRegistered",
}

func TestCaptureEndpointRequestsAtOurGatekeeper(t *testing.T) {
	for _, name := range []string{"phonesim-simph323-gnugk-h235.pcapng", "simph323-gnugk-wrong-password.pcapng", "ras-h235-register-unregister.pcapng"} {
		t.Run(name, func(t *testing.T) {
			records := sharedRAS(t, name)
			gk, gkAddr := captureGatekeeper(t, name, records)
			for i, r := range records {
				if r.Dst != gkAddr {
					continue
				}
				req, err := Decode(r.Payload)
				if err != nil {
					t.Fatalf("packet %d: %v", r.Index, err)
				}
				theirs := recordedAnswer(t, records[i+1:], r.Src, SeqNum(req))
				ours := ""
				for _, e := range gk.HandleDatagram(r.At, r.Src, r.Payload) {
					if s, ok := e.(Send); ok && s.To == r.Src {
						ours = sendText(s)
					}
				}
				want := theirs
				if d, ok := gatekeeperDifferences[fmt.Sprintf("%s#%d", name, r.Index)]; ok {
					want = d
				}
				if ours != want {
					t.Errorf("packet %d %s: we answer %q, GnuGk answered %q (want %q)", r.Index, EventName(req), ours, theirs, want)
				}
			}
		})
	}
}

// captureGatekeeper is our Gatekeeper configured as the capture's GnuGk:
// its identifier and address (from the first GCF), 60 s granted, and the
// capture's password for every alias where H.235 is used.
func captureGatekeeper(t *testing.T, name string, records []capture.Record) (*Gatekeeper, netip.AddrPort) {
	t.Helper()
	for _, r := range records {
		m, err := Decode(r.Payload)
		if err != nil || m.Choice != h225.RasMessageGatekeeperConfirm {
			continue
		}
		cfg := GatekeeperConfig{ID: string(*m.GatekeeperConfirm.GatekeeperIdentifier), RASAddress: r.Src, TimeToLive: time.Minute}
		if name != "ras-h235-register-unregister.pcapng" { // that GnuGk asked no password
			cfg.Password = func(string) (string, bool) { return capturePassword, true }
		}
		return NewGatekeeper(cfg), r.Src
	}
	t.Fatal("no GCF in the capture")
	return nil, netip.AddrPort{}
}

// recordedAnswer is the gatekeeper's answer in the capture to the request seq
// from src: the first later datagram to src with that sequence number.
func recordedAnswer(t *testing.T, later []capture.Record, src netip.AddrPort, seq uint16) string {
	t.Helper()
	for _, r := range later {
		if r.Dst != src {
			continue
		}
		m, err := Decode(r.Payload)
		if err == nil && SeqNum(m) == seq {
			return sendText(Send{Event: EventName(m), Attrs: Attrs(m)})
		}
	}
	return ""
}

// sendText is a message's name with its reject reason, if any.
func sendText(s Send) string {
	for _, a := range s.Attrs {
		if a.Key == "reason" {
			return s.Event + " reason=" + a.Value
		}
	}
	return s.Event
}

// tokenShape is an H.235.1 token with its values that differ between runs
// (timestamp, random, hash, the identifiers' spelling) replaced by what they
// are: present or not, naming whom.
type tokenShape struct {
	Tokens                           int
	Choice                           h225.CryptoH323TokenChoice
	TokenOID, ClearOID, AlgorithmOID string
	TimeStamp, Random                bool
	SendersIsGatekeeper              bool
	GeneralIsEndpointID              bool
	ExtBitmapLen, HashBits           int
	ParamsEmpty                      bool
}

func shapeOf(t *testing.T, m *h225.RasMessage, gatekeeperID, endpointID string) tokenShape {
	t.Helper()
	tokens := *cryptoTokens(m)
	if len(tokens) == 0 || tokens[0].NestedcryptoToken == nil || tokens[0].NestedcryptoToken.CryptoHashedToken == nil {
		t.Fatalf("%s has no H.235.1 token", EventName(m))
	}
	h := tokens[0].NestedcryptoToken.CryptoHashedToken
	v := h.HashedVals
	p := h.Token.ParamS
	return tokenShape{
		Tokens: len(tokens), Choice: tokens[0].Choice,
		TokenOID: h.TokenOID.String(), ClearOID: v.TokenOID.String(), AlgorithmOID: h.Token.AlgorithmOID.String(),
		TimeStamp: v.TimeStamp != nil, Random: v.Random != nil,
		SendersIsGatekeeper: v.SendersID != nil && string(*v.SendersID) == gatekeeperID,
		GeneralIsEndpointID: v.GeneralID != nil && string(*v.GeneralID) == endpointID,
		ExtBitmapLen:        v.ExtBitmapLen, HashBits: h.Token.Hash.BitLen,
		ParamsEmpty: p.RanInt == nil && len(p.Iv8) == 0 && len(p.Iv16) == 0 && len(p.Iv) == 0 && len(p.ClearSalt) == 0,
	}
}

// TestOurGatekeeperSignsLikeGnuGk: the tokens of our Gatekeeper's RCF (to
// H323Plus's recorded RRQ) and UCF (to a URQ of our Endpoint registered as
// the same bob at the same times) are those of GnuGk's RCF and UCF in the
// capture, field by field, and our Endpoint accepts both.
func TestOurGatekeeperSignsLikeGnuGk(t *testing.T) {
	const name = "phonesim-simph323-gnugk-h235.pcapng"
	records := sharedRAS(t, name)
	find := func(index int) (capture.Record, *h225.RasMessage) {
		for _, r := range records {
			if r.Index == index {
				m, err := Decode(r.Payload)
				if err != nil {
					t.Fatal(err)
				}
				return r, m
			}
		}
		t.Fatalf("no packet %d", index)
		return capture.Record{}, nil
	}
	rrq, _ := find(23)
	_, gnuRCF := find(24)
	urq, _ := find(25)
	_, gnuUCF := find(26)
	const gnuID = "3331868958_endp"

	// The recorded RRQ at our gatekeeper.
	gk, gkAddr := captureGatekeeper(t, name, records)
	var ourRCF *h225.RasMessage
	ourID := ""
	for _, e := range gk.HandleDatagram(rrq.At, rrq.Src, rrq.Payload) {
		switch e := e.(type) {
		case Send:
			ourRCF, _ = Decode(e.Payload)
		case EndpointRegistered:
			ourID = e.Registration.EndpointID
		}
	}
	if ourRCF == nil || ourRCF.Choice != h225.RasMessageRegistrationConfirm {
		t.Fatalf("our answer to the recorded RRQ: %v", ourRCF)
	}
	if got, want := shapeOf(t, ourRCF, gk.cfg.ID, ourID), shapeOf(t, gnuRCF, "GnuGk", gnuID); got != want {
		t.Errorf("RCF: our token\n%+v\nGnuGk's\n%+v", got, want)
	}

	// Our endpoint as bob against a fresh gatekeeper, at the capture's times.
	gk, _ = captureGatekeeper(t, name, records)
	ep := NewEndpoint(EndpointConfig{Alias: "bob", Password: capturePassword, RASAddress: rrq.Src,
		CallSignalAddress: netip.AddrPortFrom(rrq.Src.Addr(), 1720), Gatekeeper: gkAddr, FirstSeqNum: 36691})
	var ourUCF *h225.RasMessage
	var outcomes []string
	var exchange func(at time.Time, effects []Effect, toGK bool)
	exchange = func(at time.Time, effects []Effect, toGK bool) {
		for _, e := range effects {
			switch e := e.(type) {
			case Send:
				if toGK {
					exchange(at, gk.HandleDatagram(at, rrq.Src, e.Payload), false)
					continue
				}
				if m, _ := Decode(e.Payload); m.Choice == h225.RasMessageUnregistrationConfirm {
					ourUCF = m
				}
				exchange(at, ep.HandleDatagram(at, gkAddr, e.Payload), true)
			case node.Record:
				t.Errorf("%s", outcomeText(e)+fmt.Sprint(e.Attrs))
			case Registered, Unregistered:
				outcomes = append(outcomes, outcomeText(e))
			case EndpointRegistered:
				ourID = e.Registration.EndpointID
			}
		}
	}
	exchange(rrq.At, ep.Register(rrq.At), true)
	exchange(urq.At, ep.Unregister(urq.At), true)
	if want := []string{"Registered " + ourID + " 1m0s signal 127.0.0.1:1720", "Unregistered urq"}; !slices.Equal(outcomes, want) {
		t.Fatalf("outcomes %q, want %q", outcomes, want)
	}
	if ourUCF == nil {
		t.Fatal("no UCF")
	}
	if got, want := shapeOf(t, ourUCF, gk.cfg.ID, ourID), shapeOf(t, gnuUCF, "GnuGk", gnuID); got != want {
		t.Errorf("UCF: our token\n%+v\nGnuGk's\n%+v", got, want)
	}
}
