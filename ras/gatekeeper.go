package ras

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"time"

	"github.com/callwake/callwake/asn1per"
	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/timeline"
)

// DefaultExpiryGrace is how long a gatekeeper keeps a registration beyond its
// time-to-live before it expires it: the keep-alive is due at 90 % of the TTL
// and may need its two retransmissions (6 s), so 120 s + 10 s leaves a lost
// keep-alive round trip room to arrive.
const DefaultExpiryGrace = 10 * time.Second

// GatekeeperConfig configures a Gatekeeper. CallSignalAddress and ExpiryGrace
// are additions beyond the driver contract; their zero values pick defaults.
type GatekeeperConfig struct {
	ID         string         // gatekeeperIdentifier (the PBX system name)
	RASAddress netip.AddrPort // our RAS address (in GCF)
	TimeToLive time.Duration  // granted in every RCF (120 s for this PBX); 0 = registrations do not expire
	// Password returns the H.235 password of an alias; false = the alias
	// needs no authentication. nil = no alias does.
	Password func(alias string) (string, bool)
	// Known tells whether an alias belongs to a user; an unknown alias gets
	// RRJ invalidAlias. nil = every alias is known.
	Known func(alias string) bool
	// Resolve, when set, names the registration an RRQ makes or renews from
	// all its terminal aliases and its call-signalling address: a PBX binds
	// it to one device of the user the aliases name, so that the devices of
	// one user hold registrations of their own. false refuses the RRQ with
	// invalidAlias. nil: registrations are named by their first alias.
	Resolve func(aliases []string, callSignal netip.AddrPort) (key string, ok bool)

	// CallSignalAddress is the gatekeeper's (PBX's) call-signalling address,
	// given in RCF and, the model being gatekeeper-routed, in ACF. Zero = the
	// RAS address's IP with port 1720.
	CallSignalAddress netip.AddrPort
	// ExpiryGrace is added to the TTL before a silent registration expires;
	// 0 = DefaultExpiryGrace.
	ExpiryGrace time.Duration
	// PreGrantAnswer puts preGrantedARQ (answerCall, through the gatekeeper)
	// into every RCF: endpoints may answer calls without an ARQ. Off, an
	// H.323 endpoint asks before it answers.
	PreGrantAnswer bool
	// ReplayCapacity bounds the H.235 tokens remembered against replays (see
	// replayCache); 0 = DefaultReplayCapacity.
	ReplayCapacity int
}

// Registration is one endpoint registered at a gatekeeper.
type Registration struct {
	// Key names the registration (GatekeeperConfig.Resolve); Aliases are
	// all the RRQ's terminal aliases, in order.
	Key                           string
	Aliases                       []string
	EndpointID, Alias, Number     string
	RASAddress, CallSignalAddress netip.AddrPort
	// MaintainConnection: the RRQ said the endpoint keeps its call-signalling
	// connection open (B32); the PBX then sends Setups over that connection
	// instead of dialling CallSignalAddress.
	MaintainConnection bool
}

type registration struct {
	Registration
	timer    TimerID
	deadline time.Time
	// method is how the endpoint signed its RRQ, for the gatekeeper's own
	// requests to it (IRQ); meaningful when the alias has a password.
	method AuthMethod
	// source is where its last RRQ came from (behind a NAT, not its
	// rasAddress): an unsigned URQ must come from there or the rasAddress.
	source netip.AddrPort
}

// Gatekeeper is the RAS side of the PBX. It is a plain value driven by its
// methods; it is not safe for concurrent use.
type Gatekeeper struct {
	cfg       GatekeeperConfig
	byID      map[string]*registration
	byKey     map[string]*registration // by Registration.Key
	byAlias   map[string]*registration // by h323-ID and by number: the newest registration naming it
	byTimer   map[TimerID]*registration
	replays   *replayCache
	limits    recordLimiter
	counter   int // endpoint identifiers ep-0001, ep-0002, ...
	nextTimer TimerID
	random    int64
	seq       uint16 // requestSeqNum of the gatekeeper's own requests (IRQ)
}

