package pbx

import (
	"cmp"
	"net/netip"
	"slices"
	"time"

	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/timeline"
)

// The device directory. A registration belongs to the user its RRQ's
// aliases name (h323-ID = the user's name, dialledDigits = the number) and,
// among that user's devices, to the one a further h323-ID names (callwake's
// phones send their device name, as a hardware ID), else to the device
// already registered from the same call-signalling address, else to the
// first of the user's devices without a registration. An RRQ whose aliases
// name no user, or whose user has no device left, gets RRJ invalidAlias.

// userOf names the user an alias list names, -1 for none.
func (n *Node) userOf(aliases []string) int {
	for _, a := range aliases {
		if u, ok := n.aliases[a]; ok {
			return u
		}
	}
	return -1
}

// resolve binds an RRQ to a device (ras.GatekeeperConfig.Resolve).
func (n *Node) resolve(aliases []string, callSignal netip.AddrPort) (string, bool) {
	u := n.userOf(aliases)
	if u < 0 {
		return "", false
	}
	for _, a := range aliases {
		if e := n.byName[a]; e != nil && e.user == u {
			return e.Name, true
		}
	}
	var free *entry
	for _, e := range n.byUser[u] {
		if e.reg != nil && e.reg.CallSignalAddress == callSignal {
			return e.Name, true
		}
		if e.reg == nil && free == nil {
			free = e
		}
	}
	if free == nil {
		return "", false
	}
	return free.Name, true
}

// password is the H.235 password of a user alias (B31).
func (n *Node) password(alias string) (string, bool) {
	u, ok := n.aliases[alias]
	if !ok {
		return "", false
	}
	pw := n.cfg.Core.Users[u].Password
	return pw, pw != ""
}

// datagram hands a RAS datagram to the gatekeeper; its answers go back the
// way it came.
func (n *Node) datagram(now time.Time, in node.Datagram) {
	if in.Sock != sockRAS && in.Sock != sockDTLS {
		return
	}
	n.route, n.routeFor = rasRoute{sock: in.Sock, secure: in.Sock == sockDTLS}, in.From
	n.rasDo(now, n.gk.HandleDatagramAt(now, in.To, in.From, in.Payload))
	n.routeFor = netip.AddrPort{}
}

// tunnelRAS hands the RAS messages of an H.460.17 Facility to the
// gatekeeper as if from the connection's far end; the connection becomes
// the one that device maintains.
func (n *Node) tunnelRAS(now time.Time, pc *pconn, msg []byte) {
	msgs, err := h323.DecodeRASTunnel(msg)
	if err != nil {
		n.emit(node.Record{Name: "ras.malformed", Attrs: []timeline.Attr{timeline.A("error", "H.460.17: "+err.Error())},
			About: &node.About{Conn: pc.id}})
		return
	}
	pc.maintained = true
	for _, b := range msgs {
		n.route, n.routeFor = rasRoute{conn: pc.id, secure: pc.secure}, pc.remote
		n.rasDo(now, n.gk.HandleDatagram(now, pc.remote, b))
	}
	n.routeFor = netip.AddrPort{}
}

// rasDo carries out the gatekeeper's effects.
func (n *Node) rasDo(now time.Time, effects []ras.Effect) {
	for _, e := range effects {
		switch e := e.(type) {
		case ras.Send:
			n.sendRAS(e.To, e.Payload, node.Event{Name: e.Event, Attrs: e.Attrs, Protocol: "ras"})
		case node.SetTimer, node.CancelTimer, node.Record:
			n.emit(e)
		case ras.EndpointRegistered:
			n.registered(now, e.Registration)
		case ras.EndpointUnregistered:
			if d := n.byName[e.Registration.Key]; d != nil && d.reg != nil {
				n.unindex(d)
				d.reg = nil
				n.handle(now, DeviceUnregistered{Device: d.Name})
			}
		}
	}
}

