package realnet_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/timeline"
)

// h245Lines are the H.245 messages an actor sent and received on separate connections.
func h245Lines(a *actor) []string { return a.messages("h245.") }

// TestCallH245SeparateConnections: two phones set to carry H.245 on connections of their own
// call each other through the PBX on real sockets: each leg's callee announces its
// h245Address, the other side connects, and capability exchange, master-slave determination
// and a G.711 channel each way run there, ended by endSessionCommand at release: the callee
// answers the PBX's, or sends its own when the Release Complete, on the other connection,
// comes first.
func TestCallH245SeparateConnections(t *testing.T) {
	ctx := testContext(t)
	gk := startPBX(t, ctx, pbxOptions{})
	calleeCfg := phoneConfig("bob", "202", gk.ras)
	calleeCfg.Core.Answer = phone.Answer{Mode: phone.AnswerAfter, After: 100 * time.Millisecond}
	calleeCfg.H245 = phone.H245Separate
	callee := startPhone(t, ctx, calleeCfg)
	callee.registered(t, ctx)
	callerCfg := phoneConfig("alice", "201", gk.ras)
	callerCfg.H245 = phone.H245Separate
	callerCfg.Call, callerCfg.StopAfterCall = &phone.PlaceCall{To: "202", HangupAfter: 500 * time.Millisecond}, true
	caller := startPhone(t, ctx, callerCfg)
	caller.wait(t)
	callee.rec.waitUntil(t, ctx, "the callee's H.245 session to end", func(evs []timeline.Event) bool {
		return slices.Contains(messages(evs, "bob", "h245."), "send h245.end_session_command")
	})
	callee.stop(t)
	gk.stop(t)
	for _, a := range []*testPhone{caller, callee} {
		got := h245Lines(a.actor)
		// Each host records what its node sent: an ack sent is a message received.
		for _, want := range []string{"send h245.terminal_capability_set", "send h245.terminal_capability_set_ack",
			"send h245.master_slave_determination_ack", "send h245.open_logical_channel", "send h245.open_logical_channel_ack",
			"send h245.end_session_command"} {
			if !slices.Contains(got, want) {
				t.Errorf("%s: no %q in %v", a.name, want, got)
			}
		}
		opened := false
		for _, e := range a.rec.snapshot() {
			opened = opened || e.Name == "h245.channel_opened"
		}
		if !opened {
			t.Errorf("%s opened no channel", a.name)
		}
		for _, l := range a.messages("q931.") {
			if strings.Contains(l, "facility") {
				t.Errorf("%s: %s (H.245 tunnelled?)", a.name, l)
			}
		}
	}
	if res := caller.result(); !res.Connected || res.ReleaseCause != 16 {
		t.Errorf("caller result %+v", res)
	}
}

// TestCallH245Tunnelled: by default the call's H.245 rides in the call signalling: the
// phones' messages carry capability exchange through to the channels' acknowledgement (and the
// caller's release endSessionCommand), and no H.245 connection is opened.
func TestCallH245Tunnelled(t *testing.T) {
	caller, callee := callBetween(t, phone.Answer{Mode: phone.AnswerAfter, After: 200 * time.Millisecond}, pbxOptions{}, phone.AdmissionAuto)
	for _, a := range []*testPhone{caller, callee} {
		var tunnelled []string
		for _, e := range a.rec.snapshot() {
			if v, ok := e.Get("h245"); ok && strings.HasPrefix(e.Name, "q931.") {
				tunnelled = append(tunnelled, strings.Split(v, ",")...)
			}
		}
		want := []string{"terminalCapabilitySet", "terminalCapabilitySetAck", "masterSlaveDeterminationAck", "openLogicalChannelAck"}
		if a == caller {
			want = append(want, "endSessionCommand")
		}
		for _, want := range want {
			if !slices.Contains(tunnelled, want) {
				t.Errorf("%s: no tunnelled %s in %v", a.name, want, tunnelled)
			}
		}
		if got := h245Lines(a.actor); len(got) != 0 {
			t.Errorf("%s: H.245 on a connection of its own: %v", a.name, got)
		}
	}
}