// NewGatekeeper returns a gatekeeper without registrations.
func NewGatekeeper(cfg GatekeeperConfig) *Gatekeeper {
	if !cfg.CallSignalAddress.IsValid() {
		cfg.CallSignalAddress = netip.AddrPortFrom(cfg.RASAddress.Addr(), 1720)
	}
	if cfg.ExpiryGrace == 0 {
		cfg.ExpiryGrace = DefaultExpiryGrace
	}
	return &Gatekeeper{cfg: cfg, byID: map[string]*registration{}, byKey: map[string]*registration{}, byAlias: map[string]*registration{},
		byTimer: map[TimerID]*registration{}, replays: newReplayCache(cfg.ReplayCapacity), nextTimer: 1}
}

// Lookup returns the registration of an alias (h323-ID or number).
func (g *Gatekeeper) Lookup(alias string) (Registration, bool) {
	if r, ok := g.byAlias[alias]; ok {
		return r.Registration, true
	}
	return Registration{}, false
}

func (g *Gatekeeper) password(alias string) (string, bool) {
	if g.cfg.Password == nil {
		return "", false
	}
	return g.cfg.Password(alias)
}

// HandleDatagram handles one datagram from an endpoint. Answers go back to
// the datagram's source address (which behind a NAT is the one that works).
// A datagram that does not decode is dropped with a ras.malformed record: its
// sequence number cannot be trusted, so no XRS is sent. A request this
// gatekeeper does not serve gets an XRS (unknownMessageResponse). The records
// of refused datagrams are rate-limited (RecordBurst, RecordInterval).
func (g *Gatekeeper) HandleDatagram(now time.Time, from netip.AddrPort, payload []byte) []Effect {
	return g.HandleDatagramAt(now, g.cfg.RASAddress, from, payload)
}

// HandleDatagramAt is HandleDatagram for a datagram that arrived at the
// gatekeeper's RAS address at (a gatekeeper listening on more than one,
// e.g. plain UDP and DTLS): a GCF names that address as the one to use.
func (g *Gatekeeper) HandleDatagramAt(now time.Time, at, from netip.AddrPort, payload []byte) []Effect {
	m, err := Decode(payload)
	if err != nil {
		return g.limits.refusal(now, record("ras.malformed", timeline.A("from", from), timeline.A("error", err.Error())))
	}
	switch m.Choice {
	case h225.RasMessageGatekeeperRequest:
		return g.onGRQ(now, at, from, m)
	case h225.RasMessageRegistrationRequest:
		if IsKeepAlive(m) {
			return g.onKeepAlive(now, from, m)
		}
		return g.onRRQ(now, from, m)
	case h225.RasMessageUnregistrationRequest:
		return g.onURQ(now, from, m)
	case h225.RasMessageAdmissionRequest:
		return g.onARQ(now, from, m)
	case h225.RasMessageDisengageRequest:
		return g.onDRQ(now, from, m)
	case h225.RasMessageInfoRequestResponse:
		return g.onIRR(now, m)
	case h225.RasMessageBandwidthRequest, h225.RasMessageLocationRequest, h225.RasMessageInfoRequest,
		h225.RasMessageNonStandardMessage, h225.RasMessageResourcesAvailableIndicate, h225.RasMessageServiceControlIndication:
		return g.reply(now, from, NewXRS(SeqNum(m), payload), nil)
	}
	return g.limits.refusal(now, ignored(m, "not a request"))
}

// reply encodes an answer, signed when c is not nil.
func (g *Gatekeeper) reply(now time.Time, to netip.AddrPort, m *h225.RasMessage, c *credentials) []Effect {
	var payload []byte
	var err error
	if c != nil {
		payload, err = encodeSigned(m, now, *c)
	} else {
		payload, err = m.Marshal()
	}
	if err != nil {
		return []Effect{record("ras.encode_error", timeline.A("message", EventName(m)), timeline.A("error", err.Error()))}
	}
	return []Effect{Send{To: to, Payload: payload, Event: EventName(m), Attrs: Attrs(m)}}
}

// authResult is the outcome of checking a request's token.
type authResult struct {
	required bool
	creds    *credentials // how to sign the answer; nil when not required
	err      error        // non-nil: answer securityDenial
}

