package ras

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestKeepAliveOfAnotherEndpoint: endpoint identifiers count from 1 again
// when a gatekeeper restarts, so a phone of the earlier life may send a
// keep-alive with the identifier the gatekeeper has since given another
// endpoint. The call-signalling address tells them apart: that keep-alive
// gets RRJ fullRegistrationRequired, the owner's own gets RCF.
func TestKeepAliveOfAnotherEndpoint(t *testing.T) {
	gk := NewGatekeeper(GatekeeperConfig{ID: "pbx", RASAddress: gkRAS, TimeToLive: time.Minute})
	now := epoch0
	send := func(from netip.AddrPort, payload []byte) string {
		t.Helper()
		var names []string
		for _, e := range gk.HandleDatagram(now, from, payload) {
			if s, ok := e.(Send); ok {
				names = append(names, s.Event+attrText(s))
			}
		}
		return strings.Join(names, ",")
	}
	encode := func(m interface{ Marshal() ([]byte, error) }) []byte {
		t.Helper()
		b, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	alice := Info{Alias: "alice", RASAddress: epRAS, CallSignalAddress: epCS}
	bobRAS, bobCS := netip.MustParseAddrPort("10.0.0.3:1719"), netip.MustParseAddrPort("10.0.0.3:1720")
	if got := send(epRAS, encode(NewRRQ(1, alice, true, time.Minute, false))); got != "ras.rcf seq=1" {
		t.Fatalf("alice's RRQ: %s", got)
	}
	// bob was ep-0001 before the restart; alice is ep-0001 now.
	bob := Info{Alias: "bob", RASAddress: bobRAS, CallSignalAddress: bobCS, EndpointID: "ep-0001", GatekeeperID: "pbx"}
	if got := send(bobRAS, encode(NewKeepAliveRRQ(7, bob, time.Minute))); got != "ras.rrj seq=7 reason=fullRegistrationRequired" {
		t.Errorf("bob's keep-alive with alice's identifier: %s", got)
	}
	alice.EndpointID, alice.GatekeeperID = "ep-0001", "pbx"
	if got := send(epRAS, encode(NewKeepAliveRRQ(2, alice, time.Minute))); got != "ras.rcf seq=2" {
		t.Errorf("alice's keep-alive: %s", got)
	}
}
