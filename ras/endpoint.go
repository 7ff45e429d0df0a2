package ras

import (
	"encoding/binary"
	"io"
	"net/netip"
	"time"

	"github.com/callwake/callwake/asn1per"
	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/timeline"
)

// Retransmission of requests, as the open-source H.323 stacks do it: a request
// unanswered after its timeout is sent again, RequestRetries times, and given
// up one timeout after the last copy.
const (
	RequestTimeout   = 3 * time.Second
	RequestRetries   = 2
	DiscoveryTimeout = 5 * time.Second
	DiscoveryRetries = 2
)

// KeepAliveAt is the share of the granted time-to-live after which a
// lightweight RRQ refreshes the registration (per mille): 900 = 90 %.
const KeepAliveAt = 900

// EndpointConfig configures an Endpoint. The zero values of the additions
// beyond the driver contract (Authentication, MaintainConnection) keep the
// default behaviour; FirstSeqNum or Random must be set.
type EndpointConfig struct {
	Alias             string         // h323-ID alias (the user's name)
	Number            string         // dialledDigits alias; "" = none
	DeviceAlias       string         // a further h323-ID naming the device (Info.DeviceAlias)
	Password          string         // H.235 password; "" = no authentication tokens
	RASAddress        netip.AddrPort // our own RAS address
	CallSignalAddress netip.AddrPort // our call-signalling address
	Gatekeeper        netip.AddrPort // where to send GRQ/RRQ
	TimeToLive        time.Duration  // asked for in RRQ; 0 = none asked
	Discover          bool           // send GRQ first
	KeepAlive         bool           // send lightweight RRQs before the granted TTL runs out

	// Authentication chooses the token when Password is set and a GCF did not
	// select one: H.235.1 HMAC-SHA1-96 (default) or cryptoEPPwdHash (MD5).
	Authentication AuthMethod
	// MaintainConnection is announced in the RRQ (an endpoint that keeps its
	// call-signalling connection to the PBX open, B32).
	MaintainConnection bool
	// GatekeeperID is the gatekeeper identifier the endpoint asks for in its
	// GRQ (a configured "gatekeeper ID" on a phone); "" asks for any. A
	// gatekeeper with another ID answers GRJ terminalExcluded and the
	// registration fails with reason "discoveryRejected" (B30).
	GatekeeperID string
	// ClockSkew is how far the endpoint's clock is from the true time: the
	// timeStamp of every token it writes is off by that much, and more than
	// TimestampWindow makes the gatekeeper refuse it as stale (B31). Model
	// choice: only what the endpoint writes is skewed; it checks the
	// gatekeeper's tokens against the true time, so the refusal is seen.
	ClockSkew time.Duration
	// FirstSeqNum is the first requestSeqNum; 0 = drawn from Random.
	FirstSeqNum uint16
	// Random is where the endpoint draws what must be unpredictable to a
	// stranger: the first requestSeqNum (when FirstSeqNum is 0; an off-path
	// attacker who knows it can answer requests before the gatekeeper does) and
	// the first H.235 random. The core never reads a system source itself: a
	// driver on a real network passes crypto/rand.Reader, a simulation a
	// reader seeded from the scenario seed, a test a fixed FirstSeqNum. With
	// FirstSeqNum 0 and Random nil NewEndpoint panics: the zero value does not
	// silently mean a predictable number. Reads must not fail (crypto/rand's do
	// not).
	Random io.Reader
	// ExactRetransmissions turns the jitter of retransmissions off: every copy goes
	// exactly one timeout after the previous one (tests that check the timers).
	ExactRetransmissions bool
}

// RetransmitJitter is how far a retransmission timer strays from its timeout, either way,
// per mille: ±10 %, so that the endpoints of a burst that was dropped together do not
// retransmit together (real stacks that wait exactly 3 s re-burst at a gatekeeper's socket).
const RetransmitJitter = 100

type requestKind int