// authenticate checks the token of a request from alias (whose registration,
// if any, is reg). The sender must name itself by the alias or by the
// endpoint identifier the gatekeeper assigned, the recipient (if named) must
// be this gatekeeper, and the token must not have been accepted before. The
// answer is signed as GNU Gatekeeper signs it: sendersID this gatekeeper,
// generalID the endpoint's identifier (onRRQ names the one it assigns), or the
// request's sender when there is none yet.
func (g *Gatekeeper) authenticate(now time.Time, m *h225.RasMessage, alias string, reg *registration) authResult {
	password, required := g.password(alias)
	if !required {
		return authResult{}
	}
	res := authResult{required: true}
	info, err := verifyToken(m, now, password)
	if err == nil {
		okSender := info.sendersID == alias || (reg != nil && info.method == AuthHMACSHA1 && info.sendersID == reg.EndpointID)
		if !okSender || (info.generalID != "" && info.generalID != g.cfg.ID) {
			err = ErrTokenIdentity
		}
	}
	if err == nil {
		err = g.replays.accept(now, replayKeyOf(alias, info, m))
	}
	if err != nil {
		res.err = err
		return res
	}
	recipient := info.sendersID
	if reg != nil {
		recipient = reg.EndpointID
	}
	res.creds = g.signAs(info.method, password, recipient)
	return res
}

// signAs returns the credentials of a message from this gatekeeper to recipient.
func (g *Gatekeeper) signAs(method AuthMethod, password, recipient string) *credentials {
	g.random++
	return &credentials{method: method, password: password, sendersID: g.cfg.ID, generalID: recipient,
		gatekeeper: true, random: g.random}
}

func securityRecord(m *h225.RasMessage, alias string, err error) node.Record {
	return record("ras.security_error", timeline.A("message", EventName(m)), timeline.A("seq", SeqNum(m)),
		timeline.A("alias", alias), timeline.A("error", err.Error()))
}

// securityError reports a request refused for its token (rate-limited) and
// answers it with reject.
func (g *Gatekeeper) securityError(now time.Time, from netip.AddrPort, m *h225.RasMessage, alias string, err error, reject *h225.RasMessage) []Effect {
	return append(g.limits.refusal(now, securityRecord(m, alias, err)), g.reply(now, from, reject, nil)...)
}

func (g *Gatekeeper) onGRQ(now time.Time, at, from netip.AddrPort, m *h225.RasMessage) []Effect {
	grq := m.GatekeeperRequest
	seq := SeqNum(m)
	if grq.GatekeeperIdentifier != nil && string(*grq.GatekeeperIdentifier) != g.cfg.ID {
		return g.reply(now, from, NewGRJ(seq, g.cfg.ID, h225.GatekeeperRejectReasonTerminalExcluded), nil)
	}
	alias, number := splitAliases(grq.EndpointAlias)
	if alias == "" {
		alias = number
	}
	_, required := g.password(alias)
	if alias == "" {
		required = g.cfg.Password != nil
	}
	var algorithm asn1per.ObjectIdentifier
	if required {
		algorithm = offeredAlgorithm(grq)
		if algorithm == nil {
			return g.reply(now, from, NewGRJ(seq, g.cfg.ID, h225.GatekeeperRejectReasonSecurityDenial), nil)
		}
	}
	return g.reply(now, from, NewGCF(seq, g.cfg.ID, at, algorithm), nil)
}

// offeredAlgorithm picks the password authentication a GRQ offers:
// HMAC-SHA1-96 before MD5; nil if pwdHash is not offered.
func offeredAlgorithm(grq *h225.GatekeeperRequest) asn1per.ObjectIdentifier {
	pwdHash := false
	for _, a := range grq.AuthenticationCapability {
		pwdHash = pwdHash || a.Choice == h225.AuthenticationMechanismPwdHash
	}
	if !pwdHash {
		return nil
	}
	var found asn1per.ObjectIdentifier
	for _, oid := range grq.AlgorithmOIDs {
		if oid.Equal(OIDHMACSHA196()) {
			return OIDHMACSHA196()
		}
		if oid.Equal(OIDMD5()) {
			found = OIDMD5()
		}
	}
	return found
}

