package pbx_test

import (
	"testing"
	"time"

	"github.com/callwake/callwake/h323/h225"
	nt "github.com/callwake/callwake/internal/nodetest"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/pbx"
	"github.com/callwake/callwake/ras"
)

// A restart loses every registration, call and connection at once; with a
// downtime the PBX closes its sockets and listens again afterwards. A phone's
// keep-alive from before is told to register in full, and gets a new
// endpoint identifier.
func TestPBXRestart(t *testing.T) {
	r, _ := newPRig(t, pbxConfig(t))
	r.pushUp()
	oldBob := r.registered(bobHost, "bob", "202", "bob-desk")
	c, effs := r.call(bobHost, "bob", "202", "201") // alice's app is pushed
	if ps, _ := posts(t, effs, r.pushConn); len(ps) != 1 {
		t.Fatalf("no push before the restart: %s", nt.Show(effs))
	}

	effs = r.do(node.Command{Cmd: pbx.Restart{Down: 5 * time.Second}})
	nt.WantAttrs(t, nt.Record(t, effs, "pbx.restarted"), "pbx", "pbx", "down", "5s")
	closed := map[node.ConnID]bool{}
	for _, cl := range nt.All[node.Close](effs) {
		closed[cl.Conn] = true
	}
	if !closed[c.conn] || !closed[r.pushConn] {
		t.Errorf("closed %v, want the caller's %d and the Push object's %d", closed, c.conn, r.pushConn)
	}
	if n := len(nt.All[node.Unlisten](effs)); n != 5 {
		t.Errorf("%d sockets closed, want 5: %s", n, nt.Show(effs))
	}
	if len(nt.All[node.Send](effs)) != 0 || len(nt.All[node.SendTo](effs)) != 0 {
		t.Errorf("a restarting PBX sent something: %s", nt.Show(effs))
	}
	var cancelled int
	for range nt.All[node.CancelTimer](effs) {
		cancelled++
	}
	if cancelled == 0 {
		t.Errorf("the registration timer of the waiting call and bob's expiry were not cancelled: %s", nt.Show(effs))
	}
	up := nt.One[node.SetTimer](t, effs)
	if up.After != 5*time.Second {
		t.Fatalf("downtime timer %+v", up)
	}

	r.now = r.now.Add(up.After)
	effs = r.do(node.TimerFired{ID: up.ID})
	nt.Record(t, effs, "pbx.up")
	if n := len(nt.All[node.Listen](effs)); n != 5 {
		t.Errorf("%d sockets opened again, want 5: %s", n, nt.Show(effs))
	}
	if d := nt.One[node.Dial](t, effs); d.Transport != node.WSS {
		t.Errorf("the Push object does not dial again: %+v", d)
	}

	// bob's keep-alive from before the restart.
	r.seq++
	ka := ras.NewKeepAliveRRQ(r.seq, ras.Info{Alias: "bob", Number: "202", DeviceAlias: "bob-desk", RASAddress: bobHost.ras,
		CallSignalAddress: bobHost.sig, EndpointID: oldBob}, 60*time.Second)
	ans, err := ras.Decode(nt.One[node.SendTo](t, r.ras(r.sock("udp/1719"), bobHost.ras, pbxRAS, ka)).Payload)
	if err != nil {
		t.Fatal(err)
	}
	if ans.Choice != h225.RasMessageRegistrationReject ||
		ans.RegistrationReject.RejectReason.Choice != h225.RegistrationRejectReasonFullRegistrationRequired {
		t.Fatalf("keep-alive after the restart: %s", ras.EventName(ans))
	}
	if newBob := r.registered(bobHost, "bob", "202", "bob-desk"); newBob == oldBob {
		t.Errorf("bob got his old endpoint identifier %q again", newBob)
	}
	// The call before the restart is gone: bob calls again and alice's app
	// is pushed again (nothing of the old call remains to stop it).
	_, effs = r.call(bobHost, "bob", "202", "201")
	if ps, _ := posts(t, effs, r.pushConn); len(ps) != 0 {
		t.Errorf("pushed while the Push object is still down: %s", nt.Show(effs))
	}
	nt.Record(t, effs, "call.push_skipped")
}
