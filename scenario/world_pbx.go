package scenario

import (
	"net/netip"
	"slices"
	"strconv"

	"callwake/h323"
	"callwake/h323/q931"
	"callwake/pbx"
	"callwake/push"
	"callwake/push/pki"
	"callwake/ras"
	"callwake/sim"
	"callwake/timeline"
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

	// registered holds the call signalling address of each registered
	// device (looked up, never iterated).
	registered map[string]netip.AddrPort
	// aliases maps H.323 IDs and numbers to the PBX's users (lookups only).
	aliases map[string]*User
	// silent marks the callIdentifiers of 12r2 DND calls (B27): the Setup is
	// signalled, the phone must not ring. The flag has no H.225.0 field, so
	// the world hands it to the phone beside the Setup.
	silent map[[16]byte]bool

	callers []*sigLeg // caller legs, in arrival order
	legs    []*sigLeg // device legs, in start order
	nextCRV uint16
}

// sigLeg is one H.225.0 call signalling leg on its own TCP connection.
type sigLeg struct {
	call   pbx.CallID
	id     pbx.LegID // 0 for a caller's leg
	device string    // the device at the other end
	guid   [16]byte
	leg    *h323.Leg // nil while the connection is being set up
	conn   *sim.Conn
	reasm  q931.Reassembler
	done   bool // released, by either side
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
		registered: make(map[string]netip.AddrPort),
		silent:     make(map[[16]byte]bool),
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
	// The PBX's link to the push service carries push_service.latency.
	w.net.SetLink(addr, w.push.addr, sim.LinkProfile{Latency: w.file.PushService.Latency})
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
		// The name after the Setup (B17). The leg core has no Facility with a
		// display yet, so the update reaches the phone beside the wire, one
		// link delay later.
		if l := p.leg(e.Leg); l != nil && !l.done {
			if d := w.byName[l.device]; d != nil {
				call, name := e.Call, e.Name
				w.loop.After(w.net.Link(p.addr, d.addr).Latency, func() { d.callerNameUpdated(call, name) })
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
	l.conn.Close()
}

// acceptCaller takes a TCP connection from a device placing a call.
func (p *pbxActor) acceptCaller(c *sim.Conn) {
	l := &sigLeg{conn: c, device: p.w.actorAt(c.RemoteAddr())}
	p.callers = append(p.callers, l)
	c.OnData(func(b []byte) { p.receive(l, b) })
	c.OnClose(func(error) { p.connClosed(l) })
}

// receive reassembles TPKT frames and hands each Q.931 message to the leg.
func (p *pbxActor) receive(l *sigLeg, b []byte) {
	l.reasm.Feed(b)
	for {
		msg, ok, err := l.reasm.Next()
		if err != nil {
			// A broken TPKT stream: H.225.0 endpoints drop the connection.
			p.w.record("q931.malformed", []timeline.Attr{timeline.A("from", l.device), timeline.A("to", p.name), timeline.A("error", err.Error())}, nil)
			l.conn.Close()
			p.connClosed(l)
			return
		}
		if !ok {
			return
		}
		msg = slices.Clone(msg)
		if l.leg == nil {
			// The first message on a caller's connection must be its Setup.
			if _, _, typ, err := h323.PeekCallReference(msg); err != nil || typ != byte(q931.Setup) {
				p.w.record("q931.unexpected", []timeline.Attr{timeline.A("from", l.device), timeline.A("to", p.name)}, nil)
				continue
			}
			l.leg = h323.NewLeg(h323.LegConfig{Local: l.conn.LocalAddr(), Remote: l.conn.RemoteAddr(), PrivateNetwork: true})
		}
		p.legDo(l, l.leg.HandleMessage(msg))
	}
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
				l.conn.Close()
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
	l := &sigLeg{call: e.Call, id: e.Leg, device: e.Device}
	l.guid = w.callGUID(p.rand, uint32(e.Call))
	if e.Silent {
		p.silent[l.guid] = true
	}
	p.legs = append(p.legs, l)
	csa, ok := p.registered[e.Device]
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
	called := ""
	if d.user != nil {
		called = d.user.Number
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
		p.nextCRV = p.nextCRV%0x7fff + 1
		l.leg = h323.NewLeg(h323.LegConfig{
			Outgoing: true, CallReference: p.nextCRV, CallID: l.guid, ConferenceID: l.guid,
			CallingNumber: e.CallingNumber, CallingName: e.CallingName, CalledNumber: called,
			SourceAlias: p.name, Local: c.LocalAddr(), Remote: c.RemoteAddr(), PrivateNetwork: true,
		})
		c.OnData(func(b []byte) { p.receive(l, b) })
		c.OnClose(func(error) { p.connClosed(l) })
		p.legDo(l, l.leg.Setup())
	})
}

// rasDo carries out the gatekeeper's effects.
func (p *pbxActor) rasDo(effects []ras.Effect) {
	w := p.w
	for _, e := range effects {
		switch e := e.(type) {
		case ras.Send:
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
				p.registered[d] = e.Registration.CallSignalAddress
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
	d.pushCalls = append(d.pushCalls, pendingPush{src: src, call: e.Call})
	p.pushDo(p.client.Post(push.Post{
		Src: src, Token: d.token, Platform: d.platform, Type: e.Type,
		Details: push.Details{Number: e.Number, Name: e.Name},
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
			p.forgetPush(e.Src)
		case push.PostDone:
			if e.Err != "" {
				p.forgetPush(e.Src)
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

// forgetPush drops a push that will not be delivered from the device's list.
func (p *pbxActor) forgetPush(src string) {
	for _, d := range p.w.devices {
		for i, pp := range d.pushCalls {
			if pp.src == src && d.pbx == p {
				d.pushCalls = slices.Delete(d.pushCalls, i, i+1)
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
