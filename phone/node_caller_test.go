package phone_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/callwake/callwake/h323/q931"
	nt "github.com/callwake/callwake/internal/nodetest"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/ras"
)

// TestPhoneCallerHangsUp: the caller hangs up a set time after placing the
// call or after its Setup, answered or not (issue 15: the caller who gives
// up during the silence before an app registers); one whose Setup has not
// gone out yet is abandoned, and an admission that comes after is
// disengaged.
func TestPhoneCallerHangsUp(t *testing.T) {
	t.Run("after the Setup, unanswered", func(t *testing.T) {
		r := newRig(t, deskConfig())
		r.register(r.listen(), nil)
		_, arq := sentRAS(t, r.do(node.Command{Cmd: phone.PlaceCall{To: "201", HangupAfterSetup: 5 * time.Second}}), "ras.arq")
		d := nt.DialTo(t, r.ras(gkRAS, ras.NewACF(ras.SeqNum(arq), 1280, pbxSignal)), pbxSignal)
		effs := r.do(node.Dialled{Ref: d.Ref, Conn: 22, Local: netip.AddrPortFrom(phoneIP, 50124), Remote: pbxSignal})
		nt.SentQ931(t, effs, 22, q931.Setup)
		effs = r.fire(effs, 5*time.Second)
		if got := nt.ReleaseCause(t, effs, 22); got != phone.CauseNormalClearing {
			t.Errorf("cause %d", got)
		}
		sentRAS(t, effs, "ras.drq")
	})
	t.Run("at a time, before the Setup: abandoned, the late admission disengaged", func(t *testing.T) {
		r := newRig(t, deskConfig())
		r.register(r.listen(), nil)
		effs := r.do(node.Command{Cmd: phone.PlaceCall{To: "201", HangupIn: time.Second}})
		_, arq := sentRAS(t, effs, "ras.arq")
		if effs := r.fire(effs, time.Second); len(nt.All[node.Send](effs)) != 0 || len(nt.All[node.Dial](effs)) != 0 {
			t.Errorf("abandoning a call sent something: %s", nt.Show(effs))
		}
		effs = r.ras(gkRAS, ras.NewACF(ras.SeqNum(arq), 1280, pbxSignal))
		if len(nt.All[node.Dial](effs)) != 0 {
			t.Errorf("dialled for an abandoned call: %s", nt.Show(effs))
		}
		sentRAS(t, effs, "ras.drq")
	})
	t.Run("the caller's Display", func(t *testing.T) {
		cfg := deskConfig()
		cfg.Display = "Reception"
		_, conn, effs := placed(t, cfg)
		setup, _ := nt.SentQ931(t, effs, conn, q931.Setup)
		if d, err := setup.Display(); err != nil || d != "Reception" {
			t.Errorf("Display %q %v", d, err)
		}
	})
}

// TestPhoneNetworkCommands: a firewall cutting the vendor connection, and a
// move between Wi-Fi and mobile data (B20).
func TestPhoneNetworkCommands(t *testing.T) {
	cfg := appConfig()
	cfg.Core.App, cfg.Core.WebSocketSession = phone.Foreground, false
	r := newRig(t, cfg)
	effs := r.listen()
	vendor := nt.DialTo(t, effs, apnsDevices)
	r.do(node.Dialled{Ref: vendor.Ref, Conn: 31, Local: netip.AddrPortFrom(phoneIP, 50300), Remote: apnsDevices})
	r.register(effs, nil)

	effs = r.do(node.Command{Cmd: phone.VendorCut{}})
	if c := nt.One[node.Close](t, effs); c.Conn != 31 {
		t.Errorf("closed %+v", c)
	}
	timerAfter(t, effs, phone.VendorRetry)
	if len(nt.All[node.SendTo](effs)) != 0 {
		t.Errorf("a cut vendor connection touched the registration: %s", nt.Show(effs))
	}
	// Moved: the vendor connection is made again at once, and the
	// registered phone registers again (a full RRQ).
	effs = r.do(node.Command{Cmd: phone.NetworkMoved{}})
	nt.DialTo(t, effs, apnsDevices)
	if _, rrq := sentRAS(t, effs, "ras.rrq"); rrq.RegistrationRequest.KeepAlive != nil && *rrq.RegistrationRequest.KeepAlive {
		t.Error("a move re-registers with a keep-alive")
	}
}
