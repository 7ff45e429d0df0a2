package importer

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// An actor is one side of the capture's conversations: a gatekeeper (the
// PBX) or an endpoint (a phone).
type actor struct {
	gk *gatekeeper
	ep *endpoint
}

// gatekeeper is an address that answers registrations: the PBX.
type gatekeeper struct {
	index int
	ras   netip.AddrPort
	// signalling holds its call-signalling addresses (RCF's
	// callSignalAddress, a routed ACF's destCallSignalAddress).
	signalling map[netip.AddrPort]bool
	// ids are the gatekeeper identifiers it gave, in order.
	ids []string
	// alias is the h323-ID it puts in the Setups it places itself, when
	// that is its own and not the caller's.
	alias   string
	granted []int64 // the time-to-live values its RCFs granted
	// auth is what its GCF asked for (authenticationMode, algorithm).
	auth []string
	name string // in the scenario
	self *actor
}

// endpoint is a phone: the sender of registrations and calls.
type endpoint struct {
	index int // order of first appearance
	key   string
	ip    netip.Addr
	// ras and signalling are its addresses (RAS source, RRQ
	// callSignalAddress).
	ras, signalling map[netip.AddrPort]bool
	aliases         []string
	user            string // the user's H.323 ID
	number          string
	deviceAlias     string // an h323-ID naming the device itself, when it has one
	gk              *gatekeeper
	first           time.Duration
	msgs            []*message // the RAS messages it sent or received
	name            string     // in the scenario
	ident           string     // see actor.ident
	self            *actor
	inf             deviceFacts
}

func (a *actor) String() string {
	switch {
	case a == nil:
		return "?"
	case a.gk != nil:
		return a.gk.name
	}
	return a.ep.name
}

// ident is the actor's identity from what the wire says alone (never a
// name the importer chose): the gatekeeper's index or the endpoint's
// user, device alias and rank among the user's endpoints. Two captures of
// the same world give their actors the same identities.
func (a *actor) ident() string {
	if a.gk != nil {
		return fmt.Sprintf("gatekeeper#%d", a.gk.index)
	}
	return a.ep.ident
}

// world is the capture's actors and their messages.
type world struct {
	c     *captured
	gks   []*gatekeeper
	eps   []*endpoint
	byIP  bool // every actor has an address of its own
	byRAS map[netip.AddrPort]*gatekeeper
	// epIPs are the IP addresses endpoints speak RAS from: a gatekeeper's
	// IP that is none of them is the gatekeeper's alone, whatever the port
	// (a PBX places its calls from ephemeral ports).
	epIPs map[netip.Addr]bool
	// soleAt is the endpoint an IP address belongs to when it is the only
	// one there (nil when several share it): a capture may show a
	// connection on another port than the RRQ announced (the plaintext of
	// a TLS connection, written on 1720 for the decoders).
	soleAt map[netip.Addr]*endpoint
	// unplaced counts the messages whose sides could not both be named.
	unplaced int
}

// requests from an endpoint to its gatekeeper, and the gatekeeper's answers.
var (
	toGatekeeper   = []string{"grq", "rrq", "arq", "brq", "lrq"}
	fromGatekeeper = []string{"gcf", "grj", "rcf", "rrj", "acf", "arj", "bcf", "brj", "lcf", "lrj"}
)

func isMulticast(a netip.AddrPort) bool { return a.Addr().IsMulticast() }