const (
	kindGRQ requestKind = iota + 1
	kindRRQ
	kindKeepAlive
	kindURQ
	kindARQ
	kindDRQ
)

// answers lists the message types that answer each kind of request.
var answers = map[requestKind][2]h225.RasMessageChoice{
	kindGRQ:       {h225.RasMessageGatekeeperConfirm, h225.RasMessageGatekeeperReject},
	kindRRQ:       {h225.RasMessageRegistrationConfirm, h225.RasMessageRegistrationReject},
	kindKeepAlive: {h225.RasMessageRegistrationConfirm, h225.RasMessageRegistrationReject},
	kindURQ:       {h225.RasMessageUnregistrationConfirm, h225.RasMessageUnregistrationReject},
	kindARQ:       {h225.RasMessageAdmissionConfirm, h225.RasMessageAdmissionReject},
	kindDRQ:       {h225.RasMessageDisengageConfirm, h225.RasMessageDisengageReject},
}

// request is one outstanding request of an Endpoint.
type request struct {
	kind    requestKind
	seq     uint16
	timer   TimerID
	retries int // retransmissions left
	sent    int // retransmissions made
	call    CallInfo
	// cleanup marks the URQ of an endpoint that gives up a registration the
	// gatekeeper may hold (an RRQ that went unanswered or whose RCF was
	// refused, a keep-alive that timed out): its answer or timeout changes
	// nothing and is reported as nothing.
	cleanup bool
}

// timerKeepAlive is the Endpoint's keep-alive timer; request timers follow.
const timerKeepAlive TimerID = 1

// Endpoint is the RAS side of an H.323 endpoint (a phone app). It is a plain
// value driven by its methods; it is not safe for concurrent use.
type Endpoint struct {
	cfg          EndpointConfig
	gatekeeper   netip.AddrPort
	gatekeeperID string
	endpointID   string
	granted      time.Duration
	registered   bool
	// answerGranted: the RCF's preGrantedARQ lets the endpoint answer calls
	// without asking admission (H.225.0 7.9.2).
	answerGranted  bool
	discovered     bool
	triedDiscovery bool // a discoveryRequired RRJ already sent us to discovery
	method         AuthMethod
	nextSeq        uint16
	random         int64
	jitter         uint64 // splitmix64 state of the retransmission jitter
	nextTimer      TimerID
	requests       []*request // in the order they were made
	limits         recordLimiter
	replays        *replayCache // the gatekeeper's tokens accepted; made on first use
}

// NewEndpoint returns an endpoint that is not registered. It panics when
// cfg has neither FirstSeqNum nor Random, or when Random fails.
func NewEndpoint(cfg EndpointConfig) *Endpoint {
	var drawn [6]byte
	if cfg.Random != nil {
		if _, err := io.ReadFull(cfg.Random, drawn[:]); err != nil {
			panic("ras: EndpointConfig.Random failed: " + err.Error())
		}
	}
	seq := cfg.FirstSeqNum
	if seq == 0 {
		if cfg.Random == nil {
			panic("ras: EndpointConfig needs Random (or a FirstSeqNum): the first requestSeqNum must be unpredictable")
		}
		seq = max(binary.BigEndian.Uint16(drawn[:2]), 1) // RequestSeqNum is 1..65535
	}
	return &Endpoint{cfg: cfg, gatekeeper: cfg.Gatekeeper, gatekeeperID: cfg.GatekeeperID, method: cfg.Authentication,
		nextSeq: seq, nextTimer: timerKeepAlive + 1,
		// The H.235 random counts up from a random 31-bit start, as H323Plus does.
		random: int64(binary.BigEndian.Uint32(drawn[2:]) >> 1),
		// The jitter generator starts from the same draw (no further read: the reader's
		// other users see the same stream as before); it needs no secrecy.
		jitter: binary.BigEndian.Uint64(append(drawn[:], 0x6a, 0x69)) ^ 0x5851f42d4c957f2d}
}

