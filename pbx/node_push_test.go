package pbx_test

import (
	"testing"

	nt "github.com/callwake/callwake/internal/nodetest"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/pbx"
	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/push/pki"
)

// pushSent decodes the one push-protocol message sent on conn.
func pushSent(t *testing.T, effs []node.Effect, conn node.ConnID) push.Message {
	t.Helper()
	ms := pushesSent(t, effs, conn)
	if len(ms) != 1 {
		t.Fatalf("want one push message on %d, got %d in %s", conn, len(ms), nt.Show(effs))
	}
	return ms[0]
}

func pushesSent(t *testing.T, effs []node.Effect, conn node.ConnID) []push.Message {
	t.Helper()
	var out []push.Message
	for _, s := range nt.All[node.Send](effs) {
		if s.Conn != conn {
			continue
		}
		m, err := push.Decode(s.Payload)
		if err != nil {
			t.Fatalf("push message %s: %v", s.Payload, err)
		}
		out = append(out, m)
	}
	return out
}

// posts returns the PushNotifyPosts sent on conn, with their Sends.
func posts(t *testing.T, effs []node.Effect, conn node.ConnID) ([]*push.PushNotifyPost, []node.Send) {
	t.Helper()
	var ps []*push.PushNotifyPost
	var ss []node.Send
	for _, s := range nt.All[node.Send](effs) {
		if s.Conn != conn {
			continue
		}
		if m, err := push.Decode(s.Payload); err == nil {
			if p, ok := m.(*push.PushNotifyPost); ok {
				ps, ss = append(ps, p), append(ss, s)
			}
		}
	}
	return ps, ss
}

func TestPBXPushDetailsSealedOnlyWithAKeyPath(t *testing.T) {
	k := aliceKey(t)
	for _, tt := range []struct {
		name    string
		keyHeld bool
		session bool
		sealed  bool
	}{
		{"key and session", true, true, true},
		{"key, no path", true, false, false},
		{"session gives the key", false, true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := pbxConfig(t)
			cfg.Directory[0].KeyHeld = tt.keyHeld
			r, _ := newPRig(t, cfg)
			r.pushUp()
			r.registered(bobHost, "bob", "202", "bob-desk")
			if tt.session {
				s := r.session()
				effs := r.do(node.Message{Conn: s, Payload: push.EncodeJSON(push.SessionMessage{MT: push.MTPushRegister,
					Device: "alice-iphone", Token: "a1ce", Platform: push.PlatformAPNs})})
				ans := nt.One[node.Send](t, effs)
				m, err := push.DecodeSession(ans.Payload)
				if ans.Conn != s || err != nil || m.MT != push.MTPushKey {
					t.Fatalf("session answer %+v %v", m, err)
				}
				if got, err := m.Key(); err != nil || got != k {
					t.Errorf("PushKey carries %v %v, want alice's key", got, err)
				}
			}
			_, effs := r.call(bobHost, "bob", "202", "201")
			ps, _ := posts(t, effs, r.pushConn)
			if len(ps) != 1 {
				t.Fatalf("%s", nt.Show(effs))
			}
			if (ps[0].Enc != nil) != tt.sealed {
				t.Fatalf("sealed %v, want %v", ps[0].Enc != nil, tt.sealed)
			}
			if !tt.sealed {
				return
			}
			d, err := push.Open(k, "call", ps[0].Enc)
			if err != nil || d.Number != "202" {
				t.Errorf("details %+v %v", d, err)
			}
		})
	}
}