// analyse finds the gatekeepers and endpoints and places every message.
func analyse(c *captured) *world {
	w := &world{c: c, byRAS: map[netip.AddrPort]*gatekeeper{}}
	gkAt := func(a netip.AddrPort, tunnel bool) *gatekeeper {
		if isMulticast(a) {
			return nil
		}
		g, ok := w.byRAS[a]
		if !ok && tunnel {
			// RAS tunnelled to a gatekeeper's call-signalling port: the
			// gatekeeper of that address.
			for _, h := range w.gks {
				if h.ras.Addr() == a.Addr() {
					g, ok = h, true
					w.byRAS[a] = h
				}
			}
		}
		if !ok {
			g = &gatekeeper{index: len(w.gks) + 1, ras: a, signalling: map[netip.AddrPort]bool{}}
			g.self = &actor{gk: g}
			w.gks = append(w.gks, g)
			w.byRAS[a] = g
		}
		return g
	}
	for _, m := range c.msgs {
		if !m.ras {
			continue
		}
		kind := rasEvents[m.typ]
		switch {
		case slices.Contains(toGatekeeper, kind):
			gkAt(m.dst, m.tunnel)
		case slices.Contains(fromGatekeeper, kind):
			gkAt(m.src, m.tunnel)
		}
	}
	w.decideAddressing()
	w.placeRAS()
	w.placeSignalling()
	w.nameUsers()
	return w
}

// decideAddressing chooses how endpoints are told apart: by IP address when
// every address is one actor's (a simulated world, or a network of
// separate phones), by IP address and port otherwise (several stacks on
// one host, as on a loopback).
func (w *world) decideAddressing() {
	gkIPs := map[netip.Addr]bool{}
	for _, g := range w.gks {
		gkIPs[g.ras.Addr()] = true
	}
	aliasesOf := map[netip.Addr]string{}
	w.byIP = true
	for _, m := range w.c.msgs {
		if !m.ras {
			continue
		}
		ep, ok := w.endpointSide(m)
		if !ok {
			continue
		}
		if gkIPs[ep.Addr()] {
			w.byIP = false
			return
		}
		if as := rasAliases(m); as != "" {
			if prev, seen := aliasesOf[ep.Addr()]; seen && prev != as {
				w.byIP = false
				return
			}
			aliasesOf[ep.Addr()] = as
		}
	}
}

// rasAliases are the aliases an endpoint registers or discovers with.
func rasAliases(m *message) string {
	if m.is("grq") || m.is("rrq") && !m.f.KeepAlive {
		return strings.Join(m.f.Aliases, ",")
	}
	return ""
}

// endpointSide returns the endpoint's address of a RAS message exchanged
// with a gatekeeper.
func (w *world) endpointSide(m *message) (netip.AddrPort, bool) {
	_, srcGK := w.byRAS[m.src]
	_, dstGK := w.byRAS[m.dst]
	switch {
	case dstGK && !srcGK:
		return m.src, true
	case srcGK && !dstGK:
		return m.dst, true
	}
	return netip.AddrPort{}, false
}

func (w *world) keyOf(a netip.AddrPort) string {
	if w.byIP {
		return a.Addr().String()
	}
	return a.String()
}

