package scenario

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/callwake/callwake/pbx"
	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/push/apns"
	"github.com/callwake/callwake/push/fcm"
	"github.com/callwake/callwake/push/pki"
	"github.com/callwake/callwake/sim"
	"github.com/callwake/callwake/timeline"
)

// Identities of the simulated vendor accounts. They exist only inside the
// simulation: nothing here is a real bundle, project or credential.
const (
	appBundle      = "test.callwake.softphone"
	fcmProject     = "callwake-sim"
	fcmAccessToken = "sim-access-token"
	apnsKeyID      = "SIMKEY0001" // kid and iss of the simulated APNs provider token
	apnsTeamID     = "SIMTEAM001"
)

// pushActor is the push service with the APNs and FCM emulators behind it.
// PBXs reach it over a simulated stream (WebSocket frames carrying the push
// protocol's JSON); the hop to the vendors takes no time (its share of
// push_service.latency is on the PBX link), and a delivered push reaches the
// phone after the vendor's latency.
type pushActor struct {
	w       *world
	addr    netip.Addr
	service *push.Service
	apns    *apns.Emulator
	fcm     *fcm.Emulator
	spec    PushService
	conns   []*serviceConn // in accept order
	nextID  push.ConnID
}

// serviceConn is one PBX connection at the service.
type serviceConn struct {
	id     push.ConnID
	conn   *sim.Conn
	client *pbxActor
	frames wsReader
	closed bool
}

func newPushActor(w *world) (*pushActor, error) {
	f := w.file
	addr, _ := w.plan.Lookup(actorPush)
	cfg := push.ServiceConfig{
		Available:      f.PushService.Available,
		APNsBundle:     appBundle,
		FCMProject:     fcmProject,
		FCMAccessToken: fcmAccessToken,
	}
	for _, c := range f.PushService.Accepts {
		cfg.Accepts = append(cfg.Accepts, pki.Role(c))
	}
	if cfg.Accepts == nil {
		cfg.Accepts = []pki.Role{}
	}
	// 12r2 Push objects log in with the password of an e-mail verified
	// registration: the first PBX with a system name owns it (B06).
	for i := range f.PBXs {
		p := &f.PBXs[i]
		if p.Push == nil || p.Version != pbx.V12r2 {
			continue
		}
		name := systemName(p)
		known := false
		for _, r := range cfg.Registrations {
			known = known || r.SystemName == name
		}
		if !known {
			cfg.Registrations = append(cfg.Registrations, push.Registration{SystemName: name, Password: p.Push.Password})
		}
		if p.Quirks[pbx.QuirkUniqueSystemName] {
			cfg.UniqueSystemName = true
		}
	}
	// The service authenticates to APNs with a provider token; its key
	// follows the seed and the signatures are deterministic, so the requests
	// are the same bytes on every run (their headers reach no timeline).
	key, err := push.NewAPNsProviderKey(randReader{w.rand.Fork("apns-provider")})
	if err != nil {
		return nil, err
	}
	cfg.APNsProvider = &push.APNsProvider{Key: key, KeyID: apnsKeyID, TeamID: apnsTeamID}
	svc, err := push.NewService(cfg, randReader{w.rand.Fork("push")})
	if err != nil {
		return nil, err
	}
	a, err := apns.New(apns.Config{Topic: appBundle + push.APNsVoIPSuffix, Available: f.PushService.APNs.Available,
		ProviderKey: &key.PublicKey, KeyID: apnsKeyID, TeamID: apnsTeamID})
	if err != nil {
		return nil, err
	}
	g, err := fcm.New(fcm.Config{Project: fcmProject, AccessToken: fcmAccessToken, Available: f.PushService.FCM.Available})
	if err != nil {
		return nil, err
	}
	pa := &pushActor{w: w, addr: addr, service: svc, apns: a, fcm: g, spec: f.PushService}
	// The phones' devices at the vendors. The phone core decides whether a
	// push gets through (B20-B28), so the emulators deliver everything.
	for i := range f.Devices {
		d := &f.Devices[i]
		switch {
		case !d.Kind.IsApp():
		case d.OS == OSIOS:
			err = a.Register(apns.Device{Name: d.Name, Token: pushToken(d.Name, OSIOS)})
		default:
			err = g.Register(fcm.Device{Name: d.Name, Token: pushToken(d.Name, OSAndroid)})
		}
		if err != nil {
			return nil, err
		}
	}
	if err := w.net.ListenStream(netip.AddrPortFrom(addr, portHTTPS), pa.accept); err != nil {
		return nil, err
	}
	return pa, nil
}