// Registered tells whether the gatekeeper has confirmed our registration.
func (e *Endpoint) Registered() bool { return e.registered }

// EndpointID returns the identifier the gatekeeper assigned ("" = none yet).
func (e *Endpoint) EndpointID() string { return e.endpointID }

// GatekeeperID returns the gatekeeper's identifier, once known.
func (e *Endpoint) GatekeeperID() string { return e.gatekeeperID }

// Gatekeeper is the address the endpoint accepts RAS from: the configured
// one, or the rasAddress a GCF from it named.
func (e *Endpoint) Gatekeeper() netip.AddrPort { return e.gatekeeper }

// Register starts discovery (when configured) and registration. It does
// nothing while a discovery or registration is outstanding. A cleanup URQ
// still being retransmitted is dropped first, so that it cannot unregister
// the new registration.
func (e *Endpoint) Register(now time.Time) []Effect {
	if e.find(kindGRQ) != nil || e.find(kindRRQ) != nil {
		return nil
	}
	var out []Effect
	if r := e.find(kindURQ); r != nil && r.cleanup {
		out = append(out, e.drop(r))
	}
	if e.cfg.Discover && !e.discovered {
		return append(out, e.start(now, kindGRQ, CallInfo{})...)
	}
	return append(out, e.start(now, kindRRQ, CallInfo{})...)
}

// Unregister sends a URQ. Without a registration it abandons a discovery or
// registration in progress; abandoning an RRQ that was sent, it sends a
// cleanup URQ, since the gatekeeper may have registered the endpoint.
func (e *Endpoint) Unregister(now time.Time) []Effect {
	var out []Effect
	mayHold := false
	for _, kind := range []requestKind{kindGRQ, kindRRQ, kindKeepAlive} {
		if r := e.find(kind); r != nil {
			out = append(out, e.drop(r))
			mayHold = mayHold || kind == kindRRQ
		}
	}
	if !e.registered {
		if mayHold {
			out = append(out, e.cleanupURQ(now)...)
		}
		return out
	}
	out = append(out, node.CancelTimer{ID: timerKeepAlive.Node()})
	return append(out, e.start(now, kindURQ, CallInfo{})...)
}

// cleanupURQ sends the URQ of an endpoint that gives up a registration the
// gatekeeper may hold (an unanswered RRQ, a refused RCF, a keep-alive that
// timed out), so that a later registration does not meet a stale one (a real
// gatekeeper then answers RRJ duplicateAlias). Its outcome is not reported.
func (e *Endpoint) cleanupURQ(now time.Time) []Effect {
	if e.find(kindURQ) != nil {
		return nil
	}
	r := &request{kind: kindURQ, seq: e.takeSeq(), timer: e.nextTimer, retries: RequestRetries, cleanup: true}
	e.nextTimer++
	e.requests = append(e.requests, r)
	return e.transmit(now, r)
}

// Registering reports whether a registration is under way (a GRQ or RRQ
// waits for its answer) while the endpoint is not registered.
func (e *Endpoint) Registering() bool {
	return !e.registered && (e.find(kindGRQ) != nil || e.find(kindRRQ) != nil)
}

// AnswerPreGranted reports whether the gatekeeper pre-granted admission to
// answer calls (preGrantedARQ answerCall in the RCF): without it an H.323
// endpoint asks (ARQ with answerCall) before it answers (H.323 8.1).
func (e *Endpoint) AnswerPreGranted() bool { return e.answerGranted }

// Admit sends an ARQ for a call leg.
func (e *Endpoint) Admit(now time.Time, call CallInfo) []Effect {
	if !e.registered {
		return []Effect{AdmissionRejected{Call: call, Reason: "notRegistered"}}
	}
	return e.start(now, kindARQ, call)
}

// Disengage sends a DRQ after a call leg ended.
func (e *Endpoint) Disengage(now time.Time, call CallInfo) []Effect {
	if !e.registered {
		return []Effect{Disengaged{Call: call, Reason: "notRegistered"}}
	}
	return e.start(now, kindDRQ, call)
}

