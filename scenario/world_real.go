package scenario

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/push/pki"
	"github.com/callwake/callwake/realnet"
	"github.com/callwake/callwake/timeline"

	"github.com/rs/zerolog"
)

// A real run (pbxsim run --realtime) builds the same world and runs it on
// realnet: every actor on its own loopback address (127.B.0.x for the
// infrastructure, 127.B.1.x and up for devices, B the file's block, so
// that files can run at once) with the standard ports 1719, 1720 and 1300;
// the push service, the vendors' provider APIs and the myApps sessions
// listen on RealWebPort, since 443 needs privileges. The TLS, WSS and
// HTTP/2 connections run for real, with certificates of a test PKI made for
// the run (pki.NewSet): the Push object's device certificate of its role,
// the service's and the vendors' server certificates. Time is the wall
// clock; the expectations' windows are widened by a tolerance.

// RealWebPort is where a real run's web listeners bind.
const RealWebPort = 8443

// DefaultTolerance widens the time windows of a real run's expectations.
const DefaultTolerance = 50 * time.Millisecond

// RealOptions changes how RunRealtime runs a file.
type RealOptions struct {
	// Block picks the file's address block (127.<10+Block>.x.y); files run
	// at once need different blocks.
	Block int
	// Tolerance widens every time window (0 = DefaultTolerance).
	Tolerance time.Duration
	Log       zerolog.Logger
}