func (g *Gatekeeper) onRRQ(now time.Time, from netip.AddrPort, m *h225.RasMessage) []Effect {
	rrq := m.RegistrationRequest
	seq := SeqNum(m)
	alias, number := splitAliases(rrq.TerminalAlias)
	key := alias
	if key == "" {
		key = number
	}
	if key == "" || (g.cfg.Known != nil && !g.cfg.Known(key)) {
		return g.reply(now, from, NewRRJ(seq, g.cfg.ID, h225.RegistrationRejectReasonInvalidAlias), nil)
	}
	user := key
	var callSignal netip.AddrPort
	if len(rrq.CallSignalAddress) > 0 {
		callSignal, _ = AddrPort(&rrq.CallSignalAddress[0])
	}
	aliases := make([]string, 0, len(rrq.TerminalAlias))
	for _, a := range rrq.TerminalAlias {
		aliases = append(aliases, AliasText(a))
	}
	if g.cfg.Resolve != nil {
		var ok bool
		if key, ok = g.cfg.Resolve(aliases, callSignal); !ok {
			return g.reply(now, from, NewRRJ(seq, g.cfg.ID, h225.RegistrationRejectReasonInvalidAlias), nil)
		}
	}
	existing := g.byKey[key]
	auth := g.authenticate(now, m, user, existing)
	if auth.err != nil {
		return g.securityError(now, from, m, user, auth.err, NewRRJ(seq, g.cfg.ID, h225.RegistrationRejectReasonSecurityDenial))
	}
	if !callSignal.IsValid() {
		return g.reply(now, from, NewRRJ(seq, g.cfg.ID, h225.RegistrationRejectReasonInvalidCallSignalAddress), nil)
	}
	rasAddr := from
	if len(rrq.RasAddress) > 0 {
		if a, ok := AddrPort(&rrq.RasAddress[0]); ok {
			rasAddr = a
		}
	}
	var out []Effect
	r := existing
	if r == nil {
		g.counter++
		r = &registration{Registration: Registration{Key: key, EndpointID: fmt.Sprintf("ep-%04d", g.counter)}, timer: g.nextTimer}
		g.nextTimer++
		g.byID[r.EndpointID] = r
		g.byTimer[r.timer] = r
		g.byKey[key] = r
	} else if r.Number != "" && r.Number != number && g.byAlias[r.Number] == r {
		delete(g.byAlias, r.Number)
	}
	r.Alias, r.Number, r.RASAddress, r.CallSignalAddress = alias, number, rasAddr, callSignal
	r.source = from
	r.Aliases = aliases
	r.MaintainConnection = rrq.MaintainConnection != nil && *rrq.MaintainConnection
	if auth.creds != nil {
		r.method = auth.creds.method
		auth.creds.generalID = r.EndpointID // the identifier this RCF assigns
	}
	g.byAlias[user] = r
	if alias != "" && number != "" {
		g.byAlias[number] = r
	}
	out = append(out, g.arm(now, r)...)
	ep := Info{Alias: alias, Number: number, EndpointID: r.EndpointID}
	out = append(out, g.reply(now, from, g.rcf(seq, ep), auth.creds)...)
	return append(out, EndpointRegistered{Registration: r.Registration})
}

// arm (re)starts the expiry timer of a registration.
func (g *Gatekeeper) arm(now time.Time, r *registration) []Effect {
	if g.cfg.TimeToLive <= 0 {
		return nil
	}
	after := g.cfg.TimeToLive + g.cfg.ExpiryGrace
	r.deadline = now.Add(after)
	return []Effect{node.CancelTimer{ID: r.timer.Node()}, node.SetTimer{ID: r.timer.Node(), After: after}}
}

func (g *Gatekeeper) keyOf(r *registration) string {
	if r.Alias != "" {
		return r.Alias
	}
	return r.Number
}

func (g *Gatekeeper) onKeepAlive(now time.Time, from netip.AddrPort, m *h225.RasMessage) []Effect {
	rrq := m.RegistrationRequest
	seq := SeqNum(m)
	var r *registration
	if rrq.EndpointIdentifier != nil {
		r = g.byID[string(*rrq.EndpointIdentifier)]
	}
	// An identifier names one endpoint: a keep-alive that carries another
	// call-signalling address is from an endpoint that holds an identifier
	// of an earlier life of this gatekeeper (endpoint identifiers count
	// from 1 again after a restart), which must register again.
	if r == nil || !sameEndpoint(rrq, r) {
		return g.reply(now, from, NewRRJ(seq, g.cfg.ID, h225.RegistrationRejectReasonFullRegistrationRequired), nil)
	}
	key := g.keyOf(r)
	auth := g.authenticate(now, m, key, r)
	if auth.err != nil {
		return g.securityError(now, from, m, key, auth.err, NewRRJ(seq, g.cfg.ID, h225.RegistrationRejectReasonSecurityDenial))
	}
	out := g.arm(now, r)
	ep := Info{Alias: r.Alias, Number: r.Number, EndpointID: r.EndpointID}
	return append(out, g.reply(now, from, g.rcf(seq, ep), auth.creds)...)
}