func (e *Endpoint) info() Info {
	return Info{Alias: e.cfg.Alias, Number: e.cfg.Number, DeviceAlias: e.cfg.DeviceAlias, RASAddress: e.cfg.RASAddress,
		CallSignalAddress: e.cfg.CallSignalAddress, EndpointID: e.endpointID, GatekeeperID: e.gatekeeperID}
}

func (e *Endpoint) takeSeq() uint16 {
	seq := e.nextSeq
	e.nextSeq++
	if e.nextSeq == 0 {
		e.nextSeq = 1 // RequestSeqNum is 1..65535
	}
	return seq
}

func (e *Endpoint) start(now time.Time, kind requestKind, call CallInfo) []Effect {
	r := &request{kind: kind, seq: e.takeSeq(), timer: e.nextTimer, call: call, retries: RequestRetries}
	if kind == kindGRQ {
		r.retries = DiscoveryRetries
	}
	e.nextTimer++
	e.requests = append(e.requests, r)
	return e.transmit(now, r)
}

// jittered returns d moved by up to RetransmitJitter either way, drawn from the endpoint's
// own generator (seeded from Random: deterministic in a simulation, unpredictable on a real
// network).
func (e *Endpoint) jittered(d time.Duration) time.Duration {
	if e.cfg.ExactRetransmissions || e.cfg.Random == nil {
		return d
	}
	e.jitter += 0x9e3779b97f4a7c15
	z := e.jitter
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	z ^= z >> 31
	span := int64(d) * RetransmitJitter / 1000 // each way
	return d + time.Duration(int64(z%uint64(2*span+1))-span)
}

func (r *request) timeout() time.Duration {
	if r.kind == kindGRQ {
		return DiscoveryTimeout
	}
	return RequestTimeout
}

// transmit encodes r afresh (a retransmission carries a new timestamp and
// random in its token, so that it is not taken for a replay) and arms its timer.
func (e *Endpoint) transmit(now time.Time, r *request) []Effect {
	ep := e.info()
	var m *h225.RasMessage
	switch r.kind {
	case kindGRQ:
		m = NewGRQ(r.seq, ep, e.cfg.Password != "")
		if e.cfg.Password != "" && e.cfg.Authentication == AuthMD5 {
			// An endpoint set to cryptoEPPwdHash offers only MD5, so the
			// gatekeeper's GCF cannot select H.235.1 for it.
			m.GatekeeperRequest.AlgorithmOIDs = []asn1per.ObjectIdentifier{OIDMD5()}
		}
	case kindRRQ:
		m = NewRRQ(r.seq, ep, e.discovered, e.cfg.TimeToLive, e.cfg.MaintainConnection)
	case kindKeepAlive:
		m = NewKeepAliveRRQ(r.seq, ep, e.granted)
	case kindURQ:
		m = NewURQ(r.seq, ep)
	case kindARQ:
		m = NewARQ(r.seq, ep, r.call)
	case kindDRQ:
		m = NewDRQ(r.seq, ep, r.call)
	}
	payload, err := e.encode(now, m, r.kind)
	if err != nil {
		out := []Effect{node.Record{Name: "ras.encode_error", Attrs: []timeline.Attr{timeline.A("message", EventName(m)), timeline.A("error", err.Error())}}}
		e.remove(r)
		return append(out, e.fail(r, "encodeError")...)
	}
	attrs := Attrs(m)
	if r.sent > 0 {
		attrs = append(attrs, timeline.A("retry", r.sent))
	}
	if r.cleanup {
		attrs = append(attrs, timeline.A("cleanup", true))
	}
	if e.signs(r.kind) {
		// Which H.235 token the request carries (B31): hmac-sha1-96 or md5.
		attrs = append(attrs, timeline.A("token", e.method.String()))
	}
	return []Effect{
		Send{To: e.gatekeeper, Payload: payload, Event: EventName(m), Attrs: attrs},
		node.SetTimer{ID: r.timer.Node(), After: e.jittered(r.timeout())},
	}
}

