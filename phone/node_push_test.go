package phone_test

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	nt "github.com/callwake/callwake/internal/nodetest"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/ras"
)

// --- the push path

// appUp starts the app and brings up its vendor connection (conn 31) and
// its session (conn 32).
func appUp(t *testing.T, cfg phone.NodeConfig) (*rig, []node.Effect) {
	t.Helper()
	r := newRig(t, cfg)
	effs := r.listen()
	if len(nt.All[node.SendTo](effs)) != 0 {
		t.Fatalf("a background app registered at start: %s", nt.Show(effs))
	}
	vendor := nt.DialTo(t, effs, apnsDevices)
	if vendor.Transport != node.WSS || vendor.Protocol != push.PlatformAPNs || vendor.From != phoneIP {
		t.Errorf("vendor Dial %+v", vendor)
	}
	var out []node.Effect
	effs2 := r.do(node.Dialled{Ref: vendor.Ref, Conn: 31, Local: netip.AddrPortFrom(phoneIP, 50300), Remote: apnsDevices})
	hello := nt.One[node.Send](t, effs2)
	m, err := push.DecodeDevice(hello.Payload)
	if hello.Conn != 31 || err != nil || m.MT != push.MTHello || m.Token != "feedbeef" {
		t.Errorf("vendor hello %+v %v", m, err)
	}
	out = append(out, effs2...)
	if !cfg.Core.WebSocketSession {
		for _, d := range nt.All[node.Dial](effs) {
			if d.To == pbxSession {
				t.Errorf("an app without a session dials it: %+v", d)
			}
		}
		return r, out
	}
	session := nt.DialTo(t, effs, pbxSession)
	if session.Transport != node.WSS || session.Path != "/myapps" || session.Protocol != "session" {
		t.Errorf("session Dial %+v", session)
	}
	effs2 = r.do(node.Dialled{Ref: session.Ref, Conn: 32, Local: netip.AddrPortFrom(phoneIP, 50301), Remote: pbxSession})
	reg := nt.One[node.Send](t, effs2)
	sm, err := push.DecodeSession(reg.Payload)
	if reg.Conn != 32 || err != nil || sm != (push.SessionMessage{MT: push.MTPushRegister, Device: "alice-iphone",
		Token: "feedbeef", Platform: push.PlatformAPNs}) {
		t.Errorf("session hello %+v %v", sm, err)
	}
	return r, append(out, effs2...)
}