// sameEndpoint reports whether an RRQ names the call-signalling address
// of registration r (an RRQ without a readable one does not tell).
func sameEndpoint(rrq *h225.RegistrationRequest, r *registration) bool {
	if len(rrq.CallSignalAddress) == 0 {
		return true
	}
	a, ok := AddrPort(&rrq.CallSignalAddress[0])
	return !ok || a == r.CallSignalAddress
}

func (g *Gatekeeper) onURQ(now time.Time, from netip.AddrPort, m *h225.RasMessage) []Effect {
	urq := m.UnregistrationRequest
	seq := SeqNum(m)
	var r *registration
	if urq.EndpointIdentifier != nil {
		r = g.byID[string(*urq.EndpointIdentifier)]
	} else {
		for _, a := range urq.EndpointAlias {
			if r = g.byAlias[AliasText(a)]; r != nil {
				break
			}
		}
	}
	if r == nil {
		return g.reply(now, from, NewURJ(seq, h225.UnregRejectReasonNotCurrentlyRegistered), nil)
	}
	key := g.keyOf(r)
	auth := g.authenticate(now, m, key, r)
	if auth.err != nil {
		return g.securityError(now, from, m, key, auth.err, NewURJ(seq, h225.UnregRejectReasonSecurityDenial))
	}
	if !auth.required && from != r.source && from != r.RASAddress {
		// Unsigned, from elsewhere: anyone who learnt an endpoint
		// identifier (they are sequential) would unregister it.
		return g.securityError(now, from, m, key, ErrNotFromEndpoint, NewURJ(seq, h225.UnregRejectReasonSecurityDenial))
	}
	out := []Effect{node.CancelTimer{ID: r.timer.Node()}}
	g.forget(r)
	out = append(out, g.reply(now, from, NewUCF(seq), auth.creds)...)
	return append(out, EndpointUnregistered{Registration: r.Registration, Reason: "urq"})
}

func (g *Gatekeeper) forget(r *registration) {
	delete(g.byID, r.EndpointID)
	delete(g.byTimer, r.timer)
	if g.byKey[r.Key] == r {
		delete(g.byKey, r.Key)
	}
	for _, k := range []string{r.Alias, r.Number} {
		if k != "" && g.byAlias[k] == r {
			delete(g.byAlias, k)
		}
	}
}

// onARQ admits calls of registered endpoints. The PBX routes every call
// (gatekeeper-routed model), so the ACF points at its own call-signalling
// address. An outgoing call to a destination that is neither registered nor
// a known user gets ARJ calledPartyNotRegistered; a known user who is not
// registered is admitted: waking that user's phone is the PBX's business.
func (g *Gatekeeper) onARQ(now time.Time, from netip.AddrPort, m *h225.RasMessage) []Effect {
	arq := m.AdmissionRequest
	seq := SeqNum(m)
	r := g.byID[string(arq.EndpointIdentifier)]
	if r == nil {
		return g.reply(now, from, NewARJ(seq, h225.AdmissionRejectReasonCallerNotRegistered), nil)
	}
	key := g.keyOf(r)
	auth := g.authenticate(now, m, key, r)
	if auth.err != nil {
		return g.securityError(now, from, m, key, auth.err, NewARJ(seq, h225.AdmissionRejectReasonSecurityDenial))
	}
	if !arq.AnswerCall && len(arq.DestinationInfo) > 0 {
		dest := AliasText(arq.DestinationInfo[0])
		if _, registered := g.byAlias[dest]; !registered && g.cfg.Known != nil && !g.cfg.Known(dest) {
			return g.reply(now, from, NewARJ(seq, h225.AdmissionRejectReasonCalledPartyNotRegistered), auth.creds)
		}
	}
	bandwidth := max(int64(arq.BandWidth), 1)
	return g.reply(now, from, NewACF(seq, bandwidth, g.cfg.CallSignalAddress), auth.creds)
}