// pushTap is a test and diagnostic hook on the push path. B07 says the
// service and the vendors never see the caller's details in clear; a tap
// receives, in the order they happen, every byte that crosses them, named by
// its hop, and what an app decrypted (hop tapApp), so a test can check both
// sides. The hook only reads: the bytes it gets are copies.
type pushTap func(hop string, data []byte)

// The hops a pushTap names. The first six are the untrusted side.
const (
	tapPBXStream   = "pbx>service stream" // raw WebSocket bytes as they arrive
	tapPBXMessage  = "pbx>service"        // each message, unmasked
	tapServicePBX  = "service>pbx"
	tapVendorReq   = "service>vendor" // the HTTP/2 request, rendered as text
	tapVendorResp  = "vendor>service"
	tapVendorPhone = "vendor>phone" // the payload the emulator delivers
	tapApp         = "app"          // the app's decrypted type and details
)

// tap hands data to the world's pushTap, if any.
func (w *world) tap(hop string, data []byte) {
	if w.pushTap != nil {
		w.pushTap(hop, slices.Clone(data))
	}
}

// tapRequest renders a vendor request for the tap: request line, header
// fields and body, each on its own line.
func tapRequest(r push.HTTPRequest) []byte {
	out := []byte(r.Method + " " + r.Authority + r.Path + "\n")
	return tapMessage(out, r.Header, r.Body)
}

func tapResponse(r push.HTTPResponse) []byte {
	return tapMessage([]byte(strconv.Itoa(r.Status)+"\n"), r.Header, r.Body)
}

func tapMessage(out []byte, header []push.HeaderField, body []byte) []byte {
	for _, f := range header {
		out = append(out, f.Name+": "+f.Value+"\n"...)
	}
	return append(append(out, '\n'), body...)
}

// pushToken derives a device's vendor token from its name: an APNs token is
// 64 hex digits, an FCM token a longer string of token characters.
func pushToken(device string, os OS) string {
	sum := sha256.Sum256([]byte(device))
	h := hex.EncodeToString(sum[:])
	if os == OSIOS {
		return h
	}
	return "fcm:" + h[:48]
}

// accept takes a new TCP connection from a PBX. The TLS handshake is
// modelled by the client's Reached/Handshake effects (see pbxActor), so the
// connection waits here until the PBX presents its certificate.
func (pa *pushActor) accept(c *sim.Conn) {
	pa.nextID++
	sc := &serviceConn{id: pa.nextID, conn: c}
	pa.conns = append(pa.conns, sc)
	c.OnData(func(b []byte) {
		pa.w.tap(tapPBXStream, b)
		sc.frames.feed(b)
		for !sc.closed {
			msg, ok, err := sc.frames.next()
			if err != nil {
				// Not a WebSocket text frame: the service drops the connection.
				sc.closed = true
				c.Close()
				pa.apply(sc.client, pa.service.Closed(sc.id))
				if sc.client != nil {
					sc.client.pushFailed(push.ReasonProtocol)
				}
				return
			}
			if !ok {
				return
			}
			pa.w.tap(tapPBXMessage, msg)
			pa.service.SetTime(pa.w.now())
			pa.apply(sc.client, pa.service.Receive(sc.id, msg))
		}
	})
	c.OnClose(func(error) {
		sc.closed = true
		pa.apply(sc.client, pa.service.Closed(sc.id))
	})
}

// handshake is the PBX presenting its certificate on the connection whose
// local end is local (the TLS handshake of the simulated driver).
func (pa *pushActor) handshake(p *pbxActor, local netip.AddrPort, h push.Handshake) {
	for _, sc := range pa.conns {
		if sc.conn.RemoteAddr() == local && !sc.closed {
			sc.client = p
			pa.apply(p, pa.service.Accept(sc.id, push.Peer{Certificate: h.Certificate, Serial: h.Serial, Legacy: h.Legacy}))
			return
		}
	}
	p.pushFailed(push.ReasonConnectionLost)
}