// signs tells whether a request of this kind carries a token: every request
// but the GRQ when a password is configured.
func (e *Endpoint) signs(kind requestKind) bool { return e.cfg.Password != "" && kind != kindGRQ }

// encode signs every request but the GRQ when a password is configured.
func (e *Endpoint) encode(now time.Time, m *h225.RasMessage, kind requestKind) ([]byte, error) {
	if !e.signs(kind) {
		return m.Marshal()
	}
	return encodeSigned(m, now.Add(e.cfg.ClockSkew), e.credentials(kind))
}

func (e *Endpoint) credentials(kind requestKind) credentials {
	e.random++
	c := credentials{method: e.method, password: e.cfg.Password, sendersID: e.cfg.Alias, generalID: e.gatekeeperID, random: e.random}
	if e.method == AuthHMACSHA1 && e.endpointID != "" && kind != kindRRQ {
		c.sendersID = e.endpointID
	}
	return c
}

func (e *Endpoint) find(kind requestKind) *request {
	for _, r := range e.requests {
		if r.kind == kind {
			return r
		}
	}
	return nil
}

func (e *Endpoint) remove(r *request) {
	for i, x := range e.requests {
		if x == r {
			e.requests = append(e.requests[:i], e.requests[i+1:]...)
			return
		}
	}
}

func (e *Endpoint) drop(r *request) Effect {
	e.remove(r)
	return node.CancelTimer{ID: r.timer.Node()}
}

// fail reports the end of a request without an answer it could use.
func (e *Endpoint) fail(r *request, reason string) []Effect {
	if r.cleanup {
		return nil
	}
	switch r.kind {
	case kindGRQ, kindRRQ:
		return []Effect{RegistrationFailed{Reason: reason}}
	case kindKeepAlive, kindURQ:
		e.registered = false
		return []Effect{node.CancelTimer{ID: timerKeepAlive.Node()}, Unregistered{Reason: reason}}
	case kindARQ:
		return []Effect{AdmissionRejected{Call: r.call, Reason: reason}}
	case kindDRQ:
		return []Effect{Disengaged{Call: r.call, Reason: reason}}
	}
	return nil
}

// HandleTimer handles a timer the driver fires: the keep-alive, or a request
// timeout (retransmission, or the end of the request after the last one).
func (e *Endpoint) HandleTimer(now time.Time, id TimerID) []Effect {
	if id == timerKeepAlive {
		if !e.registered || e.find(kindKeepAlive) != nil {
			return nil
		}
		return e.start(now, kindKeepAlive, CallInfo{})
	}
	for _, r := range e.requests {
		if r.timer != id {
			continue
		}
		if r.retries > 0 {
			r.retries--
			r.sent++
			return e.transmit(now, r)
		}
		e.remove(r)
		return e.giveUp(now, r)
	}
	return nil
}

// giveUp ends a request that timed out. An RRQ or a keep-alive that went
// unanswered may still have registered the endpoint (the gatekeeper got it,
// its answer was lost or refused): a cleanup URQ goes out before the outcome
// is reported, so that a driver that stops on the outcome has sent it.
func (e *Endpoint) giveUp(now time.Time, r *request) []Effect {
	out := e.fail(r, "timeout")
	if !r.cleanup && (r.kind == kindRRQ || r.kind == kindKeepAlive) {
		out = append(e.cleanupURQ(now), out...)
	}
	return out
}

func record(event string, attrs ...timeline.Attr) node.Record {
	return node.Record{Name: event, Attrs: attrs}
}

