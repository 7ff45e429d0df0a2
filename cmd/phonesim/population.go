package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/realnet"
	"github.com/callwake/callwake/timeline"

	"github.com/rs/zerolog"
)

// loadConfigT is a population of phones on real sockets: the registration
// load a gatekeeper sees when many phones come back at once (a restart, the
// end of an outage).
type loadConfigT struct {
	Gatekeeper netip.AddrPort
	// IP is the local address every phone binds (each its own UDP and TCP
	// port, so a gatekeeper sees distinct call-signalling addresses);
	// unspecified = the address of the route to the gatekeeper.
	IP netip.Addr
	// Count phones, numbered 0..Count-1: phone k has the alias
	// AliasPrefix+k (zero-padded to the width of Count-1) and the number
	// FirstNumber+k (none when FirstNumber is 0).
	Count       int
	AliasPrefix string
	FirstNumber int
	Password    string
	TTL         time.Duration
	Discover    bool
	// Rate is how many phones start registering per second (0 = all at
	// once); Duration ends the run after the last one started (0 = until
	// ctx ends). Reregister starts a new registration this long after one
	// failed or was lost (0 = never).
	Rate       float64
	Duration   time.Duration
	Reregister time.Duration
	// Shard and Shards split the population between processes: this one
	// runs the phones k with k mod Shards == Shard (Shards 0 = 1).
	Shard, Shards int
	// Limits bound what strangers can make the host hold.
	Limits realnet.Limits

	Progress io.Writer // a line per second; nil = none
	Log      zerolog.Logger
	// Observe, when set, sees every event of the phones' host as it
	// happens (after the tally).
	Observe func(*timeline.Event)
	// Secure is the transport, H.235 token and certificates of every phone.
	Secure secureSettings
}

// loadResult is what a population run saw.
type loadResult struct {
	Endpoints  int            // phones of this shard
	Registered int            // registrations confirmed (a phone that registers again counts again)
	Failed     map[string]int // registrations that failed, by reason
	Lost       map[string]int // registrations lost afterwards, by reason
	KeepAlives int            // keep-alive RRQs sent (retransmissions included)
	Calls      int            // Setups received (refused with cause 17)
	// EndpointIDs counts the phones by the endpointIdentifier their
	// gatekeeper assigned last: two phones with one identifier mean the
	// gatekeeper took them for one endpoint (a failure). A phone that
	// registers again (after a PBX restart) counts with its new one.
	EndpointIDs map[string]int
	// Latencies are the times from each phone's first request to its first
	// RCF, sorted.
	Latencies []time.Duration
}

// Duplicates is the number of phones that share an endpointIdentifier with
// another.
func (r loadResult) Duplicates() int {
	n := 0
	for _, c := range r.EndpointIDs {
		if c > 1 {
			n += c
		}
	}
	return n
}

// Percentile returns the p-th percentile (0..100) of the registration
// times, or 0 when none registered.
func (r loadResult) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(p / 100 * float64(len(r.Latencies)-1))
	return r.Latencies[min(max(i, 0), len(r.Latencies)-1)]
}

// tally follows the population's events (on the host's loop) for the
// counts; the progress line reads it from another goroutine.
type tally struct {
	mu      sync.Mutex
	res     loadResult
	first   map[string]time.Duration // first request of each phone
	current map[string]bool          // registered now
	ids     map[string]string        // the last endpointIdentifier of each phone
	names   map[string]bool
}

func (t *tally) event(e *timeline.Event) {
	from, _ := e.Get("from")
	to, _ := e.Get("to")
	t.mu.Lock()
	defer t.mu.Unlock()
	switch e.Name {
	case "ras.grq", "ras.rrq":
		if !t.names[from] {
			return
		}
		if k, _ := e.Get("keepalive"); k == "true" {
			t.res.KeepAlives++
		} else if _, ok := t.first[from]; !ok {
			t.first[from] = e.At
		}
	case "phone.registered":
		dev, _ := e.Get("device")
		if !t.current[dev] {
			t.current[dev] = true
		}
		if at, ok := t.first[dev]; ok {
			t.res.Latencies = append(t.res.Latencies, e.At-at)
			delete(t.first, dev)
			t.res.Registered++
			id, _ := e.Get("endpoint_id")
			t.ids[dev] = id
		}
	case "phone.registration_failed":
		reason, _ := e.Get("reason")
		t.res.Failed[reason]++
	case "phone.unregistered":
		dev, _ := e.Get("device")
		reason, _ := e.Get("reason")
		delete(t.current, dev)
		if reason != "urq" {
			t.res.Lost[reason]++
		}
	case "q931.setup":
		if t.names[to] {
			t.res.Calls++
		}
	}
}

func (t *tally) line(since time.Duration) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	failed, lost := 0, 0
	for _, c := range t.res.Failed {
		failed += c
	}
	for _, c := range t.res.Lost {
		lost += c
	}
	return fmt.Sprintf("%6.1fs registered %d/%d (registrations %d), failed %d, lost %d, keep-alives %d",
		since.Seconds(), len(t.current), t.res.Endpoints, t.res.Registered, failed, lost, t.res.KeepAlives)
}