func (pa *pushActor) conn(id push.ConnID) *serviceConn {
	for _, sc := range pa.conns {
		if sc.id == id {
			return sc
		}
	}
	return nil
}

// apply carries out the service's effects.
func (pa *pushActor) apply(p *pbxActor, effects []push.Effect) {
	w := pa.w
	for i, e := range effects {
		switch e := e.(type) {
		case push.Accepted:
			if sc := pa.conn(e.Conn); sc != nil && sc.client != nil {
				sc.client.pushOpened()
			}
		case push.SendTo:
			if sc := pa.conn(e.Conn); sc != nil && !sc.closed {
				w.tap(tapServicePBX, e.Data)
				sc.conn.Write(wsFrame(e.Data, nil))
			}
		case push.CloseConn:
			if sc := pa.conn(e.Conn); sc != nil && !sc.closed {
				sc.closed = true
				sc.conn.Close()
				if sc.client != nil {
					sc.client.pushFailed(e.Reason)
				}
			}
		case push.VendorRequest:
			pa.vendor(p, e)
		case push.Event:
			attrs := renameService(e.Attrs)
			if e.Name == push.EventRejected {
				// Name the PBX refused: the one the service is talking to,
				// except for "replaced", which is about the older connection
				// the service closes next.
				to := p
				if reason, _ := e.Get("reason"); reason == push.ReasonReplaced {
					for _, next := range effects[i+1:] {
						if cc, ok := next.(push.CloseConn); ok {
							if sc := pa.conn(cc.Conn); sc != nil && sc.client != nil {
								to = sc.client
							}
							break
						}
					}
				}
				if to != nil {
					attrs = message(actorPush, to.name, attrs)
				}
			}
			w.record(e.Name, attrs, nil)
		default:
			w.fail(errorf(actorPush, "unexpected service effect %T", e))
		}
	}
}

// vendor hands a request to the APNs or FCM emulator and its answer back
// to the service; a delivery goes to the phone after the vendor's latency.
func (pa *pushActor) vendor(p *pbxActor, req push.VendorRequest) {
	w := pa.w
	var resp push.HTTPResponse
	var effects []push.Effect
	latency := pa.spec.APNs.Latency
	w.tap(tapVendorReq, tapRequest(req.Request))
	switch req.Platform {
	case push.PlatformAPNs:
		resp, effects = pa.apns.Handle(w.now(), req.Request)
	case push.PlatformFCM:
		resp, effects = pa.fcm.Handle(req.Request)
		latency = pa.spec.FCM.Latency
	default:
		resp = push.HTTPResponse{Status: 400}
	}
	w.tap(tapVendorResp, tapResponse(resp))
	for _, e := range pa.service.VendorResponse(req.ID, resp) {
		if ev, ok := e.(push.Event); ok && ev.Name == push.EventForwarded {
			vaddr, _ := w.plan.Lookup(req.Platform)
			wire := &timeline.Wire{Protocol: ev.Protocol, Transport: "tls",
				Src: netip.AddrPortFrom(pa.addr, 49152), Dst: netip.AddrPortFrom(vaddr, portHTTPS), Payload: ev.Payload}
			w.record(ev.Name, renameService(ev.Attrs), wire)
			continue
		}
		pa.apply(p, []push.Effect{e})
	}
	for _, e := range effects {
		switch e := e.(type) {
		case push.Deliver:
			dev := w.byName[e.Device]
			if dev == nil {
				continue
			}
			payload, platform := e.Payload, e.Platform
			w.tap(tapVendorPhone, payload)
			w.loop.After(latency, func() { dev.pushArrived(platform, payload) })
		case push.Event:
			// The emulators' own push.delivered is not recorded: the phone
			// decides whether the push arrives and records that once. A
			// push the vendor itself withholds (B22: APNs stopped VoIP
			// pushes to a penalised app) is recorded when it would have
			// reached the phone, so the device's pushes stay in order.
			if e.Name == push.EventDropped {
				pa.vendorDropped(req.Platform, e.Attrs, latency)
			}
		}
	}
}