func (g *Gatekeeper) onDRQ(now time.Time, from netip.AddrPort, m *h225.RasMessage) []Effect {
	drq := m.DisengageRequest
	seq := SeqNum(m)
	r := g.byID[string(drq.EndpointIdentifier)]
	if r == nil {
		return g.reply(now, from, NewDRJ(seq, h225.DisengageRejectReasonNotRegistered), nil)
	}
	key := g.keyOf(r)
	auth := g.authenticate(now, m, key, r)
	if auth.err != nil {
		return g.securityError(now, from, m, key, auth.err, NewDRJ(seq, h225.DisengageRejectReasonSecurityDenial))
	}
	return g.reply(now, from, NewDCF(seq), auth.creds)
}

// RequestInfo sends an IRQ to the registered endpoint of alias; its IRR
// refreshes the registration like a keep-alive. It returns nothing for an
// alias that is not registered. The IRQ is signed when the alias has a
// password (an endpoint that signs refuses unsigned requests).
func (g *Gatekeeper) RequestInfo(now time.Time, alias string) []Effect {
	r, ok := g.byAlias[alias]
	if !ok {
		return nil
	}
	g.seq++
	if g.seq == 0 {
		g.seq = 1
	}
	var creds *credentials
	if password, required := g.password(g.keyOf(r)); required {
		creds = g.signAs(r.method, password, r.EndpointID)
	}
	return g.reply(now, r.RASAddress, NewIRQ(g.seq, g.cfg.RASAddress), creds)
}

// onIRR takes an IRR, solicited or not, as a sign of life of the endpoint.
func (g *Gatekeeper) onIRR(now time.Time, m *h225.RasMessage) []Effect {
	r, ok := g.byID[string(m.InfoRequestResponse.EndpointIdentifier)]
	if !ok {
		return g.limits.refusal(now, ignored(m, "unknown endpoint"))
	}
	key := g.keyOf(r)
	if auth := g.authenticate(now, m, key, r); auth.err != nil {
		return g.limits.refusal(now, securityRecord(m, key, auth.err))
	}
	return g.arm(now, r)
}

// Reset forgets every registration at once, as a gatekeeper that restarts
// does, and cancels their expiry timers. Endpoint identifiers and timers go
// on being numbered from where they were, so that an endpoint still using an
// identifier from before is not taken for one registered after (its
// keep-alive gets RRJ fullRegistrationRequired and it registers again).
func (g *Gatekeeper) Reset() []Effect {
	ids := slices.Sorted(maps.Keys(g.byTimer))
	out := make([]Effect, 0, len(ids))
	for _, id := range ids {
		out = append(out, node.CancelTimer{ID: id.Node()})
	}
	g.byID, g.byKey, g.byAlias = map[string]*registration{}, map[string]*registration{}, map[string]*registration{}
	g.byTimer = map[TimerID]*registration{}
	return out
}

// HandleTimer handles an expiry timer: a registration that was not refreshed
// within its time-to-live plus the grace ends.
func (g *Gatekeeper) HandleTimer(now time.Time, id TimerID) []Effect {
	r, ok := g.byTimer[id]
	if !ok {
		return nil
	}
	if left := r.deadline.Sub(now); left > 0 {
		// Refreshed after this timer was set: wait for the new deadline.
		return []Effect{node.SetTimer{ID: id.Node(), After: left}}
	}
	g.forget(r)
	return []Effect{
		record("ras.registration_expired", timeline.A("alias", g.keyOf(r)), timeline.A("endpoint_id", r.EndpointID)),
		EndpointUnregistered{Registration: r.Registration, Reason: "expired"},
	}
}

// rcf builds the RegistrationConfirm of a (full or lightweight) registration.
func (g *Gatekeeper) rcf(seq uint16, ep Info) *h225.RasMessage {
	m := NewRCF(seq, g.cfg.ID, g.cfg.CallSignalAddress, ep, g.cfg.TimeToLive)
	if g.cfg.PreGrantAnswer {
		m.RegistrationConfirm.PreGrantedARQ = &h225.RegistrationConfirmPreGrantedARQ{
			AnswerCall: true, UseGKCallSignalAddressToAnswer: true}
	}
	return m
}