// placeRAS makes an endpoint of every address that speaks RAS with a
// gatekeeper, and learns their addresses and aliases.
func (w *world) placeRAS() {
	byKey := map[string]*endpoint{}
	w.epIPs = map[netip.Addr]bool{}
	for _, m := range w.c.msgs {
		if !m.ras {
			continue
		}
		addr, ok := w.endpointSide(m)
		if !ok {
			w.unplaced++
			continue
		}
		g := w.byRAS[m.src]
		if g == nil {
			g = w.byRAS[m.dst]
		}
		key := w.keyOf(addr)
		e := byKey[key]
		if e == nil {
			e = &endpoint{index: len(w.eps) + 1, key: key, ip: addr.Addr(), gk: g, first: m.at,
				ras: map[netip.AddrPort]bool{}, signalling: map[netip.AddrPort]bool{}}
			e.self = &actor{ep: e}
			byKey[key] = e
			w.eps = append(w.eps, e)
		}
		e.ras[addr] = true
		w.epIPs[addr.Addr()] = true
		e.msgs = append(e.msgs, m)
		if as := rasAliases(m); as != "" && (len(e.aliases) == 0 || m.is("rrq")) {
			e.aliases = m.f.Aliases
		}
		if m.src == addr {
			m.from, m.to = e.self, g.self
		} else {
			m.from, m.to = g.self, e.self
		}
		switch {
		case m.is("rrq") && m.src == addr:
			for _, a := range m.f.CallSignalAddress {
				if ap, err := netip.ParseAddrPort(a); err == nil {
					e.signalling[ap] = true
				}
			}
		case m.is("rcf"):
			for _, a := range m.f.CallSignalAddress {
				if ap, err := netip.ParseAddrPort(a); err == nil {
					g.signalling[ap] = true
				}
			}
			if m.f.TimeToLive != nil {
				g.granted = append(g.granted, *m.f.TimeToLive)
			}
		case m.is("gcf"):
			g.auth = append(m.f.Authentication, m.f.Algorithms...)
		}
		if m.f.GatekeeperIdentifier != "" && m.src == g.ras && !slices.Contains(g.ids, m.f.GatekeeperIdentifier) {
			g.ids = append(g.ids, m.f.GatekeeperIdentifier)
		}
	}
	// A routed ACF names the gatekeeper's own call-signalling address; a
	// direct one names the callee's, which an RRQ announced.
	for _, m := range w.c.msgs {
		if m.is("acf") && m.from != nil && m.from.gk != nil {
			if ap, err := netip.ParseAddrPort(m.f.CallSignalAddress[0]); err == nil && w.endpointAt(ap) == nil {
				m.from.gk.signalling[ap] = true
			}
		}
	}
	for _, g := range w.gks {
		g.signalling[netip.AddrPortFrom(g.ras.Addr(), 1720)] = true
	}
	w.soleAt = map[netip.Addr]*endpoint{}
	shared := map[netip.Addr]bool{}
	for _, e := range w.eps {
		for a := range e.ras {
			if o, ok := w.soleAt[a.Addr()]; ok && o != e {
				shared[a.Addr()] = true
			}
			w.soleAt[a.Addr()] = e
		}
	}
	for ip := range shared {
		delete(w.soleAt, ip)
	}
	for _, g := range w.gks {
		delete(w.soleAt, g.ras.Addr())
	}
}

// endpointAt returns the endpoint an address belongs to, if it is known.
func (w *world) endpointAt(a netip.AddrPort) *endpoint {
	for _, e := range w.eps {
		if e.signalling[a] || e.ras[a] || w.byIP && e.ip == a.Addr() {
			return e
		}
	}
	return w.soleAt[a.Addr()]
}

// gatekeeperAt returns the gatekeeper an address belongs to, if it is known.
func (w *world) gatekeeperAt(a netip.AddrPort) *gatekeeper {
	for _, g := range w.gks {
		if g.signalling[a] || g.ras == a || (w.byIP || !w.epIPs[a.Addr()]) && g.ras.Addr() == a.Addr() {
			return g
		}
	}
	return nil
}

// actorAt names an address's actor when the address alone tells.
func (w *world) actorAt(a netip.AddrPort) *actor {
	if g := w.gatekeeperAt(a); g != nil {
		return g.self
	}
	if e := w.endpointAt(a); e != nil {
		return e.self
	}
	return nil
}

