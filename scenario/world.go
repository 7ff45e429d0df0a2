package scenario

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"

	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/sim"
	"github.com/callwake/callwake/timeline"
)

// The world driver: it builds one simulated world from a loaded File and
// runs it on a virtual clock. It owns no protocol logic; every decision is
// taken by a core (pbx, phone, push, ras, h323) and the world only carries
// inputs to the cores and their effects to the wire, the clock and the
// timeline. Everything runs on one goroutine, so the world needs no locks,
// and every walk that can reach an output follows file order (slices, never
// map iteration), so the same file and seed give the same timeline.
//
// What travels on the wire, and the world's model choices:
//   - Transports (h323, h323-tcp, h323-tls, h323-dtls): world_tunnel.go.
//     TLS and DTLS are modelled, not simulated: the bytes inside are real,
//     the record layer is not run; Wire.Transport says "tls" or "dtls".
//   - B08: the PBX hands an app its push decryption key over the app's
//     WebSocket session or secure H.323 (h323-tls, h323-dtls), never over
//     h323 or h323-tcp; the hand-over is the event app.key_received
//     {device, via: websocket|h323-tls|h323-dtls}. An app with a key path
//     at the start received its key before the run (recorded at 0s); a
//     session that comes up later (websocket_session action, new login)
//     delivers it then. Without a key path the PBX sends the type only.
//   - B17: a name that the lookup finds after the Setup reaches the phone as
//     a Facility (reason undefinedReason) with a Display element on the
//     call's leg, as PBXs update a terminal's display during a call.
//   - B27 (12r2 DND): the Setup carries a Signal element "alerting off"
//     (Q.931 4.5.28, 0x4f); the phone presents the call without ringing.
//   - A push the service or the vendor refuses (PushNotifyPostResult with
//     err) reaches the pbx core as PushFailed: call.push_failed {call, user,
//     device, reason}; the call still waits for the registration timeout.
//   - Timed actions reach the cores: websocket_session changes the phone's
//     key path (phone.KeyPathChanged), default_softphone its default-app
//     setting (phone.DefaultSoftphoneChanged, B26).

// Well-known ports of the simulated actors (BEHAVIOURS.md "Wire facts").
const (
	portRAS        = 1719
	portSignalling = 1720
	portSecure     = 1300 // H.225.0 call signalling over TLS
	portHTTPS      = 443
	portAPNsPhone  = 5223 // the phone's connection to Apple (B20)
)

// Actor names of the infrastructure besides the PBXs.
const (
	actorPush = "push"
	actorAPNs = "apns"
	actorFCM  = "fcm"
)

// grantedTTL is the registration time to live this PBX grants (B30).
const grantedTTL = 120 * time.Second

// world is one simulated world.
type world struct {
	file *File
	seed int64
	loop *sim.Loop
	rand *sim.Rand
	net  *sim.Network
	// defaultLink is the network profile in force for links without an
	// override (network actions change it).
	defaultLink sim.LinkProfile
	plan        *sim.AddressPlan
	timeline    *timeline.Timeline
	epoch       time.Time

	pbxs    []*pbxActor
	devices []*deviceActor
	byName  map[string]*deviceActor // lookups only, never iterated
	// users maps a user's name to its PBX's index and its definition
	// (lookups only): File.PBXOf and File.User walk every user, which a
	// world of many phones cannot afford per device.
	users map[string]userRef
	push  *pushActor
	// pushTap, when set, sees every byte the push service and the vendor
	// emulators handle, and what each app decrypts (B07's test).
	pushTap pushTap

	nextCall uint32 // world-wide call numbering: call IDs never collide between PBXs
	err      error  // the first driver error; it stops the run
}

// userRef is where a user is defined.
type userRef struct {
	pbx  int
	user *User
}