func testKey(t *testing.T) push.Key {
	t.Helper()
	k, err := push.NewKey("alice-iphone", rand.NewChaCha8([32]byte{7}))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func keyMessage(k push.Key) []byte { return push.EncodeJSON(push.KeyMessage(k)) }

func TestPhoneAppPushPath(t *testing.T) {
	var decrypted []string
	cfg := appConfig()
	cfg.Decrypted = func(typ string, d push.Details) { decrypted = append(decrypted, typ+" "+d.Number+" "+d.Name) }
	r, _ := appUp(t, cfg)

	// The key comes over the session: recorded once per key path.
	k := testKey(t)
	effs := r.do(node.Message{Conn: 32, Payload: keyMessage(k)})
	rec := nt.Record(t, effs, phone.EventKeyReceived)
	nt.WantAttrs(t, rec, "device", "alice-iphone", "via", phone.KeyViaWebSocket)
	if rec.About == nil || rec.About.Conn != 32 {
		t.Errorf("key_received About %+v, want the session", rec.About)
	}
	if effs := r.do(node.Message{Conn: 32, Payload: keyMessage(k)}); len(effs) != 0 {
		t.Errorf("a second key on the same path: %s", nt.Show(effs))
	}

	// A push arrives on the vendor connection, sealed with that key; the
	// PBX's name lookup had not finished (B17): the number only.
	pc, setup := newPBXCall(t, 3, false, pbxEphem, netip.AddrPortFrom(phoneIP, phone.PortSignalling))
	sealed, err := push.Seal(k, "call", push.Details{Number: "201"}, rand.NewChaCha8([32]byte{9}))
	if err != nil {
		t.Fatal(err)
	}
	payload := push.EncodeJSON(push.PhonePayload{Type: "call", Call: hex.EncodeToString(pc.guid[:]),
		KeyID: sealed.KeyID, Nonce: sealed.Nonce, Ciphertext: sealed.Ciphertext})
	effs = r.do(node.Message{Conn: 31, Payload: push.EncodeJSON(push.DeviceMessage{MT: push.MTPush, Payload: payload})})
	delivered := nt.Record(t, effs, phone.EventPushDelivered)
	nt.WantAttrs(t, delivered, "device", "alice-iphone")
	if a := delivered.About; a == nil || a.Conn != 31 || a.Protocol != push.PlatformAPNs || !bytes.Equal(a.Payload, payload) || a.Sent {
		t.Errorf("push.delivered About %+v, want the push received on the vendor connection", a)
	}
	nt.WantAttrs(t, nt.Record(t, effs, phone.EventAppStarted), "device", "alice-iphone", "reason", phone.ReasonPush)
	if !slices.Equal(decrypted, []string{"call 201 "}) {
		t.Errorf("the app read %q", decrypted)
	}

	// After the wake latency the app registers.
	effs = r.fire(effs, time.Second)
	_, grq := sentRAS(t, effs, "ras.grq")
	effs = r.ras(gkRAS, ras.NewGCF(ras.SeqNum(grq), "pbx.example", gkRAS, nil))
	r.rcf(effs, preGrant)

	// The Setup of the pushed call rings with what the push showed; iOS
	// then updates the call screen from the Setup's name.
	r.do(node.Accepted{Listener: r.sigSock, Conn: 40, Local: r.sigAddr, Remote: pbxEphem})
	effs = r.do(node.Message{Conn: 40, Payload: setup})
	nt.WantAttrs(t, nt.Record(t, effs, phone.EventRinging), "device", "alice-iphone", "number", "201", "name", "")
	nt.WantAttrs(t, nt.Record(t, effs, phone.EventCallerUpdated), "number", "201", "name", "alice")
}

func TestPhoneAppPushWithoutKey(t *testing.T) {
	var decrypted []string
	cfg := appConfig()
	cfg.Decrypted = func(typ string, d push.Details) { decrypted = append(decrypted, typ+"|"+d.Number+"|"+d.Name) }
	r, _ := appUp(t, cfg)
	// Sealed under a key the app does not hold: shown without details.
	sealed, _ := push.Seal(testKey(t), "call", push.Details{Number: "202"}, rand.NewChaCha8([32]byte{9}))
	payload := push.EncodeJSON(push.PhonePayload{Type: "call", KeyID: sealed.KeyID, Nonce: sealed.Nonce, Ciphertext: sealed.Ciphertext})
	effs := r.do(node.Message{Conn: 31, Payload: push.EncodeJSON(push.DeviceMessage{MT: push.MTPush, Payload: payload})})
	nt.Record(t, effs, phone.EventPushDelivered)
	if !slices.Equal(decrypted, []string{"call||"}) {
		t.Errorf("the app read %q", decrypted)
	}
	// Garbage on the vendor connection is not a push.
	for _, junk := range [][]byte{[]byte("{"), push.EncodeJSON(push.DeviceMessage{MT: push.MTHello}),
		push.EncodeJSON(push.DeviceMessage{MT: push.MTPush, Payload: []byte(`{"type":""}`)})} {
		if effs := r.do(node.Message{Conn: 31, Payload: junk}); len(effs) != 0 {
			t.Errorf("%s: %s", junk, nt.Show(effs))
		}
	}
}

func TestPhoneAppDroppedPushNamesNoWire(t *testing.T) {
	cfg := appConfig()
	cfg.Core.IOS.NotificationsAllowed = false
	r, _ := appUp(t, cfg)
	payload := push.EncodeJSON(push.PhonePayload{Type: "call"})
	effs := r.do(node.Message{Conn: 31, Payload: push.EncodeJSON(push.DeviceMessage{MT: push.MTPush, Payload: payload})})
	dropped := nt.Record(t, effs, phone.EventPushDropped)
	nt.WantAttrs(t, dropped, "reason", phone.DropNotificationsDenied)
	if a := dropped.About; a == nil || a.Conn != 31 || a.Protocol != "" || a.Payload != nil {
		t.Errorf("push.dropped About %+v, want the connection without wire bytes", a)
	}
	if len(nt.Records(effs, phone.EventAppStarted)) != 0 {
		t.Error("a dropped push started the app")
	}
}

func TestPhoneVendorConnectionRetries(t *testing.T) {
	cfg := appConfig()
	cfg.Core.WebSocketSession = false
	r := newRig(t, cfg)
	effs := r.listen()
	d := nt.DialTo(t, effs, apnsDevices)
	effs = r.do(node.Dialled{Ref: d.Ref, Remote: apnsDevices, Err: node.ErrRefused})
	if len(nt.All[node.Send](effs)) != 0 {
		t.Fatalf("sent on a connection that failed: %s", nt.Show(effs))
	}
	effs = r.fire(effs, phone.VendorRetry)
	d = nt.DialTo(t, effs, apnsDevices)
	effs = r.do(node.Dialled{Ref: d.Ref, Conn: 8, Remote: apnsDevices})
	nt.One[node.Send](t, effs)
	// The vendor drops the connection: the phone comes back later.
	effs = r.do(node.Closed{Conn: 8, Err: node.ErrReset})
	effs = r.fire(effs, phone.VendorRetry)
	nt.DialTo(t, effs, apnsDevices)
	// A stopping phone does not reconnect.
	r.do(node.Stop{})
	if effs := r.do(node.Closed{Conn: 9}); len(nt.All[node.Dial](effs)) != 0 {
		t.Errorf("%s", nt.Show(effs))
	}
}

func TestPhoneSessionKeyOnce(t *testing.T) {
	// With the key from before the run, the app records it at the start;
	// the session's PushKey then brings nothing new.
	cfg := appConfig()
	k := testKey(t)
	cfg.Key = &k
	r := newRig(t, cfg)
	effs := r.listen()
	rec := nt.Record(t, effs, phone.EventKeyReceived)
	nt.WantAttrs(t, rec, "from", "pbx", "to", "alice-iphone", "device", "alice-iphone", "via", phone.KeyViaWebSocket)
	s := nt.DialTo(t, effs, pbxSession)
	r.do(node.Dialled{Ref: s.Ref, Conn: 32, Remote: pbxSession})
	if effs := r.do(node.Message{Conn: 32, Payload: keyMessage(k)}); len(nt.Records(effs, phone.EventKeyReceived)) != 0 {
		t.Errorf("the held key recorded again: %s", nt.Show(effs))
	}
	// The session goes down and comes back: a new path, a new record.
	r.do(node.Command{Cmd: phone.SessionChanged{Up: false}})
	effs = r.do(node.Command{Cmd: phone.SessionChanged{Up: true}})
	s = nt.DialTo(t, effs, pbxSession)
	r.do(node.Dialled{Ref: s.Ref, Conn: 33, Remote: pbxSession})
	nt.Record(t, r.do(node.Message{Conn: 33, Payload: keyMessage(k)}), phone.EventKeyReceived)
	// Junk on the session is ignored.
	for _, junk := range []string{"{", `{"mt":"PushKey","kid":"x","secret":"!!"}`, `{"mt":"Other"}`} {
		if effs := r.do(node.Message{Conn: 33, Payload: []byte(junk)}); len(effs) != 0 {
			t.Errorf("%s: %s", junk, nt.Show(effs))
		}
	}
}

func TestPhoneLogoutTellsThePBX(t *testing.T) {
	r, _ := appUp(t, appConfig())
	effs := r.do(node.Command{Cmd: phone.AppStateChanged{State: phone.LoggedOut}})
	var logout node.Send
	for _, s := range nt.All[node.Send](effs) {
		if s.Conn == 32 {
			logout = s
		}
	}
	m, err := push.DecodeSession(logout.Payload)
	if err != nil || m.MT != push.MTLogout || m.Device != "alice-iphone" {
		t.Fatalf("logout on the session: %+v %v in %s", m, err, nt.Show(effs))
	}
	if c := nt.One[node.Close](t, effs); c.Conn != 32 {
		t.Errorf("closed %d, want the session", c.Conn)
	}
}

// The key over secure RAS (B08): a DTLS app takes the PBX's key message
// itself; the endpoint never sees it. Over plain RAS it is not a key.
func TestPhoneKeyOverSecureRAS(t *testing.T) {
	k := testKey(t)
	nsm, err := ras.Encode(ras.NewKeyMessage(1, keyMessage(k)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range []phone.Transport{phone.DTLS, phone.H323} {
		t.Run(tr.Name(), func(t *testing.T) {
			cfg := appConfig()
			cfg.Core.App, cfg.Core.WebSocketSession = phone.Foreground, false
			cfg.Transport, cfg.Discover = tr, false
			if tr == phone.DTLS {
				cfg.Gatekeeper, cfg.PBXSignal, cfg.SignalPort = gkDTLS, pbxSecure, phone.PortSecure
				cfg.Core.SecureSignalling = true
			}
			r := newRig(t, cfg)
			effs := r.listen()
			st, rrq := sentRAS(t, effs, "ras.rrq")
			if st.To != cfg.Gatekeeper || st.Sock != r.rasSock {
				t.Errorf("RRQ to %v on %d", st.To, st.Sock)
			}
			m := ras.NewRCF(ras.SeqNum(rrq), "pbx.example", cfg.PBXSignal, ras.Info{Alias: "alice", EndpointID: "ep-0002"}, 0)
			r.ras(cfg.Gatekeeper, m)
			effs = r.do(node.Datagram{Sock: r.rasSock, From: cfg.Gatekeeper, To: r.rasAddr, Payload: nsm})
			if tr == phone.H323 {
				if len(nt.Records(effs, phone.EventKeyReceived)) != 0 {
					t.Fatalf("took a key over plain RAS: %s", nt.Show(effs))
				}
				nt.WantAttrs(t, nt.Record(t, effs, "ras.ignored"), "message", "ras.nsm")
				return
			}
			if len(effs) != 1 {
				t.Fatalf("key message: %s, want only the key's record (the endpoint must not see it)", nt.Show(effs))
			}
			nt.WantAttrs(t, nt.Record(t, effs, phone.EventKeyReceived), "device", "alice-iphone", "via", "h323-dtls")
			if effs := r.do(node.Datagram{Sock: r.rasSock, From: cfg.Gatekeeper, To: r.rasAddr, Payload: nsm}); len(effs) != 0 {
				t.Errorf("the key again: %s", nt.Show(effs))
			}
		})
	}
}

func TestPhoneLoginTellsTheToken(t *testing.T) {
	cfg := appConfig()
	cfg.Core.App = phone.LoggedOut
	r := newRig(t, cfg)
	effs := r.listen()
	for _, d := range nt.All[node.Dial](effs) {
		if d.To == pbxSession {
			t.Fatalf("a logged-out app opens its session: %s", nt.Show(effs))
		}
	}
	effs = r.do(node.Command{Cmd: phone.AppStateChanged{State: phone.Foreground}})
	nt.WantAttrs(t, nt.Record(t, effs, phone.EventAppStarted), "reason", phone.ReasonUser)
	sentRAS(t, effs, "ras.grq")
	s := nt.DialTo(t, effs, pbxSession)
	effs = r.do(node.Dialled{Ref: s.Ref, Conn: 32, Remote: pbxSession})
	m, err := push.DecodeSession(nt.One[node.Send](t, effs).Payload)
	if err != nil || m.MT != push.MTPushRegister || m.Token != "feedbeef" {
		t.Errorf("login says %+v %v", m, err)
	}
}
