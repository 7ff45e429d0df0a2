package pbx

import (
	"encoding/hex"
	"strconv"
	"time"

	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/timeline"
)

// LegacyPath is appended to the service URL's path by a 12r2 Push object:
// it logs in with the password of its registration, without a client
// certificate, on the service's password endpoint (model choice, B06).
const LegacyPath = "/legacy"

// pushDo carries out the Push object's effects.
func (n *Node) pushDo(effects []push.Effect) {
	for _, e := range effects {
		switch e := e.(type) {
		case push.Dial:
			path := e.Path
			if e.Legacy {
				path += LegacyPath
			}
			n.pushDialing = true
			n.dial(node.Dial{From: n.cfg.IP, To: n.cfg.Push.Service, Transport: node.WSS, Path: path,
				Security: n.cfg.Push.Security, Protocol: push.ProtocolPush}, dialFor{push: true, pushGen: n.pushGen})
		case push.Send:
			if n.pushConn == 0 {
				continue
			}
			s := node.Send{Conn: n.pushConn, Payload: e.Data}
			if e.Event != nil {
				s.Event = node.Event{Name: e.Event.Name, Attrs: e.Event.Attrs, Protocol: e.Event.Protocol}
			}
			n.emit(s)
		case push.Close:
			if n.pushConn != 0 {
				n.emit(node.Close{Conn: n.pushConn, Reason: e.Reason})
				n.pushConn = 0
			}
		case node.SetTimer, node.CancelTimer:
			n.emit(e)
		case push.PostFailed:
			n.pushRefused(e.Src, e.Reason)
		case push.PostDone:
			if e.Err != "" {
				n.pushRefused(e.Src, e.Err)
			} else {
				delete(n.pushes, e.Src)
			}
		case push.Event:
			n.pushEvent(e)
		}
	}
}

// ReasonReconfigured is pbx.push_disconnected's reason when the
// administrator changed the connected Push object (SetPushObject).
const ReasonReconfigured = "reconfigured"

// SetPushObject is a Command: the administrator creates the PBX's Push
// object, or changes it — its settings, the PBX's trust list for the
// service, its certificate — and presses OK (B01-B06). The object starts
// again with Push: an open connection is closed (pbx.push_disconnected
// {reason: reconfigured} when it was logged in), the backoff is forgotten
// and it connects at once. Pushes awaiting a result lose it (their calls
// wait for the registration as with any failed push).
type SetPushObject struct{ Push PushConfig }

func (n *Node) setPushObject(now time.Time, cfg PushConfig) {
	client, err := push.NewClient(cfg.Client, n.cfg.Random)
	if err != nil {
		n.record("pbx.error", timeline.A("pbx", n.cfg.Name), timeline.A("error", err.Error()))
		return
	}
	if old := n.client; old != nil {
		n.emit(node.CancelTimer{ID: push.TimerReconnect.Node()}, node.CancelTimer{ID: push.TimerLogin.Node()})
		if n.pushConn != 0 {
			n.emit(node.Close{Conn: n.pushConn, Reason: ReasonReconfigured})
			n.pushConn = 0
		}
		if n.pushUp {
			n.record(push.EventPushDisconnect, timeline.A("pbx", n.cfg.Name), timeline.A("push", old.Config().Name),
				timeline.A("reason", ReasonReconfigured), timeline.A("retry_in", time.Duration(0)))
		}
	}
	clear(n.pushes)
	n.pushGen++
	n.pushDialing, n.pushUp = false, false
	n.cfg.Push = &cfg
	n.client = client
	n.handle(now, PushObjectSet{Name: cfg.Client.Name})
	n.pushDo(client.Start())
}

func (n *Node) pushDialled(in node.Dialled) {
	n.pushDialing = false
	if in.Err != nil {
		reason := push.ReasonUnreachable
		if in.Err == node.ErrUntrusted {
			reason = push.ReasonUntrusted
		}
		n.pushDo(n.client.Failed(reason))
		return
	}
	n.pushConn = in.Conn
	n.pushDo(n.client.Opened())
}