// newWorld builds the world of f with the given seed. Errors are problems of
// the configuration that the loader cannot see (a core refusing its
// configuration); they are reported against the file.
func newWorld(f *File, seed int64) (*world, error) {
	for _, name := range []string{actorPush, actorAPNs, actorFCM} {
		for i := range f.PBXs {
			if f.PBXs[i].Name == name {
				return nil, fmt.Errorf("%s: the name %q is taken by the push service actors", f.PBXs[i].Pos, name)
			}
		}
		if d := f.Device(name); d != nil {
			return nil, fmt.Errorf("%s: the name %q is taken by the push service actors", d.Pos, name)
		}
	}
	loop := sim.NewLoop()
	root := sim.NewRand(uint64(seed))
	w := &world{
		file:     f,
		loop:     loop,
		rand:     root,
		plan:     sim.NewAddressPlan(),
		timeline: &timeline.Timeline{},
		epoch:    capture.DefaultEpoch,
		byName:   make(map[string]*deviceActor, len(f.Devices)),
		users:    make(map[string]userRef),
	}
	for i := range f.PBXs {
		for j := range f.PBXs[i].Users {
			u := &f.PBXs[i].Users[j]
			w.users[u.Name] = userRef{pbx: i, user: u}
		}
	}
	w.defaultLink = sim.LinkProfile{Latency: f.Network.Latency, Jitter: f.Network.Jitter, Loss: f.Network.Loss}
	w.net = sim.NewNetwork(loop, root, w.defaultLink)
	// Addresses in file order: PBXs, then the push path, then devices.
	for i := range f.PBXs {
		if _, err := w.plan.Infrastructure(f.PBXs[i].Name); err != nil {
			return nil, err
		}
	}
	for _, name := range []string{actorPush, actorAPNs, actorFCM} {
		if _, err := w.plan.Infrastructure(name); err != nil {
			return nil, err
		}
	}
	for i := range f.Devices {
		if _, err := w.plan.Device(f.Devices[i].Name); err != nil {
			return nil, err
		}
	}
	var err error
	if w.push, err = newPushActor(w); err != nil {
		return nil, err
	}
	for i := range f.PBXs {
		p, err := newPBXActor(w, i)
		if err != nil {
			return nil, err
		}
		w.pbxs = append(w.pbxs, p)
	}
	for i := range f.Devices {
		d, err := newDeviceActor(w, i)
		if err != nil {
			return nil, err
		}
		w.devices = append(w.devices, d)
		w.byName[d.name] = d
	}
	for _, link := range f.Network.Links {
		d := w.byName[link.Device]
		w.net.SetLink(d.addr, d.pbx.addr, sim.LinkProfile{Latency: link.Latency, Jitter: link.Jitter, Loss: link.Loss})
	}
	return w, nil
}

// start schedules what happens at time zero and the file's calls and actions.
func (w *world) start() {
	// Actions at 0s shape the world before anything happens in it (a link
	// that is down from the start loses the first GRQ), so they are
	// scheduled before the actors start.
	for i := range w.file.Actions {
		if a := &w.file.Actions[i]; a.At == 0 {
			w.loop.At(0, func() { w.apply(a) })
		}
	}
	w.loop.At(0, func() {
		for _, p := range w.pbxs {
			p.start()
		}
		for _, d := range w.devices {
			d.start()
		}
	})
	for i := range w.file.Calls {
		c := &w.file.Calls[i]
		w.loop.At(c.At, func() { w.byName[c.From].placeCall(c) })
	}
	for i := range w.file.Actions {
		if a := &w.file.Actions[i]; a.At > 0 {
			w.loop.At(a.At, func() { w.apply(a) })
		}
	}
}

// run runs the world to the file's duration.
func (w *world) run() error {
	w.start()
	w.loop.Run(w.file.Duration)
	return w.err
}

// fail records the first driver error and stops the run: a core refused an
// input the driver built, which is a bug to report, not a result to check.
func (w *world) fail(err error) {
	if w.err == nil {
		w.err = err
	}
	w.loop.Stop()
}

// now is the absolute time the RAS cores stamp their H.235 tokens with.
func (w *world) now() time.Time { return w.epoch.Add(w.loop.Now()) }

// record adds an event at the current virtual time.
func (w *world) record(name string, attrs []timeline.Attr, wire *timeline.Wire) {
	w.timeline.Add(timeline.Event{At: w.loop.Now(), Name: name, Attrs: attrs, Wire: wire})
}

