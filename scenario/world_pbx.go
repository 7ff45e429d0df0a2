package scenario

import (
	"net/netip"
	"slices"
	"strconv"

	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/pbx"
	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/push/pki"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/sim"
	"github.com/callwake/callwake/timeline"
)

// causeDestinationOutOfOrder (Q.850 27) is what a leg reports when the PBX
// cannot reach the device's call signalling address.
const causeDestinationOutOfOrder = 27

// pbxActor is one PBX: the pbx decision core, the RAS gatekeeper on UDP 1719,
// call signalling legs on TCP 1720, and the Push object's connection to the
// push service.
type pbxActor struct {
	w    *world
	name string
	spec *PBX
	addr netip.Addr
	rand *sim.Rand

	core   *pbx.PBX
	gk     *ras.Gatekeeper
	client *push.Client // nil: no Push object

	coreTimers timers[pbx.TimerID]
	rasTimers  timers[ras.TimerID]
	pushTimers timers[push.Timer]

	pushConn        *sim.Conn // the Push object's connection to the service
	pushFrames      wsReader
	pushCloseReason string // why the service closed the connection (told with the FIN)
	pushUp          bool   // what the pbx core was last told
	notifications   int    // notification pushes sent, for their request ids

	// registered holds the registration of each registered device: its
	// call signalling address and whether it maintains its connection
	// (looked up, never iterated).
	registered map[string]ras.Registration
	// aliases maps H.323 IDs and numbers to the PBX's users (lookups only).
	aliases map[string]*User
	// tunnels holds the connection each device maintains (H.460.17 RAS and
	// the PBX's Setups, B32); looked up, never iterated.
	tunnels map[string]*pbxConn

	callers []*sigLeg // caller legs, in arrival order
	legs    []*sigLeg // device legs, in start order
	nextCRV uint16
}

// sigLeg is one H.225.0 call signalling leg: on its own TCP connection, or
// on the connection a device maintains (B32, H.460.17).
type sigLeg struct {
	call   pbx.CallID
	id     pbx.LegID // 0 for a caller's leg
	device string    // the device at the other end
	guid   [16]byte
	leg    *h323.Leg // nil while the connection is being set up
	conn   *sim.Conn
	pc     *pbxConn // the connection's reader (nil while dialling)
	done   bool     // released, by either side
	// silent and name: what the Setup of a leg still being dialled must
	// carry (12r2 DND; the caller's name when the lookup finished meanwhile).
	silent bool
	name   string
}

func systemName(p *PBX) string {
	if p.SystemName != "" {
		return p.SystemName
	}
	return p.Name
}

