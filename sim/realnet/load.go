package realnet

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/ras"

	"github.com/rs/zerolog"
)

// LoadConfig is a population of registering endpoints on real sockets: the
// registration load a PBX sees when many phones come back at once (a
// restart, the end of an outage), aimed at a real gatekeeper.
type LoadConfig struct {
	Gatekeeper netip.AddrPort // RAS address of the gatekeeper
	// IP is the local address every endpoint binds (each its own UDP port);
	// unspecified = the address of the route to the gatekeeper.
	IP netip.Addr
	// Count endpoints, numbered 0..Count-1; endpoint k has the alias
	// AliasPrefix+k (k zero-padded to the width of Count-1) and the number
	// FirstNumber+k (none when FirstNumber is 0).
	Count       int
	AliasPrefix string
	FirstNumber int
	Password    string        // H.235 password of every endpoint ("" = none)
	TTL         time.Duration // time to live asked for (keep-alives follow the granted one)
	Discover    bool          // GRQ before each RRQ
	// Rate is how many endpoints start registering per second (0 = all at
	// once); Duration ends the run after the last one started (0 = until
	// ctx ends).
	Rate     float64
	Duration time.Duration
	// Reregister starts a new registration this long after one failed or
	// was lost (0 = never), as phones do after a PBX restart.
	Reregister time.Duration
	// Shard and Shards split the population between processes: this one
	// runs the endpoints k with k mod Shards == Shard (Shards 0 = 1).
	Shard, Shards int

	Progress io.Writer // a line per second of counts; nil = none
	Log      zerolog.Logger
}

// LoadResult is what a load run saw.
type LoadResult struct {
	Endpoints  int            // endpoints of this shard
	Registered int            // registrations confirmed (the first RCF of each)
	Failed     map[string]int // registrations that failed, by reason (RRJ reason, "timeout")
	Lost       map[string]int // registrations lost afterwards, by reason
	KeepAlives int            // keep-alive RRQs sent (retransmissions included)
	Calls      int            // Setups received (refused with cause 17: the population takes no calls)
	// Latencies are the times from each endpoint's first request to its
	// RCF, sorted.
	Latencies []time.Duration
}

// Percentile returns the p-th percentile (0..100) of the registration
// latencies, or 0 when none registered.
func (r LoadResult) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(p / 100 * float64(len(r.Latencies)-1))
	return r.Latencies[min(max(i, 0), len(r.Latencies)-1)]
}

// loadEndpoint is one endpoint of the population.
type loadEndpoint struct {
	ep      *ras.Endpoint
	udp     *UDPSocket
	started time.Time
	ended   bool // failed, lost or unregistered: nothing more to wait for
}

type loadTimer struct {
	endpoint int
	id       ras.TimerID
}

type loadNode struct {
	cfg    LoadConfig
	loop   *Loop
	timers *Timers[loadTimer]
	starts *Timers[int] // staggered registrations, by endpoint
	end    *Timers[string]
	eps    []*loadEndpoint
	res    LoadResult
	stop   context.CancelFunc
	ending bool
}

// loadDatagram is the read buffer of a load endpoint's socket: RAS answers
// are a few hundred octets (a signed RCF under one kilobyte), and 64 KiB
// per endpoint would make a population of thousands cost gigabytes.
const loadDatagram = 8 << 10

// causeUserBusy (Q.850 17) refuses the calls the population receives.
const causeUserBusy = 17