// pushEvent records the Push object's events; the core learns when it goes
// up or down (B01).
func (n *Node) pushEvent(e push.Event) {
	n.emit(node.Record{Name: e.Name, Attrs: e.Attrs})
	now := n.now
	switch e.Name {
	case push.EventPushConnected:
		if !n.pushUp {
			n.pushUp = true
			n.handle(now, PushObjectChanged{Connected: true})
		}
	case push.EventPushDisconnect:
		if n.pushUp {
			n.pushUp = false
			n.handle(now, PushObjectChanged{Connected: false})
		}
	}
}

// keyFor is the key a push to d is sealed with: only while the app has a
// key path (its session, or a secure registration) and holds the key; nil
// sends the type only (B08).
func (n *Node) keyFor(d *entry) *push.Key {
	if d.KeyHeld && d.Key.ID != "" && (d.session != 0 || d.Secure) {
		k := d.Key
		return &k
	}
	return nil
}

// sendPush hands a push decision to the Push object.
func (n *Node) sendPush(e SendPush) {
	d := n.byName[e.Device]
	if n.client == nil || d == nil {
		return
	}
	// Each post has a request id of its own: one call pushes every app of
	// its users, and the service's result for each must find its device.
	n.postSeq++
	src := strconv.Itoa(n.postSeq)
	call := ""
	if e.Type == PushTypeNotification {
		src = "n" + src // a notification belongs to no call
	} else {
		g := n.guid(e.Call)
		call = hex.EncodeToString(g[:])
	}
	n.pushes[src] = pendingPush{call: e.Call, device: e.Device}
	n.pushDo(n.client.Post(push.Post{
		Src: src, Token: d.Token, Platform: d.Platform, Type: e.Type, Call: call,
		Details: push.Details{Number: e.Number, Name: e.Name, Title: e.Title, Content: e.Content},
		Key:     n.keyFor(d), User: e.User, Device: e.Device,
	}))
}

// pushRefused: the service or the vendor answered a push with an error (or
// it could not be posted): the core learns it (call.push_failed).
func (n *Node) pushRefused(src, reason string) {
	pp, ok := n.pushes[src]
	if !ok {
		return
	}
	delete(n.pushes, src)
	if pp.call != 0 { // a notification has no call waiting for it
		n.handle(n.now, PushFailed{Call: pp.call, Device: pp.device, Reason: reason})
	}
}

// sessionMessage: an app on its myApps session tells its push token or
// logs out (B08, B26); the PBX answers a token with the app's push key.
func (n *Node) sessionMessage(now time.Time, pc *pconn, in node.Message) {
	m, err := push.DecodeSession(in.Payload)
	if err != nil {
		n.emit(node.Close{Conn: pc.id})
		delete(n.conns, pc.id)
		return
	}
	d := n.byName[m.Device]
	if d == nil || !d.kind.isApp() {
		return
	}
	switch m.MT {
	case push.MTPushRegister:
		pc.device, d.session = d.Name, pc.id
		if m.Token != "" {
			d.Token, d.Platform = m.Token, m.Platform
		}
		if d.Key.ID == "" {
			k, err := push.NewKey(d.Name, n.cfg.Random)
			if err != nil {
				return
			}
			d.Key = k
		}
		if d.tokenDropped {
			d.tokenDropped = false
			n.handle(now, PushTokenRegistered{Device: d.Name})
		}
		d.KeyHeld = true
		n.emit(node.Send{Conn: pc.id, Payload: push.EncodeJSON(push.KeyMessage(d.Key))})
	case push.MTLogout:
		d.KeyHeld, d.tokenDropped = false, true
		if d.session == pc.id {
			d.session = 0
		}
		n.handle(now, PushTokenDropped{Device: d.Name})
	default:
		n.emit(node.Record{Name: "pbx.session_unexpected", Attrs: []timeline.Attr{timeline.A("mt", m.MT)}, About: &node.About{Conn: pc.id}})
	}
}

func (n *Node) sessionClosed(pc *pconn) {
	if d := n.byName[pc.device]; d != nil && d.session == pc.id {
		d.session = 0
	}
}