func newPBXActor(w *world, index int) (*pbxActor, error) {
	spec := &w.file.PBXs[index]
	addr, _ := w.plan.Lookup(spec.Name)
	p := &pbxActor{
		w: w, name: spec.Name, spec: spec, addr: addr,
		rand:       w.rand.Fork("pbx/" + spec.Name),
		coreTimers: newTimers[pbx.TimerID](w.loop),
		rasTimers:  newTimers[ras.TimerID](w.loop),
		pushTimers: newTimers[push.Timer](w.loop),
		registered: make(map[string]ras.Registration),
		tunnels:    make(map[string]*pbxConn),
		aliases:    make(map[string]*User, 2*len(spec.Users)),
	}
	for i := range spec.Users {
		u := &spec.Users[i]
		if u.Number != "" {
			p.aliases[u.Number] = u
		}
	}
	for i := range spec.Users {
		p.aliases[spec.Users[i].Name] = &spec.Users[i] // a name wins over a number
	}
	cfg := pbx.Config{
		Version:             spec.Version,
		Quirks:              spec.Quirks,
		SystemName:          systemName(spec),
		RegistrationTimeout: spec.RegistrationTimeout,
		NameLookup:          spec.NameLookup,
		NoAnswerTimeout:     spec.NoAnswerTimeout,
	}
	if spec.Push != nil {
		cfg.Push = &pbx.PushObject{Name: spec.Push.Name}
	}
	for _, u := range spec.Users {
		pu := pbx.User{Name: u.Name, Number: u.Number, Password: u.Password, Push: u.Push,
			Presence: pbx.Presence(u.Presence), Forks: u.Forks}
		if u.CFNR != nil {
			pu.CFNR = &pbx.Forward{To: u.CFNR.To, After: u.CFNR.After}
		}
		if u.CFB != nil {
			pu.CFB = &pbx.Forward{To: u.CFB.To}
		}
		if u.CFU != nil {
			pu.CFU = &pbx.Forward{To: u.CFU.To}
		}
		cfg.Users = append(cfg.Users, pu)
	}
	for i := range w.file.Devices {
		d := &w.file.Devices[i]
		if w.users[d.User].pbx != index {
			continue
		}
		pd := pbx.Device{Name: d.Name, User: d.User, Kind: pbx.DeviceKind(d.Kind), Platform: pbx.Platform(d.OS)}
		pd.PushToken = d.Kind.IsApp() && d.App != AppLoggedOut &&
			!(d.Kind == KindMyPBX && d.OS == OSAndroid && d.Android.Push == "off")
		cfg.Devices = append(cfg.Devices, pd)
	}
	core, err := pbx.New(cfg)
	if err != nil {
		return nil, err
	}
	p.core = core
	p.gk = ras.NewGatekeeper(ras.GatekeeperConfig{
		ID:         systemName(spec),
		RASAddress: netip.AddrPortFrom(addr, portRAS),
		TimeToLive: grantedTTL,
		Password:   p.password,
		Known:      p.known,
	})
	if spec.Push != nil {
		ccfg := push.ClientConfig{
			PBX:               spec.Name,
			Name:              spec.Push.Name,
			URL:               spec.Push.URL,
			SystemName:        systemName(spec),
			Certificate:       pki.Role(spec.Push.Certificate),
			CertificateSerial: strconv.FormatInt(spec.Push.CertificateSerial, 10),
			TrustsService:     spec.Push.TrustsService,
			DNSFails:          spec.Push.DNSFails,
			HTTPProxy:         spec.Push.HTTPProxy,
		}
		if spec.Version == pbx.V12r2 {
			ccfg.Auth, ccfg.Password = push.AuthPassword, spec.Push.Password
		}
		if p.client, err = push.NewClient(ccfg, randReader{p.rand.Fork("push")}); err != nil {
			return nil, err
		}
	}
	if err := w.net.ListenUDP(netip.AddrPortFrom(addr, portRAS), func(from netip.AddrPort, b []byte) {
		p.rasDo(p.gk.HandleDatagram(w.now(), from, b))
	}); err != nil {
		return nil, err
	}
	for _, port := range []uint16{portSignalling, portSecure} {
		if err := w.net.ListenStream(netip.AddrPortFrom(addr, port), p.acceptCaller); err != nil {
			return nil, err
		}
	}
	// The PBX's link to the push service carries push_service.latency; it
	// is down when the Push object cannot reach the service (B04).
	w.net.SetLink(addr, w.push.addr, sim.LinkProfile{Latency: w.file.PushService.Latency,
		Down: spec.Push != nil && !spec.Push.Reachable})
	return p, nil
}

// user returns the user an alias (H.323 ID or number) names, or nil.
func (p *pbxActor) user(alias string) *User { return p.aliases[alias] }

// password is the gatekeeper's H.235 password of an alias (B31).
func (p *pbxActor) password(alias string) (string, bool) {
	u := p.user(alias)
	if u == nil || u.Password == "" {
		return "", false
	}
	return u.Password, true
}

func (p *pbxActor) known(alias string) bool { return p.user(alias) != nil }

func (p *pbxActor) start() {
	if p.client != nil {
		p.pushDo(p.client.Start())
	}
}

// handle gives the pbx core one input and carries out its effects in order.
func (p *pbxActor) handle(in pbx.Input) {
	effects, err := p.core.Handle(in)
	if err != nil {
		p.w.fail(errorf(p.name, "%v", err))
		return
	}
	for _, e := range effects {
		p.apply(e)
	}
}

func (p *pbxActor) apply(e pbx.Effect) {
	w := p.w
	switch e := e.(type) {
	case pbx.SetTimer:
		id := e.ID
		p.coreTimers.set(id, e.After, func() { p.handle(pbx.TimerFired{ID: id}) })
	case pbx.CancelTimer:
		p.coreTimers.cancel(e.ID)
	case pbx.Record:
		w.record(e.Name, e.Attrs, nil)
	case pbx.ProceedCaller:
		if l := p.caller(e.Call); l != nil {
			p.legDo(l, l.leg.CallProceeding())
		}
	case pbx.AlertCaller:
		if l := p.caller(e.Call); l != nil {
			p.legDo(l, l.leg.Alerting())
		}
	case pbx.ConnectCaller:
		if l := p.caller(e.Call); l != nil {
			p.legDo(l, l.leg.Connect())
		}
	case pbx.ReleaseCaller:
		if l := p.caller(e.Call); l != nil {
			p.release(l, e.Cause)
		}
	case pbx.StartLeg:
		p.startLeg(e)
	case pbx.ReleaseLeg:
		if l := p.leg(e.Leg); l != nil {
			p.release(l, e.Cause)
		}
	case pbx.UpdateCallerName:
		// The name after the Setup (B17) travels on the leg as a Facility
		// with a Display element (h323.Leg.UpdateDisplay); a leg still being
		// dialled puts it into its Setup instead.
		if l := p.leg(e.Leg); l != nil && !l.done {
			if l.leg == nil {
				l.name = e.Name
			} else {
				p.legDo(l, l.leg.UpdateDisplay(e.Name))
			}
		}
	case pbx.SendPush:
		p.sendPush(e)
	default:
		w.fail(errorf(p.name, "unexpected pbx effect %T", e))
	}
}