func TestPBXSessionToken(t *testing.T) {
	r, _ := newPRig(t, pbxConfig(t))
	r.pushUp()
	r.registered(bobHost, "bob", "202", "bob-desk")
	s := r.session()

	// carol's app tells a new token; the PBX makes her a key.
	effs := r.do(node.Message{Conn: s, Payload: push.EncodeJSON(push.SessionMessage{MT: push.MTPushRegister,
		Device: "carol-pixel", Token: "fcm:new", Platform: push.PlatformFCM})})
	m, _ := push.DecodeSession(nt.One[node.Send](t, effs).Payload)
	k, err := m.Key()
	if err != nil || k.ID != "carol-pixel" {
		t.Fatalf("PushKey %+v %v", m, err)
	}
	_, effs = r.call(bobHost, "bob", "202", "203")
	ps, _ := posts(t, effs, r.pushConn)
	if len(ps) != 1 || ps[0].Token != "fcm:new" || ps[0].Enc == nil {
		t.Fatalf("post %+v", ps)
	}
	if d, err := push.Open(k, "call", ps[0].Enc); err != nil || d.Number != "202" {
		t.Errorf("sealed with another key: %v", err)
	}

	// Logout: the PBX drops the token; a later call is not pushed.
	if effs := r.do(node.Message{Conn: s, Payload: push.EncodeJSON(push.SessionMessage{MT: push.MTLogout, Device: "carol-pixel"})}); len(nt.All[node.Send](effs)) != 0 {
		t.Errorf("answered a logout: %s", nt.Show(effs))
	}
	_, effs = r.call(bobHost, "bob", "202", "203")
	nt.WantAttrs(t, nt.Record(t, effs, pbx.EventPushSkipped), "device", "carol-pixel", "reason", pbx.SkipNoToken)
	if ps, _ := posts(t, effs, r.pushConn); len(ps) != 0 {
		t.Errorf("pushed after logout: %+v", ps[0])
	}

	// A session names no device, or garbage: nothing, or the session ends.
	if effs := r.do(node.Message{Conn: s, Payload: push.EncodeJSON(push.SessionMessage{MT: push.MTPushRegister, Device: "bob-desk"})}); len(effs) != 0 {
		t.Errorf("a desk phone's session: %s", nt.Show(effs))
	}
	nt.WantAttrs(t, nt.Record(t, r.do(node.Message{Conn: s, Payload: push.EncodeJSON(push.SessionMessage{MT: "Hello", Device: "carol-pixel"})}),
		"pbx.session_unexpected"), "mt", "Hello")
	if c := nt.One[node.Close](t, r.do(node.Message{Conn: s, Payload: []byte("{")})); c.Conn != s {
		t.Errorf("closed %d", c.Conn)
	}
}

func TestPBXPushFailedNamesTheDevice(t *testing.T) {
	cfg := pbxConfig(t)
	// alice has a second app, on Android: one call pushes both.
	cfg.Core.Devices = append(cfg.Core.Devices, pbx.Device{Name: "alice-pixel", User: "alice", Kind: pbx.KindMyApps,
		Platform: pbx.Android, PushToken: true})
	cfg.Directory = append(cfg.Directory, pbx.DeviceEntry{Name: "alice-pixel", Token: "fcm:a11ce", Platform: push.PlatformFCM})
	for _, failing := range []string{"alice-iphone", "alice-pixel"} {
		t.Run(failing, func(t *testing.T) {
			r, _ := newPRig(t, cfg)
			r.pushUp()
			r.registered(bobHost, "bob", "202", "bob-desk")
			_, effs := r.call(bobHost, "bob", "202", "201")
			ps, _ := posts(t, effs, r.pushConn)
			if len(ps) != 2 {
				t.Fatalf("posts %s", nt.Show(effs))
			}
			if ps[0].Src == ps[1].Src {
				t.Errorf("both pushes of the call have src %q: their results cannot be told apart", ps[0].Src)
			}
			src := map[string]string{}
			for _, p := range ps {
				src[map[string]string{"a1ce": "alice-iphone", "fcm:a11ce": "alice-pixel"}[p.Token]] = p.Src
			}
			// The vendor refuses one push; the other goes through.
			effs = r.service(&push.PushNotifyPostResult{Src: src[failing], Err: "Unregistered"})
			nt.WantAttrs(t, nt.Record(t, effs, pbx.EventPushFailed), "user", "alice", "device", failing, "reason", "Unregistered")
			for d, s := range src {
				if d != failing {
					if effs := r.service(&push.PushNotifyPostResult{Src: s}); len(nt.Records(effs, pbx.EventPushFailed)) != 0 {
						t.Errorf("a push that went through failed: %s", nt.Show(effs))
					}
				}
			}
		})
	}
}