// RunLoad registers the population, keeps it registered (keep-alives) until
// Duration passes after the last registration started or ctx ends, then
// unregisters every endpoint (waiting up to UnregisterGrace for the UCFs)
// and closes the sockets. Every endpoint has its own UDP socket, so the
// process needs a file descriptor per endpoint; a larger population is
// split into shards run by several processes or machines.
func RunLoad(ctx context.Context, cfg LoadConfig) (LoadResult, error) {
	if cfg.Shards <= 0 {
		cfg.Shards = 1
	}
	if cfg.Count <= 0 || cfg.Shard < 0 || cfg.Shard >= cfg.Shards || cfg.Rate < 0 || cfg.TTL < 0 || cfg.Duration < 0 {
		return LoadResult{}, errors.New("load: want Count > 0, 0 <= Shard < Shards and no negative rate or duration")
	}
	loop := NewLoop(cfg.Log)
	n := &loadNode{cfg: cfg, loop: loop, timers: NewTimers[loadTimer](loop), starts: NewTimers[int](loop),
		end: NewTimers[string](loop), res: LoadResult{Failed: map[string]int{}, Lost: map[string]int{}}}
	if err := runNode(ctx, loop, n.open, func(stop context.CancelFunc) { n.stop = stop }, n.start, n.finish); err != nil {
		return n.res, err
	}
	n.timers.Stop()
	n.starts.Stop()
	n.end.Stop()
	slices.Sort(n.res.Latencies)
	return n.res, nil
}

// open binds the shared call-signalling listener and one UDP socket per
// endpoint of the shard.
func (n *loadNode) open() error {
	ip := n.cfg.IP
	if !ip.IsValid() || ip.IsUnspecified() {
		var err error
		if ip, err = routeTo(n.cfg.Gatekeeper); err != nil {
			return err
		}
	}
	tcp, err := ListenTCP(n.loop, netip.AddrPortFrom(ip, 0), n.accept)
	if err != nil {
		return err
	}
	width := len(strconv.Itoa(n.cfg.Count - 1))
	for k := n.cfg.Shard; k < n.cfg.Count; k += n.cfg.Shards {
		e := &loadEndpoint{}
		index := len(n.eps)
		if e.udp, err = listenUDP(n.loop, netip.AddrPortFrom(ip, 0), loadDatagram, func(from netip.AddrPort, b []byte) {
			n.do(index, n.eps[index].ep.HandleDatagram(n.loop.Now(), from, b))
		}); err != nil {
			return fmt.Errorf("endpoint %d of %d: %w (one UDP socket each: raise the open-file limit or split the load into shards)",
				len(n.eps)+1, (n.cfg.Count-n.cfg.Shard+n.cfg.Shards-1)/n.cfg.Shards, err)
		}
		number := ""
		if n.cfg.FirstNumber > 0 {
			number = strconv.Itoa(n.cfg.FirstNumber + k)
		}
		e.ep = ras.NewEndpoint(ras.EndpointConfig{
			Alias: fmt.Sprintf("%s%0*d", n.cfg.AliasPrefix, width, k), Number: number, Password: n.cfg.Password,
			RASAddress: e.udp.LocalAddr(), CallSignalAddress: tcp.Addr(), Gatekeeper: n.cfg.Gatekeeper,
			TimeToLive: n.cfg.TTL, Discover: n.cfg.Discover, KeepAlive: true,
			Random: rand.Reader, // unpredictable sequence numbers, as real stacks start at random ones
		})
		n.eps = append(n.eps, e)
	}
	n.res.Endpoints = len(n.eps)
	return nil
}

// start staggers the registrations by the rate and sets the end of the run.
func (n *loadNode) start() {
	var last time.Duration
	for i := range n.eps {
		if n.cfg.Rate <= 0 {
			n.register(i)
			continue
		}
		last = time.Duration(float64(i) / n.cfg.Rate * float64(time.Second))
		n.starts.Set(i, last, func() { n.register(i) })
	}
	if n.cfg.Duration > 0 {
		n.end.Set("end", last+n.cfg.Duration, n.finish)
	}
	if n.cfg.Progress != nil {
		n.end.Set("progress", time.Second, n.progress)
	}
}

func (n *loadNode) register(i int) {
	if n.ending {
		return
	}
	e := n.eps[i]
	e.started, e.ended = n.loop.Now(), false
	n.do(i, e.ep.Register(e.started))
}

// again schedules a new registration of endpoint i, if so configured.
func (n *loadNode) again(i int) {
	if n.cfg.Reregister > 0 && !n.ending {
		n.starts.Set(i, n.cfg.Reregister, func() { n.register(i) })
	}
}