func (p *pbxActor) caller(call pbx.CallID) *sigLeg {
	for _, l := range p.callers {
		if l.call == call && !l.done && l.leg != nil {
			return l
		}
	}
	return nil
}

func (p *pbxActor) leg(id pbx.LegID) *sigLeg {
	for _, l := range p.legs {
		if l.id == id && !l.done {
			return l
		}
	}
	return nil
}

// release sends Release Complete on a leg and closes its connection; a leg
// still dialling is abandoned when its connection comes up.
func (p *pbxActor) release(l *sigLeg, cause int) {
	if l.done {
		return
	}
	l.done = true
	if l.leg == nil {
		return
	}
	p.legDo(l, l.leg.Release(cause))
	p.closeLeg(l)
}

// closeLeg closes the connection of an ended leg, unless the connection is
// one a device maintains: it outlives its calls (B32).
func (p *pbxActor) closeLeg(l *sigLeg) {
	if l.pc == nil || !l.pc.maintained {
		l.conn.Close()
	}
}

// acceptCaller takes a TCP (or TLS) connection from a device: one placing a
// call, or the connection a device keeps open for H.460.17 RAS and the
// PBX's Setups (world_tunnel.go).
func (p *pbxActor) acceptCaller(c *sim.Conn) {
	pc := &pbxConn{conn: c, device: p.w.actorAt(c.RemoteAddr())}
	c.OnData(func(b []byte) { p.receive(pc, b) })
	c.OnClose(func(error) { p.connLost(pc) })
}

// connClosed: the peer closed the connection without Release Complete.
func (p *pbxActor) connClosed(l *sigLeg) {
	if l.done || l.leg == nil {
		l.done = true
		return
	}
	l.done = true
	p.peerReleased(l, causeTemporaryFailure)
}

// legDo carries out a leg's effects: messages go on the wire as TPKT frames,
// the peer's actions go to the pbx core.
func (p *pbxActor) legDo(l *sigLeg, effects []h323.Effect) {
	w := p.w
	for _, e := range effects {
		switch e := e.(type) {
		case h323.Send:
			w.sendQ931(l.conn, p.name, l.device, e)
		case h323.PeerSetup:
			if l.id != 0 || l.call != 0 {
				continue
			}
			w.nextCall++
			l.call, l.guid = pbx.CallID(w.nextCall), e.CallID
			p.handle(pbx.CallArrived{Call: l.call, From: l.device, CallingNumber: e.CallingNumber, Dialled: e.CalledNumber})
		case h323.PeerAlerting:
			if l.id != 0 {
				p.handle(pbx.LegAlerted{Leg: l.id})
			}
		case h323.PeerConnect:
			if l.id != 0 {
				p.handle(pbx.LegConnected{Leg: l.id})
			}
		case h323.PeerReleased:
			if !l.done {
				l.done = true
				p.closeLeg(l)
				p.peerReleased(l, e.Cause)
			}
		case h323.ProtocolError:
			w.record("q931.protocol_error", []timeline.Attr{timeline.A("from", l.device), timeline.A("to", p.name), timeline.A("error", e.Err.Error())}, nil)
		}
	}
}

func (p *pbxActor) peerReleased(l *sigLeg, cause int) {
	if l.id != 0 {
		p.handle(pbx.LegReleased{Leg: l.id, Cause: cause})
	} else if l.call != 0 {
		p.handle(pbx.CallerReleased{Call: l.call, Cause: cause})
	}
}

