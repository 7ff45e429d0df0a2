package scenario

import (
	"encoding/binary"
	"io"
	"net/netip"

	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/sim"
	"github.com/callwake/callwake/timeline"
)

// simWorld is a world on the simulated driver: one seeded, single-threaded
// run on a virtual clock.
type simWorld struct {
	*world
	loop     *sim.Loop
	net      *sim.Network
	host     *sim.Host
	timeline *timeline.Timeline
	refs     []sim.NodeRef
	// defaultLink is the profile of links without an override (network
	// actions change it).
	defaultLink sim.LinkProfile
}

// newWorld builds the simulated world of f with the given seed. Errors are
// problems of the configuration that the loader cannot see (a core
// refusing its configuration); they are reported against the file.
func newWorld(f *File, seed int64) (*simWorld, error) { return newSimWorld(f, seed, nil) }

func newSimWorld(f *File, seed int64, tap pushTap) (*simWorld, error) {
	root := sim.NewRand(uint64(seed))
	plan := sim.NewAddressPlan()
	w, err := buildWorld(f, buildOptions{
		addr: func(name string, infra bool) (netip.Addr, error) {
			if infra {
				return plan.Infrastructure(name)
			}
			return plan.Device(name)
		},
		random:     func(name string) io.Reader { return randReader{root.Fork(name)} },
		wake:       func(name string) phone.Rand { return phoneRand{root.Fork("wake/" + name)} },
		tap:        tap,
		webPort:    443,
		credential: modelledCredential,
	})
	if err != nil {
		return nil, err
	}
	loop := sim.NewLoop()
	s := &simWorld{world: w, loop: loop, timeline: &timeline.Timeline{},
		defaultLink: sim.LinkProfile{Latency: f.Network.Latency, Jitter: f.Network.Jitter, Loss: f.Network.Loss}}
	s.net = sim.NewNetwork(loop, root, s.defaultLink)
	s.host = sim.NewHost(loop, s.net, s.timeline, capture.DefaultEpoch)
	for _, a := range w.actors {
		s.refs = append(s.refs, s.host.Add(a.name, a.ip, a.node))
	}
	for _, l := range w.links {
		s.net.SetLink(w.actors[l.a].ip, w.actors[l.b].ip, simLink(l.link))
	}
	for _, b := range w.blocked {
		s.net.BlockOutgoing(w.actors[b.actor].ip, b.port)
	}
	return s, nil
}

func simLink(l link) sim.LinkProfile {
	return sim.LinkProfile{Latency: l.Latency, Jitter: l.Jitter, Loss: l.Loss, Down: l.Down}
}

// run runs the world to the file's duration.
func (s *simWorld) run() error {
	for _, t := range s.timed {
		if t.at == 0 {
			s.loop.At(0, func() { s.do(t) })
		}
	}
	s.loop.At(0, s.host.Start)
	for _, t := range s.timed {
		if t.at > 0 {
			s.loop.At(t.at, func() { s.do(t) })
		}
	}
	s.loop.Run(s.file.Duration)
	return s.host.Err()
}

// do carries out one timed command.
func (s *simWorld) do(t timed) {
	if t.actor >= 0 {
		s.host.Deliver(s.refs[t.actor], node.Command{Cmd: t.cmd})
		return
	}
	switch c := t.cmd.(type) {
	case pushLatency:
		push := s.actors[s.index[actorPush]].ip
		for i := range s.file.PBXs {
			ip := s.actors[s.index[s.file.PBXs[i].Name]].ip
			l := s.net.Link(ip, push)
			l.Latency = c.latency
			s.net.SetLink(ip, push, l)
		}
	case vendorBlock:
		ip := s.actors[c.actor].ip
		if c.blocked {
			s.net.BlockOutgoing(ip, c.port)
		} else {
			s.net.UnblockOutgoing(ip, c.port)
		}
	case pushLink:
		a, b := s.actors[c.pbx].ip, s.actors[s.index[actorPush]].ip
		l := s.net.Link(a, b)
		l.Down = c.down
		s.net.SetLink(a, b, l)
	case netChange:
		n := c.change
		a, b, ok := s.linkEnds(c)
		if !ok {
			l := s.defaultLink
			change(&l.Latency, n.Latency)
			change(&l.Jitter, n.Jitter)
			change(&l.Loss, n.Loss)
			s.defaultLink = l
			s.net.SetDefaultLink(l)
			return
		}
		l := s.net.Link(a, b)
		change(&l.Latency, n.Latency)
		change(&l.Jitter, n.Jitter)
		change(&l.Loss, n.Loss)
		s.net.SetLink(a, b, l)
	}
}

// change sets *dst to *v when the action gives a value.
func change[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// randReader reads a seeded stream as bytes (the nodes take an io.Reader
// for identifiers, challenges, nonces and keys).
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

// actorAt names the actor that owns an address.
func (s *simWorld) actorAt(a netip.AddrPort) string { return s.host.Name(a.Addr()) }