// HandleDatagram handles one datagram. Only the gatekeeper may speak to an
// endpoint: a datagram from any other address is refused with a ras.refused
// record before it is decoded. The gatekeeper's address is the configured one
// until a GCF from it names its rasAddress, then that one. Malformed input is
// reported with a ras.malformed record and otherwise ignored; so is an answer
// whose sequence number matches no outstanding request of its kind. These
// records are rate-limited (RecordBurst, RecordInterval): a flood of junk
// costs a bounded number of them.
func (e *Endpoint) HandleDatagram(now time.Time, from netip.AddrPort, payload []byte) []Effect {
	if !sameAddr(from, e.gatekeeper) {
		return e.limits.refusal(now, record("ras.refused", timeline.A("from", from), timeline.A("why", "not from the gatekeeper")))
	}
	m, err := Decode(payload)
	if err != nil {
		return e.limits.refusal(now, record("ras.malformed", timeline.A("from", from), timeline.A("error", err.Error())))
	}
	seq := SeqNum(m)
	switch m.Choice {
	case h225.RasMessageRequestInProgress:
		for _, r := range e.requests {
			if r.seq == seq {
				delay := time.Duration(m.RequestInProgress.Delay) * time.Millisecond
				return []Effect{node.CancelTimer{ID: r.timer.Node()}, node.SetTimer{ID: r.timer.Node(), After: delay}}
			}
		}
		return e.limits.refusal(now, ignored(m, "no outstanding request"))
	case h225.RasMessageInfoRequest:
		return e.answerIRQ(now, m)
	case h225.RasMessageUnregistrationRequest:
		return e.answerURQ(now, m)
	case h225.RasMessageUnknownMessageResponse:
		for _, r := range e.requests {
			if r.seq == seq {
				e.remove(r)
				return append([]Effect{node.CancelTimer{ID: r.timer.Node()}}, e.fail(r, "unknownMessage")...)
			}
		}
		return e.limits.refusal(now, ignored(m, "no outstanding request"))
	}
	var r *request
	for _, x := range e.requests {
		if a := answers[x.kind]; x.seq == seq && (a[0] == m.Choice || a[1] == m.Choice) {
			r = x
			break
		}
	}
	if r == nil {
		return e.limits.refusal(now, ignored(m, "no outstanding request"))
	}
	if err := e.checkAnswer(now, m, r); err != nil {
		return e.securityError(now, m, err)
	}
	e.remove(r)
	out := []Effect{node.CancelTimer{ID: r.timer.Node()}}
	if r.cleanup {
		return out // the cleanup URQ is answered: nothing else to do
	}
	reason, rejected := RejectReason(m)
	switch m.Choice {
	case h225.RasMessageGatekeeperConfirm:
		return append(out, e.onGCF(now, m.GatekeeperConfirm)...)
	case h225.RasMessageGatekeeperReject:
		return append(out, RegistrationFailed{Reason: "discoveryRejected"})
	case h225.RasMessageRegistrationConfirm:
		return append(out, e.onRCF(m.RegistrationConfirm, r.kind)...)
	case h225.RasMessageRegistrationReject:
		return append(out, e.onRRJ(now, m.RegistrationReject, r.kind, reason)...)
	case h225.RasMessageUnregistrationConfirm:
		e.registered = false
		return append(out, Unregistered{Reason: "urq"})
	case h225.RasMessageUnregistrationReject:
		// Whatever the gatekeeper says, the endpoint is going away.
		e.registered = false
		if m.UnregistrationReject.RejectReason.Choice == h225.UnregRejectReasonNotCurrentlyRegistered {
			reason = "urq"
		}
		return append(out, Unregistered{Reason: reason})
	case h225.RasMessageAdmissionConfirm:
		dest, _ := AddrPort(&m.AdmissionConfirm.DestCallSignalAddress)
		return append(out, Admitted{Call: r.call, DestCallSignal: dest})
	case h225.RasMessageDisengageConfirm:
		return append(out, Disengaged{Call: r.call})
	}
	if rejected {
		return append(out, e.fail(r, reason)...)
	}
	return out
}