// do carries out an endpoint's effects.
func (n *loadNode) do(i int, effects []ras.Effect) {
	e := n.eps[i]
	for _, eff := range effects {
		switch eff := eff.(type) {
		case ras.Send:
			_ = e.udp.Send(eff.To, eff.Payload)
			if eff.Event == "ras.rrq" && keepAlive(eff) {
				n.res.KeepAlives++
			}
		case ras.SetTimer:
			id := loadTimer{i, eff.ID}
			n.timers.Set(id, eff.After, func() { n.do(i, e.ep.HandleTimer(n.loop.Now(), id.id)) })
		case ras.CancelTimer:
			n.timers.Cancel(loadTimer{i, eff.ID})
		case ras.Registered:
			n.res.Registered++
			n.res.Latencies = append(n.res.Latencies, n.loop.Now().Sub(e.started))
		case ras.RegistrationFailed:
			e.ended = true
			n.res.Failed[eff.Reason]++
			n.again(i)
		case ras.Unregistered:
			if !e.ended && !n.ending {
				n.res.Lost[eff.Reason]++
				n.again(i)
			}
			e.ended = true
			n.maybeDone()
		}
	}
}

// keepAlive tells whether a RAS message sent is a lightweight RRQ.
func keepAlive(s ras.Send) bool {
	for _, a := range s.Attrs {
		if a.Key == "keepalive" && a.Value == "true" {
			return true
		}
	}
	return false
}

// accept refuses every call the population receives: its endpoints are
// there to register, not to ring.
func (n *loadNode) accept(c *Conn) {
	c.OnMessage(func(msg []byte) {
		if len(msg) == 0 {
			return
		}
		if _, _, typ, err := h323.PeekCallReference(msg); err != nil || typ != byte(q931.Setup) {
			return
		}
		n.res.Calls++
		leg := h323.NewLeg(h323.LegConfig{Local: c.LocalAddr(), Remote: c.RemoteAddr()})
		for _, eff := range append(leg.HandleMessage(msg), leg.Release(causeUserBusy)...) {
			if s, ok := eff.(h323.Send); ok {
				_ = c.Send(s.Payload)
			}
		}
		c.Close()
	})
}

// progress prints the counts once a second.
func (n *loadNode) progress() {
	fmt.Fprintf(n.cfg.Progress, "%s\n", n.summary())
	n.end.Set("progress", time.Second, n.progress)
}

func (n *loadNode) summary() string {
	failed, lost := 0, 0
	for _, c := range n.res.Failed {
		failed += c
	}
	for _, c := range n.res.Lost {
		lost += c
	}
	now := 0
	for _, e := range n.eps {
		if e.ep.Registered() {
			now++
		}
	}
	return fmt.Sprintf("%6.1fs registered %d/%d (registrations %d), failed %d, lost %d, keep-alives %d",
		n.loop.Since().Seconds(), now, len(n.eps), n.res.Registered, failed, lost, n.res.KeepAlives)
}

// finish unregisters every registered endpoint, then ends the run on the
// last UCF or after UnregisterGrace.
func (n *loadNode) finish() {
	if n.ending {
		return
	}
	n.ending = true
	n.end.Cancel("progress")
	n.starts.Stop()
	for i, e := range n.eps {
		if e.ep.Registered() {
			n.do(i, e.ep.Unregister(n.loop.Now()))
			continue
		}
		n.do(i, e.ep.Unregister(n.loop.Now())) // abandons a registration in progress
		e.ended = true
	}
	n.end.Set("grace", UnregisterGrace, n.stop)
	n.maybeDone()
}

// maybeDone stops the run once every endpoint has ended after finish.
func (n *loadNode) maybeDone() {
	if !n.ending {
		return
	}
	for _, e := range n.eps {
		if !e.ended && e.ep.Registered() {
			return
		}
	}
	n.stop()
}
