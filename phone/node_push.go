package phone

import (
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/timeline"
)

// EventKeyReceived is recorded when the app gets its push key (B08):
// app.key_received {device, via: websocket|h323-tls|h323-dtls}.
const EventKeyReceived = "app.key_received"

// KeyViaWebSocket is app.key_received's via for the myApps session.
const KeyViaWebSocket = "websocket"

// VendorRetry is how long the phone waits before it connects to its
// vendor's push service again after a failure (model choice: the phone
// keeps trying, like the OS does, at a fixed pace).
const VendorRetry = 30 * time.Second

// vendorConn is the phone's connection to its vendor's push service (B20).
type vendorConn struct {
	conn     node.ConnID
	up       bool
	dialling bool
}

// sessionConn is the app's myApps session with its PBX (B08).
type sessionConn struct {
	conn     node.ConnID
	up       bool
	dialling bool
	// logout: the session is opened (or kept) to log out; it says Logout
	// instead of PushRegister.
	logout bool
}

func (n *Node) isApp() bool { return n.cfg.Core.Kind != KindDeskphone }

// initialKeyPath names the key path up at the start: the session, else a
// secure transport (B08).
func (n *Node) initialKeyPath() string {
	switch {
	case !n.isApp() || n.cfg.Core.App == LoggedOut:
		return ""
	case n.cfg.Core.WebSocketSession && n.cfg.Session.IsValid():
		return KeyViaWebSocket
	case n.cfg.Transport.Secure():
		return n.cfg.Transport.Name()
	}
	return ""
}

func (n *Node) keyAttrs(via string) []timeline.Attr {
	attrs := []timeline.Attr{timeline.A("device", n.name()), timeline.A("via", via)}
	return attrs
}

// startPushPath connects to the vendor and opens the session of an app.
func (n *Node) startPushPath() {
	if !n.isApp() {
		return
	}
	n.dialVendor()
	if n.cfg.Core.WebSocketSession && n.cfg.Core.App != LoggedOut {
		n.dialSession(false)
	}
}

func (n *Node) dialVendor() {
	if !n.cfg.Vendor.IsValid() || n.vendor.up || n.vendor.dialling || n.stopping {
		return
	}
	n.vendor.dialling = true
	n.dial(dialVendor, nil, node.Dial{From: n.cfg.IP, To: n.cfg.Vendor, Transport: node.WSS, Protocol: n.cfg.Platform})
}

func (n *Node) vendorDialled(in node.Dialled) {
	n.vendor.dialling = false
	if in.Err != nil {
		n.emit(node.SetTimer{ID: node.TimerID{Kind: timerVendorRetry}, After: VendorRetry})
		return
	}
	n.vendor.conn, n.vendor.up = in.Conn, true
	n.emit(node.Send{Conn: in.Conn, Payload: push.EncodeJSON(push.DeviceMessage{MT: push.MTHello, Token: n.cfg.Token})})
}

func (n *Node) vendorClosed() {
	n.vendor = vendorConn{}
	n.emit(node.SetTimer{ID: node.TimerID{Kind: timerVendorRetry}, After: VendorRetry})
}

// vendorCut: the network cut the vendor connection (B20); the phone
// retries at its pace.
func (n *Node) vendorCut() {
	if n.vendor.up {
		n.emit(node.Close{Conn: n.vendor.conn})
		n.vendorClosed()
	}
}

// networkMoved: Wi-Fi to mobile data or back (B20). The push channel is
// made again at once on the new network; a registration is renewed from it.
func (n *Node) networkMoved(now time.Time) {
	if n.vendor.up {
		n.emit(node.Close{Conn: n.vendor.conn})
		n.vendor = vendorConn{}
	}
	n.emit(node.CancelTimer{ID: node.TimerID{Kind: timerVendorRetry}})
	n.dialVendor()
	if n.ep != nil && n.ep.Registered() && !n.stopping {
		n.rasDo(now, n.ep.Register(now))
	}
}

// vendorMessage: a push arrived. The app decrypts its details when it holds
// the key (B08) and hands the push to the decision core.
func (n *Node) vendorMessage(now time.Time, in node.Message) {
	m, err := push.DecodeDevice(in.Payload)
	if err != nil || m.MT != push.MTPush {
		return
	}
	typ, details, err := push.OpenPhonePayload(m.Payload, n.key)
	if err != nil {
		// Sealed under a key the app does not hold: shown without details.
		if p, perr := push.DecodePhonePayload(m.Payload); perr == nil {
			typ, details = p.Type, push.Details{}
		} else {
			return
		}
	}
	if n.cfg.Decrypted != nil {
		n.cfg.Decrypted(typ, details)
	}
	var ref CallRef
	if p, err := push.DecodePhonePayload(m.Payload); err == nil {
		if g, ok := parseGUID(p.Call); ok {
			ref = n.refOf(g)
		}
	}
	about := &node.About{Conn: in.Conn, Protocol: n.cfg.Platform, Payload: []byte(m.Payload)}
	n.coreEffects(now, PushArrived{Call: ref, Type: typ, Number: details.Number, Name: details.Name}, about)
}