// startLeg opens a leg to a registered device: TCP to its call signalling
// address, then the Setup.
func (p *pbxActor) startLeg(e pbx.StartLeg) {
	w := p.w
	d := w.byName[e.Device]
	l := &sigLeg{call: e.Call, id: e.Leg, device: e.Device, silent: e.Silent, name: e.CallingName}
	l.guid = w.callGUID(p.rand, uint32(e.Call))
	p.legs = append(p.legs, l)
	reg, ok := p.registered[e.Device]
	csa := reg.CallSignalAddress
	if ok && d != nil && reg.MaintainConnection {
		if pc := p.tunnels[e.Device]; pc != nil {
			// B32: the app keeps its connection open; the Setup goes there.
			p.startLegOn(l, pc, e.CallingNumber, d)
			return
		}
	}
	if !ok || d == nil {
		id := e.Leg
		w.loop.After(0, func() {
			if !l.done {
				l.done = true
				p.handle(pbx.LegReleased{Leg: id, Cause: causeDestinationOutOfOrder})
			}
		})
		return
	}
	w.net.Dial(netip.AddrPortFrom(p.addr, 0), csa, func(c *sim.Conn, err error) {
		if err != nil {
			if !l.done {
				l.done = true
				p.handle(pbx.LegReleased{Leg: l.id, Cause: causeDestinationOutOfOrder})
			}
			return
		}
		l.conn = c
		if l.done {
			c.Close() // released while connecting
			return
		}
		pc := &pbxConn{conn: c, device: e.Device}
		c.OnData(func(b []byte) { p.receive(pc, b) })
		c.OnClose(func(error) { p.connLost(pc) })
		p.startLegOn(l, pc, e.CallingNumber, d)
	})
}

// startLegOn sends the Setup of leg l on connection pc.
func (p *pbxActor) startLegOn(l *sigLeg, pc *pbxConn, callingNumber string, d *deviceActor) {
	called := ""
	if d.user != nil {
		called = d.user.Number
	}
	c := pc.conn
	l.conn, l.pc = c, pc
	pc.legs = append(pc.legs, l)
	p.nextCRV = p.nextCRV%0x7fff + 1
	l.leg = h323.NewLeg(h323.LegConfig{
		Outgoing: true, CallReference: p.nextCRV, CallID: l.guid, ConferenceID: l.guid,
		CallingNumber: callingNumber, CallingName: l.name, CalledNumber: called,
		SourceAlias: p.name, Local: c.LocalAddr(), Remote: c.RemoteAddr(), PrivateNetwork: true,
		// B27 (12r2 DND): Signal "alerting off" in the Setup.
		Silent:             l.silent,
		MaintainConnection: pc.maintained,
	})
	p.legDo(l, l.leg.Setup())
}

// rasDo carries out the gatekeeper's effects.
func (p *pbxActor) rasDo(effects []ras.Effect) {
	w := p.w
	for _, e := range effects {
		switch e := e.(type) {
		case ras.Send:
			if d := w.byName[w.actorAt(e.To)]; d != nil && d.tunnelled() {
				p.sendTunnelRAS(d, e)
				continue
			}
			w.sendRAS(netip.AddrPortFrom(p.addr, portRAS), e.To, e.Payload, e.Event, e.Attrs)
		case ras.SetTimer:
			id := e.ID
			p.rasTimers.set(id, e.After, func() { p.rasDo(p.gk.HandleTimer(w.now(), id)) })
		case ras.CancelTimer:
			p.rasTimers.cancel(e.ID)
		case ras.Record:
			w.record(e.Event, e.Attrs, nil)
		case ras.EndpointRegistered:
			if d := p.deviceAt(e.Registration.RASAddress); d != "" {
				p.registered[d] = e.Registration
				p.handle(pbx.DeviceRegistered{Device: d})
			}
		case ras.EndpointUnregistered:
			if d := p.deviceAt(e.Registration.RASAddress); d != "" {
				delete(p.registered, d)
				p.handle(pbx.DeviceUnregistered{Device: d})
			}
		}
	}
}

// deviceAt names the device of this PBX that owns a RAS address.
func (p *pbxActor) deviceAt(a netip.AddrPort) string {
	d := p.w.byName[p.w.actorAt(a)]
	if d == nil || d.pbx != p {
		return ""
	}
	return d.name
}

// sendPush hands a pbx push decision to the Push object.
func (p *pbxActor) sendPush(e pbx.SendPush) {
	d := p.w.byName[e.Device]
	if p.client == nil || d == nil {
		return
	}
	src := pushCallSrc(e.Call)
	if e.Type == pbx.PushTypeNotification {
		// A notification belongs to no call: its request id is its own.
		p.notifications++
		src = "n" + strconv.Itoa(p.notifications)
	}
	d.pushCalls = append(d.pushCalls, pendingPush{src: src, call: e.Call})
	p.pushDo(p.client.Post(push.Post{
		Src: src, Token: d.token, Platform: d.platform, Type: e.Type,
		Details: push.Details{Number: e.Number, Name: e.Name, Title: e.Title, Content: e.Content},
		Key:     d.keyAtPBX(), User: e.User, Device: e.Device,
	}))
}