// runLoadNodes runs the population: one phone node per endpoint on one host.
func runLoadNodes(ctx context.Context, cfg loadConfigT) (loadResult, error) {
	shards := max(cfg.Shards, 1)
	ip := cfg.IP
	var announce netip.Addr
	if ip.IsUnspecified() {
		var err error
		if announce, err = routeTo(cfg.Gatekeeper); err != nil {
			return loadResult{}, err
		}
	}
	host := realnet.NewHost(cfg.Log, nil)
	if cfg.Limits != (realnet.Limits{}) {
		host.Limits = cfg.Limits
	}
	host.Describe = describers
	t := &tally{first: map[string]time.Duration{}, current: map[string]bool{}, ids: map[string]string{}, names: map[string]bool{},
		res: loadResult{Failed: map[string]int{}, Lost: map[string]int{}, EndpointIDs: map[string]int{}}}
	width := len(strconv.Itoa(cfg.Count - 1))
	started := 0
	var last time.Duration
	var nodes []paced
	for k := 0; k < cfg.Count; k++ {
		if k%shards != cfg.Shard {
			continue
		}
		alias := fmt.Sprintf("%s%0*d", cfg.AliasPrefix, width, k)
		number := ""
		if cfg.FirstNumber > 0 {
			number = strconv.Itoa(cfg.FirstNumber + k)
		}
		core := phone.Defaults(alias, phone.KindDeskphone, "")
		core.TTL = cfg.TTL
		core.Answer = phone.Answer{Mode: phone.AnswerRejectBusy} // the population takes no calls
		n, err := phone.NewNode(phone.NodeConfig{Core: core, Alias: alias, Number: number, Password: cfg.Password,
			Discover: cfg.Discover, IP: ip, Announce: announce, Gatekeeper: cfg.Gatekeeper,
			PBXSignal: cfg.pbxSignal(), Reregister: cfg.Reregister,
			Transport: cfg.Secure.Transport, Authentication: cfg.Secure.Auth,
			Security: cfg.Secure.Security, PBXSecurity: cfg.Secure.PBXSecurity,
			Report: true, Random: rand.Reader})
		if err != nil {
			return loadResult{}, err
		}
		var at time.Duration
		if cfg.Rate > 0 {
			at = time.Duration(float64(started) / cfg.Rate * float64(time.Second))
		}
		nodes = append(nodes, paced{ref: host.AddAfter(alias, ip, n, at), at: at})
		t.names[alias] = true
		last = at
		started++
	}
	t.res.Endpoints = started
	host.OnEvent = t.event
	if cfg.Observe != nil {
		host.OnEvent = func(e *timeline.Event) { t.event(e); cfg.Observe(e) }
	}
	// The host runs until every phone has unregistered: the end of the run (its duration, or
	// ctx) stops the phones at the rate they started, so that their URQs do not reach the
	// gatekeeper in one burst.
	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hostDone := make(chan struct{})
	var ender sync.WaitGroup
	ender.Go(func() {
		var deadline <-chan time.Time
		if cfg.Duration > 0 {
			tm := time.NewTimer(last + cfg.Duration)
			defer tm.Stop()
			deadline = tm.C
		}
		begin := time.Now()
		select {
		case <-ctx.Done():
		case <-deadline:
		case <-hostDone:
			return
		}
		stopPaced(host, nodes, cfg.Rate, time.Since(begin), hostDone)
		select { // the phones wait for their UCF one request timeout at most
		case <-time.After(ras.RequestTimeout + time.Second):
		case <-hostDone:
		}
		cancel()
	})
	var wg sync.WaitGroup
	if cfg.Progress != nil {
		begin := time.Now()
		wg.Go(func() {
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for {
				select {
				case <-runCtx.Done():
					return
				case <-tick.C:
					fmt.Fprintln(cfg.Progress, t.line(time.Since(begin)))
				}
			}
		})
	}
	err := host.Run(runCtx)
	close(hostDone)
	cancel()
	ender.Wait()
	wg.Wait()
	t.mu.Lock()
	defer t.mu.Unlock()
	slices.Sort(t.res.Latencies)
	for _, id := range t.ids {
		t.res.EndpointIDs[id]++
	}
	return t.res, err
}

// pbxSignal is where the phones' calls and H.460.17 connections go.
func (cfg *loadConfigT) pbxSignal() netip.AddrPort {
	if cfg.Secure.PBXSignal.IsValid() {
		return cfg.Secure.PBXSignal
	}
	return netip.AddrPortFrom(cfg.Gatekeeper.Addr(), 1720)
}

// paced is a phone of the population and when it started.
type paced struct {
	ref realnet.NodeRef
	at  time.Duration
}

// stopPaced hands the phones that have started (by elapsed) Stop, rate per second (0: all at
// once), in the order they started; the others are stopped by the host when it ends. It
// returns early when the host ended.
func stopPaced(host *realnet.Host, nodes []paced, rate float64, elapsed time.Duration, hostDone <-chan struct{}) {
	begin := time.Now()
	for i, p := range nodes {
		if p.at > elapsed {
			return
		}
		if rate > 0 && i > 0 {
			wait := time.Duration(float64(i)/rate*float64(time.Second)) - time.Since(begin)
			select {
			case <-time.After(wait):
			case <-hostDone:
				return
			}
		}
		host.Deliver(p.ref, node.Stop{})
	}
}