// message builds the attributes of a message event: from, to, then the
// core's own attributes.
func message(from, to string, extra []timeline.Attr) []timeline.Attr {
	attrs := make([]timeline.Attr, 0, 2+len(extra)+1)
	attrs = append(attrs, timeline.A("from", from), timeline.A("to", to))
	return append(attrs, extra...)
}

// actorAt names the actor that owns an address ("" for none).
func (w *world) actorAt(a netip.AddrPort) string { return w.plan.Name(a.Addr()) }

// sendRAS puts one RAS datagram on the wire and records its event, with
// `lost: true` when the network drops it.
func (w *world) sendRAS(from netip.AddrPort, to netip.AddrPort, payload []byte, event string, extra []timeline.Attr) {
	attrs := message(w.actorAt(from), w.actorAt(to), extra)
	if drop := w.net.SendDatagram(from, to, payload); drop != sim.NotDropped {
		attrs = append(attrs, timeline.A("lost", true))
	}
	transport := "udp"
	for _, a := range [...]netip.AddrPort{from, to} {
		if d := w.byName[w.actorAt(a)]; d != nil && d.spec.Transport == TransportH323DTLS {
			transport = "dtls"
		}
	}
	wire := &timeline.Wire{Protocol: "ras", Transport: transport, Src: from, Dst: to, Payload: append([]byte(nil), payload...)}
	w.record(event, attrs, wire)
}

// callGUID makes the callIdentifier of a PBX call: random octets from the
// seeded stream, then the world's call number, so that the phone can tell
// which push announced a Setup (the PBX's CallID is the phone's CallRef).
func (w *world) callGUID(r *sim.Rand, call uint32) [16]byte {
	var g [16]byte
	binary.BigEndian.PutUint64(g[0:8], r.Uint64())
	binary.BigEndian.PutUint32(g[8:12], uint32(r.Uint64()))
	binary.BigEndian.PutUint32(g[12:16], call)
	return g
}

// callOfGUID returns the call number callGUID put into g.
func callOfGUID(g [16]byte) uint32 { return binary.BigEndian.Uint32(g[12:16]) }

// randomGUID is a callIdentifier or conferenceID from the seeded stream.
func randomGUID(r *sim.Rand) [16]byte {
	var g [16]byte
	binary.BigEndian.PutUint64(g[0:8], r.Uint64())
	binary.BigEndian.PutUint64(g[8:16], r.Uint64())
	return g
}

// randReader reads a seeded stream as bytes (the push cores take an
// io.Reader for challenges, nonces and keys).
type randReader struct{ r *sim.Rand }

func (rr randReader) Read(p []byte) (int, error) {
	for i := 0; i < len(p); i += 8 {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], rr.r.Uint64())
		copy(p[i:], b[:])
	}
	return len(p), nil
}

// phoneRand adapts a seeded stream to phone.Rand.
type phoneRand struct{ r *sim.Rand }

func (pr phoneRand) Int64N(n int64) int64 { return int64(pr.r.Uint64N(uint64(n))) }

// timers maps a core's timer IDs to the loop's, so that a core can re-arm
// and cancel by its own names. The map is only looked up, never iterated.
type timers[K comparable] struct {
	loop *sim.Loop
	ids  map[K]sim.TimerID
}

func newTimers[K comparable](loop *sim.Loop) timers[K] {
	return timers[K]{loop: loop, ids: make(map[K]sim.TimerID)}
}

// set arms key after d, replacing a pending timer of the same key.
func (t *timers[K]) set(key K, d time.Duration, fire func()) {
	if id, ok := t.ids[key]; ok {
		t.loop.Cancel(id)
	}
	var id sim.TimerID
	id = t.loop.After(d, func() {
		if t.ids[key] == id {
			delete(t.ids, key)
		}
		fire()
	})
	t.ids[key] = id
}

// cancel disarms key; harmless when it is not pending.
func (t *timers[K]) cancel(key K) {
	if id, ok := t.ids[key]; ok {
		t.loop.Cancel(id)
		delete(t.ids, key)
	}
}

// errorf wraps a driver error with the actor's name.
func errorf(actor string, format string, args ...any) error {
	return fmt.Errorf("world: %s: %s", actor, fmt.Sprintf(format, args...))
}