// sendRAS sends a gatekeeper message the way its addressee's RAS comes:
// the route of the request being answered, or the device's.
func (n *Node) sendRAS(to netip.AddrPort, payload []byte, ev node.Event) {
	r := n.route
	if to != n.routeFor {
		r = rasRoute{sock: sockRAS}
		if d := n.byRAS[to]; d != nil {
			r = d.route
		}
	}
	if r.conn == 0 {
		n.emit(node.SendTo{Sock: r.sock, To: to, Payload: payload, Event: ev})
		return
	}
	if _, ok := n.conns[r.conn]; !ok {
		// The connection the device maintained is gone: the message cannot
		// be sent, and the device's RAS retransmits or times out.
		n.record(ev.Name, append(append([]timeline.Attr{timeline.A("from", n.cfg.Name), timeline.A("to", to.String())}, ev.Attrs...),
			timeline.A("lost", true))...)
		return
	}
	framed, err := h323.EncodeRASTunnel(payload)
	if err != nil {
		n.record("pbx.error", timeline.A("pbx", n.cfg.Name), timeline.A("error", err.Error()))
		return
	}
	ev.Attrs = append(append([]timeline.Attr(nil), ev.Attrs...), timeline.A("tunnel", "h460.17"))
	ev.Wire = payload
	n.emit(node.Send{Conn: r.conn, Payload: framed, Event: ev})
}

// index enters registered device d in byRAS and byIP.
func (n *Node) index(d *entry) {
	if x := n.byRAS[d.reg.RASAddress]; x == nil || d.idx < x.idx {
		n.byRAS[d.reg.RASAddress] = d
	}
	for _, ip := range d.ips() {
		l := n.byIP[ip]
		i, found := slices.BinarySearchFunc(l, d.idx, func(x *entry, idx int) int { return cmp.Compare(x.idx, idx) })
		if !found {
			n.byIP[ip] = slices.Insert(l, i, d)
		}
	}
}

// unindex removes registered device d from byRAS and byIP.
func (n *Node) unindex(d *entry) {
	if n.byRAS[d.reg.RASAddress] == d {
		delete(n.byRAS, d.reg.RASAddress)
		// Another device registered from the same address keeps the route.
		for _, x := range n.byIP[d.reg.RASAddress.Addr()] {
			if x != d && x.reg.RASAddress == d.reg.RASAddress {
				n.byRAS[d.reg.RASAddress] = x
				break
			}
		}
	}
	for _, ip := range d.ips() {
		l := slices.DeleteFunc(n.byIP[ip], func(x *entry) bool { return x == d })
		if len(l) == 0 {
			delete(n.byIP, ip)
		} else {
			n.byIP[ip] = l
		}
	}
}

// ips are the IP addresses of a registered device (RAS, call signalling).
func (d *entry) ips() []netip.Addr {
	a, b := d.reg.RASAddress.Addr(), d.reg.CallSignalAddress.Addr()
	if a == b {
		return []netip.Addr{a}
	}
	return []netip.Addr{a, b}
}

// registered: the gatekeeper confirmed a registration of a device.
func (n *Node) registered(now time.Time, reg ras.Registration) {
	d := n.byName[reg.Key]
	if d == nil {
		return
	}
	if d.reg != nil {
		n.unindex(d) // a re-registration may come from new addresses
	}
	r := reg
	d.reg = &r
	d.route = n.route
	d.Secure = n.route.secure
	n.index(d)
	if n.route.conn != 0 {
		d.tunnel = n.route.conn
		if pc := n.conns[n.route.conn]; pc != nil {
			pc.device = d.Name
			if !slices.Contains(pc.tunnelled, d) {
				pc.tunnelled = append(pc.tunnelled, d)
			}
		}
	}
	// B08: over a secure transport the PBX hands an app its push key.
	if d.Secure && d.kind.isApp() && !d.KeyHeld && d.Key.ID != "" {
		d.KeyHeld = true
		msg, err := ras.Encode(ras.NewKeyMessage(1, push.EncodeJSON(push.KeyMessage(d.Key))))
		if err == nil {
			n.sendRAS(reg.RASAddress, msg, node.Event{Name: "ras.nsm", Protocol: "ras"})
		}
	}
	n.handle(now, DeviceRegistered{Device: d.Name})
}