// vendorDropped records a push the vendor did not hand to the phone and
// forgets the oldest push the device was waiting for.
func (pa *pushActor) vendorDropped(platform string, attrs []timeline.Attr, latency time.Duration) {
	var dev *deviceActor
	for _, a := range attrs {
		if a.Key == "device" {
			dev = pa.w.byName[a.Value]
		}
	}
	if dev == nil {
		return
	}
	vendor := actorAPNs
	if platform == push.PlatformFCM {
		vendor = actorFCM
	}
	var rest []timeline.Attr
	for _, a := range attrs {
		if a.Key != "from" {
			rest = append(rest, a)
		}
	}
	pa.w.loop.After(latency, func() {
		if len(dev.pushCalls) > 0 {
			dev.pushCalls = slices.Delete(dev.pushCalls, 0, 1)
		}
		pa.w.record(push.EventDropped, message(vendor, dev.name, rest), nil)
	})
}

// setAvailable applies a push_service action.
func (pa *pushActor) setAvailable(on bool) {
	pa.apply(nil, pa.service.SetAvailable(on))
	for _, sc := range pa.conns {
		if !on && !sc.closed {
			sc.closed = true
			sc.conn.Close()
		}
	}
}

// renameService names the push service actor as the world does ("push").
func renameService(attrs []timeline.Attr) []timeline.Attr {
	out := make([]timeline.Attr, len(attrs))
	for i, a := range attrs {
		if (a.Key == "from" || a.Key == "to") && a.Value == push.ActorService {
			a.Value = actorPush
		}
		out[i] = a
	}
	return out
}

// pushCallSrc is the PushNotifyPost src of a call's push.
func pushCallSrc(call pbx.CallID) string { return strconv.Itoa(int(call)) }

// WebSocket framing (RFC 6455) of the push protocol's text messages: the
// client masks its frames, the server does not.

// maxWSFrame bounds a frame the reader accepts (push messages are small).
const maxWSFrame = 1 << 20

var errWSFrame = errors.New("websocket: bad frame")

// wsFrame renders one final text frame, masked when mask is set.
func wsFrame(payload []byte, mask *[4]byte) []byte {
	n := len(payload)
	out := make([]byte, 0, n+14)
	out = append(out, 0x81) // FIN, text
	maskBit := byte(0)
	if mask != nil {
		maskBit = 0x80
	}
	switch {
	case n < 126:
		out = append(out, maskBit|byte(n))
	case n < 1<<16:
		out = append(out, maskBit|126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out = append(out, maskBit|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	if mask == nil {
		return append(out, payload...)
	}
	out = append(out, mask[:]...)
	for i, b := range payload {
		out = append(out, b^mask[i%4])
	}
	return out
}

// wsReader reassembles frames from stream pieces.
type wsReader struct{ buf []byte }

func (r *wsReader) feed(b []byte) { r.buf = append(r.buf, b...) }

// next returns the next complete frame's payload (unmasked).
func (r *wsReader) next() ([]byte, bool, error) {
	b := r.buf
	if len(b) < 2 {
		return nil, false, nil
	}
	if b[0] != 0x81 {
		return nil, false, errWSFrame
	}
	masked := b[1]&0x80 != 0
	n := uint64(b[1] & 0x7f)
	off := 2
	switch n {
	case 126:
		if len(b) < 4 {
			return nil, false, nil
		}
		n, off = uint64(binary.BigEndian.Uint16(b[2:4])), 4
	case 127:
		if len(b) < 10 {
			return nil, false, nil
		}
		n, off = binary.BigEndian.Uint64(b[2:10]), 10
	}
	if n > maxWSFrame {
		return nil, false, errWSFrame
	}
	var mask []byte
	if masked {
		if len(b) < off+4 {
			return nil, false, nil
		}
		mask = b[off : off+4]
		off += 4
	}
	if uint64(len(b)-off) < n {
		return nil, false, nil
	}
	payload := make([]byte, n)
	copy(payload, b[off:off+int(n)])
	for i := range payload {
		if mask != nil {
			payload[i] ^= mask[i%4]
		}
	}
	r.buf = append(r.buf[:0], b[off+int(n):]...)
	return payload, true, nil
}