func parseGUID(s string) ([16]byte, bool) {
	var g [16]byte
	if len(s) != 32 {
		return g, false
	}
	if _, err := hex.Decode(g[:], []byte(s)); err != nil {
		return g, false
	}
	return g, true
}

// dialSession opens the myApps session to the PBX.
func (n *Node) dialSession(logout bool) {
	if !n.cfg.Session.IsValid() {
		return
	}
	n.session.logout = logout
	if n.session.up {
		n.sendSessionHello()
		return
	}
	if n.session.dialling {
		return
	}
	n.session.dialling = true
	n.dial(dialSession, nil, node.Dial{From: n.cfg.IP, To: n.cfg.Session, Transport: node.WSS, Path: "/myapps", Protocol: "session"})
}

func (n *Node) sessionDialled(now time.Time, in node.Dialled) {
	n.session.dialling = false
	if in.Err != nil {
		return
	}
	n.session.conn, n.session.up = in.Conn, true
	n.sendSessionHello()
}

// sendSessionHello says what the session is for: the app's push token, or
// its logout (after which the session ends).
func (n *Node) sendSessionHello() {
	if n.session.logout {
		n.emit(node.Send{Conn: n.session.conn, Payload: push.EncodeJSON(push.SessionMessage{MT: push.MTLogout, Device: n.name()})},
			node.Close{Conn: n.session.conn})
		n.session = sessionConn{}
		return
	}
	n.emit(node.Send{Conn: n.session.conn, Payload: push.EncodeJSON(push.SessionMessage{MT: push.MTPushRegister,
		Device: n.name(), Token: n.cfg.Token, Platform: n.cfg.Platform})})
}

// sessionMessage: the PBX hands the app its push key.
func (n *Node) sessionMessage(now time.Time, in node.Message) {
	m, err := push.DecodeSession(in.Payload)
	if err != nil || m.MT != push.MTPushKey {
		return
	}
	k, err := m.Key()
	if err != nil {
		return
	}
	n.takeKey(k, KeyViaWebSocket, &node.About{Conn: in.Conn})
}

// takeKey keeps a key and records its arrival, once per key path.
func (n *Node) takeKey(k push.Key, via string, about *node.About) {
	n.key = &k
	if n.keyVia == via {
		return
	}
	n.keyVia = via
	n.emit(node.Record{Name: EventKeyReceived, Attrs: n.keyAttrs(via), About: about})
}

// takeKeyMessage takes the key the PBX sends in a RAS nonStandardMessage
// over a secure transport; false for any other datagram.
func (n *Node) takeKeyMessage(payload []byte) bool {
	data, ok := ras.KeyMessageData(payload)
	if !ok {
		return false
	}
	var m push.SessionMessage
	if json.Unmarshal(data, &m) != nil {
		return true
	}
	if k, err := m.Key(); err == nil {
		n.takeKey(k, n.cfg.Transport.Name(), nil)
	}
	return true
}

// setSession: the websocket_session action (B08). The core learns its key
// path; a session coming up brings the key.
func (n *Node) setSession(now time.Time, up bool) {
	n.cfg.Core.WebSocketSession = up
	n.coreDo(now, KeyPathChanged{WebSocketSession: up, SecureSignalling: n.cfg.Transport.Secure()})
	if up {
		n.dialSession(false)
		return
	}
	if n.session.up {
		n.emit(node.Close{Conn: n.session.conn})
	}
	n.session = sessionConn{}
	if n.keyVia == KeyViaWebSocket {
		n.keyVia = "" // the path is gone: the next one records again
		if n.cfg.Transport.Secure() {
			n.keyVia = n.cfg.Transport.Name()
		}
	}
}

// logout: the app's session was logged out (B26): the PBX is told on the
// session, which is opened for it when the app keeps none, and the key
// path is gone.
func (n *Node) logout() {
	n.keyVia = ""
	n.dialSession(true)
}

// login: the user logged in again: a session tells the PBX the push token
// and brings the key.
func (n *Node) login(now time.Time) {
	n.dialSession(false)
	if !n.cfg.Core.WebSocketSession {
		// The app keeps no session: it ends once the token is told
		// (model choice); the key comes over a secure registration.
		n.session.logout = false
	}
}