// pushDo carries out the Push object's effects.
func (p *pbxActor) pushDo(effects []push.Effect) {
	w := p.w
	for _, e := range effects {
		switch e := e.(type) {
		case push.Dial:
			p.dialPush()
		case push.Handshake:
			if p.pushConn != nil {
				w.push.handshake(p, p.pushConn.LocalAddr(), e)
			}
		case push.Send:
			if p.pushConn != nil {
				var mask [4]byte
				randReader{p.rand}.Read(mask[:])
				p.pushConn.Write(wsFrame(e.Data, &mask))
			}
		case push.Close:
			if c := p.pushConn; c != nil {
				p.pushConn = nil
				c.Close()
			}
		case push.SetTimer:
			t := e.Timer
			p.pushTimers.set(t, e.After, func() { p.pushDo(p.client.TimerFired(t)) })
		case push.CancelTimer:
			p.pushTimers.cancel(e.Timer)
		case push.PostFailed:
			p.pushRefused(e.Src, e.Reason)
		case push.PostDone:
			if e.Err != "" {
				p.pushRefused(e.Src, e.Err)
			}
		case push.Event:
			p.pushEvent(e)
		default:
			w.fail(errorf(p.name, "unexpected push client effect %T", e))
		}
	}
}

func (p *pbxActor) pushEvent(e push.Event) {
	w := p.w
	var wire *timeline.Wire
	if e.Payload != nil && p.pushConn != nil {
		wire = &timeline.Wire{Protocol: e.Protocol, Transport: "ws", Src: p.pushConn.LocalAddr(), Dst: p.pushConn.RemoteAddr(), Payload: e.Payload}
	}
	w.record(e.Name, renameService(e.Attrs), wire)
	switch e.Name {
	case push.EventPushConnected:
		if !p.pushUp {
			p.pushUp = true
			p.handle(pbx.PushObjectChanged{Connected: true})
		}
	case push.EventPushDisconnect:
		if p.pushUp {
			p.pushUp = false
			p.handle(pbx.PushObjectChanged{Connected: false})
		}
	}
}

// pushRefused: the service or the vendor answered a push with an error (or
// it could not be posted). The push is dropped from the device's list and
// the pbx core learns it (call.push_failed).
func (p *pbxActor) pushRefused(src, reason string) {
	for _, d := range p.w.devices {
		for i, pp := range d.pushCalls {
			if pp.src == src && d.pbx == p {
				d.pushCalls = slices.Delete(d.pushCalls, i, i+1)
				if pp.call != 0 { // a notification has no call waiting for it
					p.handle(pbx.PushFailed{Call: pp.call, Device: d.name, Reason: reason})
				}
				return
			}
		}
	}
}

// dialPush opens the TCP connection to the push service.
func (p *pbxActor) dialPush() {
	w := p.w
	w.net.Dial(netip.AddrPortFrom(p.addr, 0), netip.AddrPortFrom(w.push.addr, portHTTPS), func(c *sim.Conn, err error) {
		if err != nil {
			p.pushDo(p.client.Failed(push.ReasonUnreachable))
			return
		}
		p.pushConn, p.pushFrames, p.pushCloseReason = c, wsReader{}, ""
		c.OnData(func(b []byte) {
			if p.pushConn != c {
				return
			}
			p.pushFrames.feed(b)
			for p.pushConn == c {
				msg, ok, err := p.pushFrames.next()
				if err != nil {
					p.pushFailed(push.ReasonProtocol)
					return
				}
				if !ok {
					return
				}
				p.pushDo(p.client.Receive(msg))
			}
		})
		c.OnClose(func(error) {
			if p.pushConn != c {
				return
			}
			p.pushConn = nil
			reason := p.pushCloseReason
			if reason == "" {
				reason = push.ReasonConnectionLost
			}
			p.pushDo(p.client.Failed(reason))
		})
		p.pushDo(p.client.Reached())
	})
}

// pushOpened: the service accepted the connection (TLS and upgrade done).
func (p *pbxActor) pushOpened() { p.pushDo(p.client.Opened()) }

// pushFailed: the service closed the connection with reason; the PBX learns
// it when the close arrives.
func (p *pbxActor) pushFailed(reason string) {
	if p.pushConn == nil {
		return
	}
	p.pushCloseReason = reason
	if reason == push.ReasonProtocol {
		c := p.pushConn
		p.pushConn = nil
		c.Close()
		p.pushDo(p.client.Failed(reason))
	}
}