func TestPBXSessionClosedEndsKeyPath(t *testing.T) {
	r, _ := newPRig(t, pbxConfig(t))
	r.pushUp()
	r.registered(bobHost, "bob", "202", "bob-desk")
	s := r.session()
	r.do(node.Message{Conn: s, Payload: push.EncodeJSON(push.SessionMessage{MT: push.MTPushRegister, Device: "alice-iphone"})})
	_, effs := r.call(bobHost, "bob", "202", "201")
	if ps, _ := posts(t, effs, r.pushConn); len(ps) != 1 || ps[0].Enc == nil || ps[0].Token != "a1ce" {
		t.Fatalf("with the session: %s", nt.Show(effs))
	}
	// The session ends: no key path, so the next push has no details.
	if effs := r.do(node.Closed{Conn: s}); len(effs) != 0 {
		t.Errorf("%s", nt.Show(effs))
	}
	_, effs = r.call(bobHost, "bob", "202", "201")
	if ps, _ := posts(t, effs, r.pushConn); len(ps) != 1 || ps[0].Enc != nil {
		t.Errorf("without the session: %s", nt.Show(effs))
	}
}

// TestPBXSetPushObject: the administrator's change restarts the Push
// object: a logged-in connection is closed and reported (reconfigured), the
// new object dials at once with its own settings, and a dial of the object
// it replaced is closed when it comes up.
func TestPBXSetPushObject(t *testing.T) {
	r, _ := newPRig(t, pbxConfig(t))
	r.pushUp()
	next := *pbxConfig(t).Push
	next.Client.Name = "Push2"
	next.Client.CertificateSerial = "2002"
	effs := r.do(node.Command{Cmd: pbx.SetPushObject{Push: next}})
	if c := nt.One[node.Close](t, effs); c.Conn != r.pushConn || c.Reason != pbx.ReasonReconfigured {
		t.Errorf("close %+v", c)
	}
	nt.WantAttrs(t, nt.Record(t, effs, push.EventPushDisconnect), "pbx", "pbx", "push", "Push", "reason", "reconfigured", "retry_in", "0s")
	d := nt.One[node.Dial](t, effs)
	if d.To != serviceAt || d.Security != next.Security {
		t.Errorf("dial %+v", d)
	}
	// The core takes the new name at once and counts the object down until
	// it logs in: a call now is not pushed, and users naming "Push" find no
	// object.
	r.registered(bobHost, "bob", "202", "bob-desk")
	_, effs = r.call(bobHost, "bob", "202", "201")
	nt.WantAttrs(t, nt.Record(t, effs, pbx.EventPushSkipped), "device", "alice-iphone", "reason", pbx.SkipNoPushObject)

	// Changed again while dialling: the first dial's connection is dropped
	// when it comes up, the second object's login goes on.
	again := r.do(node.Command{Cmd: pbx.SetPushObject{Push: next}})
	if len(nt.All[node.Close](again)) != 0 || len(nt.Records(again, push.EventPushDisconnect)) != 0 {
		t.Errorf("a Push object that never connected reported going down: %s", nt.Show(again))
	}
	late := r.conn()
	if c := nt.One[node.Close](t, r.do(node.Dialled{Ref: d.Ref, Conn: late, Remote: serviceAt})); c.Conn != late {
		t.Errorf("the stale dial's connection was not closed: %+v", c)
	}
	d2 := nt.One[node.Dial](t, again)
	r.pushDial, r.pushConn = d2, 0
	conn := r.conn()
	effs = r.do(node.Dialled{Ref: d2.Ref, Conn: conn, Remote: serviceAt,
		Peer: node.Peer{Identity: &node.Identity{Subject: "push.example", Issuer: pki.ServiceCAName}, Verified: true}})
	if m := pushSent(t, effs, conn); m.MessageType() != push.MTAppChallenge {
		t.Errorf("the new object does not log in: %s", m.MessageType())
	}
}