// placeSignalling names the two sides of every call-signalling message. A
// side the address does not tell (a connection from an ephemeral port) is
// told by the Setup that opens the connection: its callIdentifier is that
// of an ARQ, whose sender placed the call; a connection to an endpoint's
// call-signalling address comes from its gatekeeper.
func (w *world) placeSignalling() {
	type conn struct{ a, b netip.AddrPort }
	sides := map[conn][2]*actor{}
	keyOf := func(m *message) (conn, bool) {
		if m.src.Compare(m.dst) < 0 {
			return conn{m.src, m.dst}, false
		}
		return conn{m.dst, m.src}, true
	}
	arqBy := map[string]*endpoint{} // callIdentifier → the endpoint that asked to place it
	for _, m := range w.c.msgs {
		if m.is("arq") && !m.f.AnswerCall && m.f.CallIdentifier != "" && m.from != nil && m.from.ep != nil {
			arqBy[m.f.CallIdentifier] = m.from.ep
		}
	}
	for _, m := range w.c.msgs {
		if m.ras && !m.tunnel {
			continue
		}
		if m.tunnel {
			// RAS inside the connection is placed like RAS: by its own
			// content when the endpoint is known by its RAS address.
			if m.from == nil {
				w.unplaced++
			}
			continue
		}
		k, swapped := keyOf(m)
		s, ok := sides[k]
		if !ok {
			src, dst := w.actorAt(m.src), w.actorAt(m.dst)
			if src == nil && m.q931("setup") {
				if e := arqBy[m.f.CallIdentifier]; e != nil && (dst == nil || dst.gk != nil) {
					src = e.self
				}
			}
			if src == nil && dst != nil && dst.ep != nil && dst.ep.gk != nil {
				src = dst.ep.gk.self
			}
			if dst == nil && src != nil && src.ep != nil && src.ep.gk != nil {
				dst = src.ep.gk.self
			}
			if src == nil || dst == nil {
				w.unplaced++
				continue
			}
			if swapped {
				s = [2]*actor{dst, src}
			} else {
				s = [2]*actor{src, dst}
			}
			sides[k] = s
		}
		if swapped {
			m.from, m.to = s[1], s[0]
		} else {
			m.from, m.to = s[0], s[1]
		}
		if m.from.gk != nil && m.to.ep != nil && m.q931("setup") && m.from.gk.alias == "" {
			m.from.gk.alias = ownAlias(m)
		}
	}
}

// ownAlias is the h323-ID a gatekeeper's Setup names as its source when
// that is not the caller's (a PBX that calls in its own name).
func ownAlias(setup *message) string {
	for _, a := range setup.f.Aliases {
		if id, ok := strings.CutPrefix(a, "h323-ID:"); ok {
			return id
		}
	}
	return ""
}

// nameUsers gives each endpoint its user (name and number) from its
// aliases, and its identity.
func (w *world) nameUsers() {
	rank := map[string]int{}
	for _, e := range w.eps {
		var ids []string
		for _, a := range e.aliases {
			if v, ok := strings.CutPrefix(a, "h323-ID:"); ok && v != "" {
				ids = append(ids, v)
			}
			if v, ok := strings.CutPrefix(a, "dialledDigits:"); ok && e.number == "" && validDigits(v) {
				e.number = v
			}
		}
		e.user, e.deviceAlias = userAndDevice(ids)
		if e.user == "" {
			if e.number != "" {
				e.user = "user-" + e.number
			} else {
				e.user = fmt.Sprintf("endpoint-%d", e.index)
			}
		}
		rank[e.user]++
		e.ident = fmt.Sprintf("%s/%s#%d", e.user, e.deviceAlias, rank[e.user])
	}
	// A PBX that puts a caller's own alias in its Setups gives no name.
	for _, g := range w.gks {
		for _, e := range w.eps {
			if g.alias == e.user {
				g.alias = ""
			}
		}
	}
}

// userAndDevice picks, among an endpoint's h323-IDs, the user's and the
// device's: an ID that another one extends ("alice" and "alice-iphone") is
// the user's, otherwise the first is.
func userAndDevice(ids []string) (user, device string) {
	switch len(ids) {
	case 0:
		return "", ""
	case 1:
		return ids[0], ""
	}
	user = ids[0]
	for _, a := range ids {
		for _, b := range ids {
			if a != b && strings.HasPrefix(b, a) && !isAlnum(b[len(a)]) {
				user = a
			}
		}
	}
	for _, id := range ids {
		if id != user {
			return user, id
		}
	}
	return user, ""
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// validDigits reports whether s is what the scenario format accepts as
// digits: 0-9, * and #, with an optional leading +.
func validDigits(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c == '*' || c == '#') {
			return false
		}
	}
	return true
}
