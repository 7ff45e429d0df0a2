package phone_test

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/callwake/callwake/h323/h225"
	nt "github.com/callwake/callwake/internal/nodetest"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/ras"
)

// A stranger on the phone's network: off-path, it can reach the phone's
// ports and guess its sequence numbers, but it is not the gatekeeper.
var (
	strangerRAS  = netip.MustParseAddrPort("10.0.9.9:1719")
	strangerSig  = netip.MustParseAddrPort("10.0.9.9:40002")
	reflectVictm = netip.MustParseAddrPort("10.0.7.7:9999")
)

// TestPhoneRefusesRASFromStrangers: through the node contract, a URQ, a
// forged RCF answering the outstanding RRQ and an IRQ from a stranger
// change nothing and send nothing; the gatekeeper's IRQ with a
// replyAddress elsewhere is answered to the gatekeeper only.
func TestPhoneRefusesRASFromStrangers(t *testing.T) {
	r := newRig(t, deskConfig())
	effs := r.listen()
	_, grq := sentRAS(t, effs, "ras.grq")
	effs = r.ras(gkRAS, ras.NewGCF(ras.SeqNum(grq), "pbx.example", gkRAS, nil))
	_, rrq := sentRAS(t, effs, "ras.rrq")
	forged := ras.NewRCF(ras.SeqNum(rrq), "evil", strangerSig, ras.Info{Alias: "bob", EndpointID: "evil"}, time.Hour)
	if effs := r.ras(strangerRAS, forged); r.n.Registered() || len(nt.All[node.SendTo](effs)) != 0 {
		t.Fatalf("a stranger's RCF was taken: registered %v, %s", r.n.Registered(), nt.Show(effs))
	}
	r.rcf(effs, nil)

	for _, m := range []*h225.RasMessage{ras.NewURQ(1, ras.Info{Alias: "bob"}), ras.NewIRQ(2, reflectVictm)} {
		effs := r.ras(strangerRAS, m)
		if len(nt.All[node.SendTo](effs)) != 0 || !r.n.Registered() {
			t.Errorf("%s from a stranger: registered %v, %s", ras.EventName(m), r.n.Registered(), nt.Show(effs))
		}
		nt.WantAttrs(t, nt.Record(t, effs, "ras.refused"), "why", "not from the gatekeeper")
	}
	effs = r.ras(gkRAS, ras.NewIRQ(3, reflectVictm))
	st, _ := sentRAS(t, effs, "ras.irr")
	if st.To != gkRAS {
		t.Errorf("IRR sent to %v, want the gatekeeper %v", st.To, gkRAS)
	}
}

// TestPhoneRefusesCallsFromStrangers: in routed mode a call-signalling
// connection from anyone but the gatekeeper's host is closed at once, with
// a rate-limited phone.refused record; DirectCalls accepts it.
func TestPhoneRefusesCallsFromStrangers(t *testing.T) {
	r := newRig(t, deskConfig())
	r.register(r.listen(), nil)
	effs := r.do(node.Accepted{Listener: r.sigSock, Conn: 5, Local: r.sigAddr, Remote: strangerSig})
	if c := nt.One[node.Close](t, effs); c.Conn != 5 {
		t.Errorf("closed %d, want 5", c.Conn)
	}
	nt.WantAttrs(t, nt.Record(t, effs, "phone.refused"), "why", "call signalling not from the gatekeeper")
	// Were a driver to deliver its Setup anyway, it starts no call.
	_, setup := newPBXCall(t, 9, false, strangerSig, r.sigAddr)
	if effs := r.do(node.Message{Conn: 5, Payload: setup}); len(nt.All[node.Send](effs)) != 0 || len(nt.Records(effs, phone.EventRinging)) != 0 {
		t.Errorf("a stranger's Setup was answered: %s", nt.Show(effs))
	}
	records := 0
	for i := range 1000 {
		effs := r.do(node.Accepted{Listener: r.sigSock, Conn: node.ConnID(100 + i), Local: r.sigAddr, Remote: strangerSig})
		records += len(nt.Records(effs, "phone.refused"))
	}
	if records > ras.RecordBurst {
		t.Errorf("1000 strangers made %d phone.refused records, want at most %d", records, ras.RecordBurst)
	}
	r.after(10 * ras.RecordInterval)
	effs = r.do(node.Accepted{Listener: r.sigSock, Conn: 2000, Local: r.sigAddr, Remote: strangerSig})
	if rec := nt.Record(t, effs, "phone.refused"); nt.Attr(rec, "suppressed") == "" {
		t.Error("the record after a flood does not count those held back")
	}

	// From the gatekeeper's host (an ephemeral port of the PBX): a call.
	effs = r.do(node.Accepted{Listener: r.sigSock, Conn: 11, Local: r.sigAddr, Remote: pbxEphem})
	if len(effs) != 0 {
		t.Fatalf("Accepted from the PBX: %s", nt.Show(effs))
	}

	cfg := deskConfig()
	cfg.DirectCalls = true
	d := newRig(t, cfg)
	d.register(d.listen(), nil)
	if effs := d.do(node.Accepted{Listener: d.sigSock, Conn: 5, Local: d.sigAddr, Remote: strangerSig}); len(effs) != 0 {
		t.Fatalf("direct mode refused a caller: %s", nt.Show(effs))
	}
}

// TestPhoneFirstSeqNumIsDrawn: the first requestSeqNum comes from the
// node's random source: two sources, two numbers (a fixed start is what
// lets an off-path stranger answer the phone's requests).
func TestPhoneFirstSeqNumIsDrawn(t *testing.T) {
	seqs := map[uint16]bool{}
	for i := range 8 {
		cfg := deskConfig()
		cfg.Random = rand.NewChaCha8([32]byte{byte(i + 10)})
		r := newRig(t, cfg)
		_, grq := sentRAS(t, r.listen(), "ras.grq")
		seqs[ras.SeqNum(grq)] = true
	}
	if len(seqs) < 7 {
		t.Errorf("8 random sources gave %d first sequence numbers", len(seqs))
	}
}
