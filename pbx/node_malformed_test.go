package pbx

import (
	"crypto/rand"
	"net/netip"
	"testing"
	"time"

	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/node"
)

// TestNodeClosesAfterMalformedSetup: a Setup without its user-user element
// is answered with Release Complete 96 by the leg, and the connection,
// which carries no call, is closed with it.
func TestNodeClosesAfterMalformedSetup(t *testing.T) {
	ip := netip.MustParseAddr("10.0.0.1")
	n, err := NewNode(NodeConfig{Core: Config{SystemName: "pbx", Users: []User{{Name: "alice", Number: "201"}}},
		Name: "pbx", IP: ip, Random: rand.Reader})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(0, 0)
	n.Handle(now, node.Start{})
	peer := netip.MustParseAddrPort("10.1.0.1:40000")
	n.Handle(now, node.Accepted{Listener: sockSignal, Conn: 7, Local: netip.AddrPortFrom(ip, PortSignalling), Remote: peer})
	effects := n.Handle(now, node.Message{Conn: 7, Payload: []byte{0x08, 0x02, 0x00, 0x09, byte(q931.Setup)}})
	var sent, closed bool
	for _, e := range effects {
		switch e := e.(type) {
		case node.Send:
			sent = e.Conn == 7 && e.Event.Name == q931.ReleaseComplete.EventName()
		case node.Close:
			closed = e.Conn == 7
		}
	}
	if !sent || !closed {
		t.Errorf("effects %#v: want Release Complete and Close on connection 7", effects)
	}
}