// RealCheck says why a file cannot run on the real driver; nil when it can.
// Every reason is one error with the position of the key that asks for it.
func RealCheck(f *File) error {
	var errs Errors
	for i := range f.Devices {
		if d := &f.Devices[i]; d.Transport == TransportH323DTLS {
			errs = append(errs, Problem{Pos: d.Pos, Message: fmt.Sprintf("device %s: transport h323-dtls needs DTLS, which the real driver does not run yet (use h323-tls, or run without --realtime)", d.Name)})
		}
	}
	if len(f.Devices)+len(f.PBXs)+3 > 250*200 {
		errs = append(errs, Problem{Pos: f.Pos, Message: "too many actors for one loopback block"})
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// RunRealtime runs f on real sockets and the wall clock for f.Duration
// and checks its expectations with windows widened by the tolerance.
func RunRealtime(ctx context.Context, f *File, o RealOptions) (*Result, error) {
	start := time.Now()
	if err := RealCheck(f); err != nil {
		return nil, err
	}
	if o.Tolerance == 0 {
		o.Tolerance = DefaultTolerance
	}
	set, err := pki.NewSet(time.Now().Add(-time.Hour))
	if err != nil {
		return nil, err
	}
	block := byte(10 + o.Block)
	infra, devices := 0, 0
	w, err := buildWorld(f, buildOptions{
		addr: func(name string, isInfra bool) (netip.Addr, error) {
			if isInfra {
				infra++
				return netip.AddrFrom4([4]byte{127, block, 0, byte(infra)}), nil
			}
			devices++
			return netip.AddrFrom4([4]byte{127, block, byte(1 + (devices-1)/250), byte(1 + (devices-1)%250)}), nil
		},
		random:     func(string) io.Reader { return rand.Reader },
		wake:       func(string) phone.Rand { return phoneRandFunc(mrand.Int64N) },
		webPort:    RealWebPort,
		credential: realCredential(set),
		roots:      realRoots(set),
		noDTLS:     true,
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", f.Pos, f.Name, err)
	}
	tl := &timeline.Timeline{}
	host := realnet.NewHost(o.Log, tl)
	// Every peer of a scenario's world is one of its actors, not a
	// stranger: a population of thousands of apps keeps thousands of
	// connections to its PBX on this one host.
	host.Limits.MaxConns, host.Limits.MaxConnsPerIP = 0, 0
	host.OwnAddresses = true // every actor on a 127.0.0.x of its own
	net := realnet.NewNet(realnet.Link{Latency: f.Network.Latency, Jitter: f.Network.Jitter, Loss: f.Network.Loss}, uint64(f.Seed))
	host.Net = net
	refs := make([]realnet.NodeRef, len(w.actors))
	for i, a := range w.actors {
		refs[i] = host.Add(a.name, a.ip, a.node)
	}
	for _, l := range w.links {
		net.SetLink(w.actors[l.a].ip, w.actors[l.b].ip, realnet.Link(l.link))
	}
	for _, b := range w.blocked {
		net.BlockOutgoing(w.actors[b.actor].ip, b.port)
	}
	// Commands of one time run in one scheduled function, in the world's
	// order (a network change before the phone hears of it), as the
	// simulated loop runs them; separate timers would not keep that order.
	var times []time.Duration
	byTime := map[time.Duration][]timed{}
	for _, t := range w.timed {
		if _, ok := byTime[t.at]; !ok {
			times = append(times, t.at)
		}
		byTime[t.at] = append(byTime[t.at], t)
	}
	for _, at := range times {
		batch := byTime[at]
		host.Schedule(at, func() {
			for _, t := range batch {
				if t.actor >= 0 {
					host.DeliverNow(refs[t.actor], node.Command{Cmd: t.cmd})
				} else {
					w.realNetChange(net, t.cmd)
				}
			}
		})
	}
	runCtx, cancel := context.WithTimeout(ctx, f.Duration)
	defer cancel()
	if err := host.Run(runCtx); err != nil {
		return nil, err
	}
	// What happened after the end (the nodes winding down) is not part of
	// the run, as it is not in a simulated one.
	kept := &timeline.Timeline{}
	for _, e := range tl.Events() {
		if e.At <= f.Duration {
			kept.Add(e)
		}
	}
	r := &Result{Name: f.Name, File: f.Pos.File, Seed: f.Seed, Timeline: kept, Simulated: f.Duration}
	r.Verdicts = Check(tolerant(f.Expect, o.Tolerance), kept.Events())
	r.Wall = time.Since(start)
	return r, nil
}

// realNetChange applies a timed network change on the real driver.
func (w *world) realNetChange(net *realnet.Net, cmd any) {
	switch c := cmd.(type) {
	case pushLatency:
		push := w.actors[w.index[actorPush]].ip
		for i := range w.file.PBXs {
			ip := w.actors[w.index[w.file.PBXs[i].Name]].ip
			l := net.LinkOf(ip, push)
			l.Latency = c.latency
			net.SetLink(ip, push, l)
		}
	case vendorBlock:
		if c.blocked {
			net.BlockOutgoing(w.actors[c.actor].ip, c.port)
		} else {
			net.UnblockOutgoing(w.actors[c.actor].ip, c.port)
		}
	case pushLink:
		a, b := w.actors[c.pbx].ip, w.actors[w.index[actorPush]].ip
		l := net.LinkOf(a, b)
		l.Down = c.down
		net.SetLink(a, b, l)
	case netChange:
		n := c.change
		a, b, ok := w.linkEnds(c)
		if !ok {
			l := net.Default()
			change(&l.Latency, n.Latency)
			change(&l.Jitter, n.Jitter)
			change(&l.Loss, n.Loss)
			net.SetDefault(l)
			return
		}
		l := net.LinkOf(a, b)
		change(&l.Latency, n.Latency)
		change(&l.Jitter, n.Jitter)
		change(&l.Loss, n.Loss)
		net.SetLink(a, b, l)
	}
}

// phoneRandFunc adapts a function to phone.Rand.
type phoneRandFunc func(int64) int64

func (f phoneRandFunc) Int64N(n int64) int64 { return f(n) }

// realCredential issues, from the run's test PKI, the certificate an
// identity names: by its issuer's name, a client certificate of that role
// (the Push object's) or a server certificate for host.
func realCredential(set *pki.Set) func(id node.Identity, server bool, host string) (*node.Credential, error) {
	var mu sync.Mutex
	return func(id node.Identity, server bool, host string) (*node.Credential, error) {
		mu.Lock()
		defer mu.Unlock()
		ca, role := authority(set, id.Issuer)
		if ca == nil {
			return nil, fmt.Errorf("no test authority %q", id.Issuer)
		}
		serial, err := strconv.ParseInt(id.Serial, 10, 64)
		if err != nil || serial <= 0 {
			serial = 1
		}
		var leaf *pki.Leaf
		if server {
			leaf, err = set.IssueServer(ca, host, serial)
		} else {
			leaf, err = set.IssuePBX(role, serial, id.Subject)
		}
		if err != nil {
			return nil, err
		}
		c := leaf.TLSCertificate()
		return &node.Credential{Identity: node.Identity{Subject: leaf.Cert.Subject.CommonName,
			Issuer: leaf.Cert.Issuer.CommonName, Serial: leaf.Cert.SerialNumber.String()}, Certificate: &c}, nil
	}
}

func authority(set *pki.Set, issuer string) (*pki.Authority, pki.Role) {
	switch issuer {
	case pki.DeviceCAName:
		return set.Device, pki.RoleDevice
	case pki.UnverifiedDeviceCAName:
		return set.UnverifiedDevice, pki.RoleUnverifiedDevice
	case pki.OwnCAName:
		return set.Own, pki.RoleOwn
	case pki.ServiceCAName:
		return set.Service, ""
	}
	return nil, ""
}

func realRoots(set *pki.Set) func(issuers ...string) *x509.CertPool {
	return func(issuers ...string) *x509.CertPool {
		p := x509.NewCertPool()
		for _, name := range issuers {
			if ca, _ := authority(set, name); ca != nil {
				p.AddCert(ca.Cert)
			}
		}
		return p
	}
}

// tolerant widens the time windows of expectations for a real run: an
// event's window and its within grow by tol on each side; a never item's
// window shrinks by tol, since both are meant to hold however the wall
// clock jitters.
func tolerant(items []Expectation, tol time.Duration) []Expectation {
	out := make([]Expectation, len(items))
	for i, e := range items {
		if e.At != nil {
			w := *e.At
			if e.Kind == ExpectNever {
				if w.To-w.From > 2*tol {
					w.From, w.To = w.From+tol, w.To-tol
				}
			} else {
				w.From, w.To = max(w.From-tol, 0), w.To+tol
			}
			e.At = &w
		}
		if e.HasWithin {
			e.Within += tol
		}
		if e.HasAfter {
			e.After = max(e.After-tol, 0)
		}
		if len(e.Members) > 0 {
			e.Members = tolerant(e.Members, tol) // an all group's items
		}
		out[i] = e
	}
	return out
}