// sameAddr compares addresses as the network delivers them: an IPv4 address
// may arrive in its IPv6-mapped form.
func sameAddr(a, b netip.AddrPort) bool {
	return a.Port() == b.Port() && a.Addr().Unmap() == b.Addr().Unmap()
}

func (e *Endpoint) securityError(now time.Time, m *h225.RasMessage, err error) []Effect {
	return e.limits.refusal(now, record("ras.security_error", timeline.A("message", EventName(m)), timeline.A("seq", SeqNum(m)), timeline.A("error", err.Error())))
}

func ignored(m *h225.RasMessage, why string) node.Record {
	return record("ras.ignored", timeline.A("message", EventName(m)), timeline.A("seq", SeqNum(m)), timeline.A("why", why))
}

// checkAnswer verifies the gatekeeper's token when we sign: confirms must be
// signed; a reject may come unsigned (a gatekeeper that refuses our password
// cannot sign with it) but must verify when it is signed. GCF and GRJ answer
// an unsigned GRQ and are not checked.
func (e *Endpoint) checkAnswer(now time.Time, m *h225.RasMessage, r *request) error {
	if e.cfg.Password == "" || r.kind == kindGRQ {
		return nil
	}
	if _, rejected := RejectReason(m); rejected {
		if _, signed := findToken(m); !signed {
			return nil
		}
	}
	return e.checkToken(now, m)
}

// checkToken verifies the token of a message from the gatekeeper: the hash
// and the time, the identities (the sender is the gatekeeper; the recipient is
// our alias, our endpointIdentifier, or in an RCF the one it assigns, as GNU
// Gatekeeper signs), and that it was not accepted before.
func (e *Endpoint) checkToken(now time.Time, m *h225.RasMessage) error {
	info, err := verifyToken(m, now, e.cfg.Password)
	if err != nil {
		return err
	}
	gk := e.gatekeeperID
	if gk == "" && m.Choice == h225.RasMessageRegistrationConfirm && m.RegistrationConfirm.GatekeeperIdentifier != nil {
		gk = string(*m.RegistrationConfirm.GatekeeperIdentifier)
	}
	if gk != "" && info.sendersID != gk {
		return ErrTokenIdentity
	}
	if info.method == AuthHMACSHA1 && !e.isRecipient(info.generalID, m) {
		return ErrTokenIdentity
	}
	if e.replays == nil {
		e.replays = newReplayCache(0)
	}
	return e.replays.accept(now, replayKeyOf(info.sendersID, info, m))
}

// isRecipient tells whether an H.235.1 generalID names this endpoint.
func (e *Endpoint) isRecipient(id string, m *h225.RasMessage) bool {
	switch {
	case id == "":
		return false
	case id == e.cfg.Alias, id == e.endpointID:
		return true
	}
	return m.Choice == h225.RasMessageRegistrationConfirm && id == string(m.RegistrationConfirm.EndpointIdentifier)
}

func (e *Endpoint) onGCF(now time.Time, gcf *h225.GatekeeperConfirm) []Effect {
	e.discovered = true
	if gcf.GatekeeperIdentifier != nil {
		e.gatekeeperID = string(*gcf.GatekeeperIdentifier)
	}
	if addr, ok := AddrPort(&gcf.RasAddress); ok && addr.Addr().IsValid() && !addr.Addr().IsUnspecified() {
		e.gatekeeper = addr
	}
	switch {
	case gcf.AlgorithmOID.Equal(OIDHMACSHA196()):
		e.method = AuthHMACSHA1
	case gcf.AlgorithmOID.Equal(OIDMD5()):
		e.method = AuthMD5
	}
	return e.start(now, kindRRQ, CallInfo{})
}

func (e *Endpoint) onRCF(rcf *h225.RegistrationConfirm, kind requestKind) []Effect {
	e.registered = true
	e.endpointID = string(rcf.EndpointIdentifier)
	if rcf.GatekeeperIdentifier != nil {
		e.gatekeeperID = string(*rcf.GatekeeperIdentifier)
	}
	e.answerGranted = rcf.PreGrantedARQ != nil && rcf.PreGrantedARQ.AnswerCall
	e.granted = 0
	if rcf.TimeToLive != nil {
		e.granted = time.Duration(*rcf.TimeToLive) * time.Second
	}
	var out []Effect
	if kind == kindRRQ {
		var signal netip.AddrPort
		if len(rcf.CallSignalAddress) > 0 {
			signal, _ = AddrPort(&rcf.CallSignalAddress[0])
		}
		out = append(out, Registered{EndpointID: e.endpointID, TimeToLive: e.granted, CallSignal: signal,
			AnswerPreGranted: e.answerGranted})
	}
	if e.cfg.KeepAlive && e.granted > 0 {
		out = append(out, node.SetTimer{ID: timerKeepAlive.Node(), After: e.granted * KeepAliveAt / 1000})
	}
	return out
}

func (e *Endpoint) onRRJ(now time.Time, rrj *h225.RegistrationReject, kind requestKind, reason string) []Effect {
	switch {
	case kind == kindKeepAlive && rrj.RejectReason.Choice == h225.RegistrationRejectReasonFullRegistrationRequired:
		// H.225.0 7.9.1: the gatekeeper lost the registration; register again.
		e.registered = false
		return append([]Effect{node.CancelTimer{ID: timerKeepAlive.Node()}}, e.start(now, kindRRQ, CallInfo{})...)
	case kind == kindRRQ && rrj.RejectReason.Choice == h225.RegistrationRejectReasonDiscoveryRequired && !e.triedDiscovery:
		e.triedDiscovery, e.discovered = true, false
		return e.start(now, kindGRQ, CallInfo{})
	case kind == kindKeepAlive:
		e.registered = false
		return []Effect{node.CancelTimer{ID: timerKeepAlive.Node()}, Unregistered{Reason: reason}}
	}
	return []Effect{RegistrationFailed{Reason: reason}}
}

// answerIRQ answers a gatekeeper's InfoRequest with an IRR describing us. The
// IRR goes to the gatekeeper, never to a replyAddress elsewhere: an IRQ must
// not make the endpoint send datagrams (bigger than the IRQ) to a third party.
// With a password the IRQ must carry a valid token.
func (e *Endpoint) answerIRQ(now time.Time, m *h225.RasMessage) []Effect {
	if !e.registered {
		return e.limits.refusal(now, ignored(m, "not registered"))
	}
	if e.cfg.Password != "" {
		if err := e.checkToken(now, m); err != nil {
			return e.securityError(now, m, err)
		}
	}
	irr := NewIRR(SeqNum(m), e.info())
	payload, err := e.encode(now, irr, kindKeepAlive)
	if err != nil {
		return []Effect{record("ras.encode_error", timeline.A("message", "ras.irr"), timeline.A("error", err.Error()))}
	}
	return []Effect{Send{To: e.gatekeeper, Payload: payload, Event: "ras.irr", Attrs: Attrs(irr)}}
}

// answerURQ confirms a gatekeeper's UnregistrationRequest; with a password the
// URQ must carry a valid token.
func (e *Endpoint) answerURQ(now time.Time, m *h225.RasMessage) []Effect {
	if e.cfg.Password != "" {
		if err := e.checkToken(now, m); err != nil {
			return e.securityError(now, m, err)
		}
	}
	ucf := NewUCF(SeqNum(m))
	payload, err := e.encode(now, ucf, kindURQ)
	if err != nil {
		return []Effect{record("ras.encode_error", timeline.A("message", "ras.ucf"), timeline.A("error", err.Error()))}
	}
	out := []Effect{Send{To: e.gatekeeper, Payload: payload, Event: "ras.ucf", Attrs: Attrs(ucf)}}
	if e.registered {
		e.registered = false
		out = append(out, node.CancelTimer{ID: timerKeepAlive.Node()}, Unregistered{Reason: "gatekeeper"})
	}
	return out
}
