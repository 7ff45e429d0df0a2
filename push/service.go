package push

import (
	"cmp"
	"encoding/hex"
	"errors"
	"io"
	"slices"

	"github.com/callwake/callwake/push/pki"
	"github.com/callwake/callwake/timeline"
)

// Service reasons (push.rejected {reason}, PushNotifyPostResult err).
const (
	RejectNotLoggedIn      = "not_logged_in"
	RejectUnknownPlatform  = "unknown_platform"
	RejectMalformedMessage = "malformed"
)

// Registration is a 12r2 e-mail-verified registration: one system name
// bound to one password (B06).
type Registration struct {
	SystemName string
	Password   string
}

// ServiceConfig configures the push service.
type ServiceConfig struct {
	Available bool
	// Accepts lists the certificate roles admitted on the mutual-TLS
	// endpoint; nil means [device, unverified_device] (B02).
	Accepts []Role
	// Registrations are the 12r2 password registrations (legacy endpoint).
	Registrations []Registration
	// UniqueSystemName is the 12r2 quirk: a failed login for a registered
	// system name knocks the logged-in connections of that name off (B06).
	UniqueSystemName bool
	APNsBundle       string // the app's bundle id; the topic is bundle + ".voip"
	FCMProject       string
	FCMAccessToken   string // OAuth bearer token presented to FCM
	// APNsProvider signs the APNs provider tokens (providertoken.go); nil = none sent.
	APNsProvider *APNsProvider
}

// Peer is what the driver learned of a connecting PBX at the TLS handshake.
type Peer struct {
	Certificate Role
	Serial      string
	// Legacy: the 12r2 password endpoint, no client certificate required;
	// the login is checked against Registrations instead.
	Legacy bool
}

type connState int

const (
	connOpen connState = iota
	connChallenged
	connLoggedIn
)

type serviceConn struct {
	id         ConnID
	peer       Peer
	state      connState
	challenge  string
	systemName string
}

type vendorPending struct {
	id       uint64
	conn     ConnID
	src      string
	platform string
	body     []byte // what went to the vendor, for the event's wire bytes
}

// Service is the push service relay: it admits PBX connections, runs the
// login, and turns PushNotifyPost messages into vendor requests. A plain
// value; not safe for concurrent use.
type Service struct {
	cfg     ServiceConfig
	rnd     io.Reader
	conns   []serviceConn // in accept order: iteration is deterministic
	pending []vendorPending
	nextReq uint64
	tokens  providerTokens // the APNs provider token
}

// NewService makes a service. rnd supplies challenges and apns-ids.
func NewService(cfg ServiceConfig, rnd io.Reader) (*Service, error) {
	if rnd == nil {
		return nil, errors.New("push: service needs a random source")
	}
	if cfg.Accepts == nil {
		cfg.Accepts = []Role{pki.RoleDevice, pki.RoleUnverifiedDevice}
	}
	for _, r := range cfg.Accepts {
		if _, err := pki.ParseRole(string(r)); err != nil {
			return nil, err
		}
	}
	return &Service{cfg: cfg, rnd: rnd}, nil
}

// Available reports whether the service is up.
func (s *Service) Available() bool { return s.cfg.Available }

// LoggedIn returns the connections that are logged in, in accept order.
func (s *Service) LoggedIn() []ConnID {
	var out []ConnID
	for _, c := range s.conns {
		if c.state == connLoggedIn {
			out = append(out, c.id)
		}
	}
	return out
}

func (s *Service) find(id ConnID) int {
	for i := range s.conns {
		if s.conns[i].id == id {
			return i
		}
	}
	return -1
}

func rejected(reason string, attrs ...timeline.Attr) Event {
	return event(EventRejected, append([]timeline.Attr{timeline.A("reason", reason)}, attrs...)...)
}

// Accept decides on a new connection presenting peer: Accepted, or
// CloseConn with the reason (service_unavailable, certificate). A
// connection with the serial of an existing one replaces it (B05).
func (s *Service) Accept(id ConnID, peer Peer) []Effect {
	if !s.cfg.Available {
		return []Effect{rejected(ReasonServiceUnavailable), CloseConn{Conn: id, Reason: ReasonServiceUnavailable}}
	}
	if s.find(id) >= 0 {
		return []Effect{CloseConn{Conn: id, Reason: ReasonProtocol}}
	}
	var out []Effect
	if !peer.Legacy {
		if !slices.Contains(s.cfg.Accepts, peer.Certificate) {
			attrs := []timeline.Attr{timeline.A("certificate", peer.Certificate)}
			if peer.Serial != "" { // no certificate, no serial
				attrs = append(attrs, timeline.A("serial", peer.Serial))
			}
			return []Effect{
				rejected(ReasonCertificate, attrs...),
				CloseConn{Conn: id, Reason: ReasonCertificate},
			}
		}
		// One connection per certificate serial: a cloned appliance
		// presenting the same certificate knocks the other off.
		for i := 0; i < len(s.conns); i++ {
			if c := s.conns[i]; !c.peer.Legacy && c.peer.Serial == peer.Serial {
				out = append(out, rejected(ReasonReplaced, timeline.A("serial", peer.Serial)), CloseConn{Conn: c.id, Reason: ReasonReplaced})
				out = append(out, s.drop(i)...)
				i--
			}
		}
	}
	s.conns = append(s.conns, serviceConn{id: id, peer: peer})
	return append(out, Accepted{Conn: id})
}

// drop forgets connection i and any vendor requests it is waiting for.
func (s *Service) drop(i int) []Effect {
	id := s.conns[i].id
	s.conns = append(s.conns[:i], s.conns[i+1:]...)
	s.pending = slices.DeleteFunc(s.pending, func(p vendorPending) bool { return p.conn == id })
	return nil
}

// Closed is the driver's report that connection id went away.
func (s *Service) Closed(id ConnID) []Effect {
	if i := s.find(id); i >= 0 {
		return s.drop(i)
	}
	return nil
}

// SetRegistration sets the password of a 12r2 system name's registration,
// creating it if the name has none, as the service's operators do for a
// customer whose systems share a system name (B06, the document's option
// 1). Connections already logged in keep their login.
func (s *Service) SetRegistration(r Registration) {
	s.cfg.Registrations = slices.Clone(s.cfg.Registrations) // the caller's configuration stays as it was
	for k := range s.cfg.Registrations {
		if s.cfg.Registrations[k].SystemName == r.SystemName {
			s.cfg.Registrations[k].Password = r.Password
			return
		}
	}
	s.cfg.Registrations = append(s.cfg.Registrations, r)
}

// SetAvailable switches the service on or off; off closes every
// connection with reason service_unavailable.
func (s *Service) SetAvailable(on bool) []Effect {
	s.cfg.Available = on
	if on {
		return nil
	}
	var out []Effect
	for _, c := range s.conns {
		out = append(out, CloseConn{Conn: c.id, Reason: ReasonServiceUnavailable})
	}
	s.conns, s.pending = nil, nil
	return out
}

// Receive handles one WebSocket text message on connection id.
func (s *Service) Receive(id ConnID, data []byte) []Effect {
	i := s.find(id)
	if i < 0 {
		return nil
	}
	m, err := Decode(data)
	if err != nil {
		out := []Effect{rejected(RejectMalformedMessage, timeline.A("error", err.Error())), CloseConn{Conn: id, Reason: ReasonProtocol}}
		return append(out, s.drop(i)...)
	}
	c := &s.conns[i]
	switch v := m.(type) {
	case *AppChallenge:
		var b [8]byte
		if _, err := io.ReadFull(s.rnd, b[:]); err != nil {
			return []Effect{CloseConn{Conn: id, Reason: ReasonServiceUnavailable}}
		}
		c.challenge = hex.EncodeToString(b[:])
		c.state = connChallenged
		return []Effect{SendTo{Conn: id, Data: mustEncode(&AppChallengeResult{Src: v.Src, Challenge: c.challenge})}}
	case *AppLogin:
		return s.login(i, v)
	case *PushNotifyPost:
		return s.post(c, v)
	}
	out := []Effect{rejected(RejectMalformedMessage, timeline.A("mt", m.MessageType())), CloseConn{Conn: id, Reason: ReasonProtocol}}
	return append(out, s.drop(i)...)
}

func (s *Service) login(i int, l *AppLogin) []Effect {
	c := &s.conns[i]
	id := c.id
	answer := func(errReason string) []Effect {
		return []Effect{
			rejected(ReasonLoginFailed, timeline.A("error", errReason), timeline.A("system", l.Domain)),
			SendTo{Conn: id, Data: mustEncode(&AppLoginResult{Src: l.Src, Error: errReason})},
		}
	}
	if c.state != connChallenged {
		return answer(LoginErrorNoChallenge)
	}
	challenge := c.challenge
	c.challenge, c.state = "", connOpen // a challenge is good for one login
	if !c.peer.Legacy {
		// The certificate authenticated the PBX; the digest is made with an
		// empty password and only proves the fields were not altered.
		if !digestMatches(l, challenge, "") {
			return answer(LoginErrorDigest)
		}
	} else {
		var reg *Registration
		for k := range s.cfg.Registrations {
			if s.cfg.Registrations[k].SystemName == l.Domain {
				reg = &s.cfg.Registrations[k]
				break
			}
		}
		if reg == nil {
			return answer(LoginErrorNotRegistered)
		}
		if !digestMatches(l, challenge, reg.Password) {
			out := answer(LoginErrorDigest)
			if s.cfg.UniqueSystemName {
				// 12r2: the newcomer with the wrong password cannot log in,
				// and its attempt knocks the registered system off (B06).
				for k := 0; k < len(s.conns); k++ {
					o := s.conns[k]
					if o.id != id && o.state == connLoggedIn && o.peer.Legacy && o.systemName == l.Domain {
						out = append(out, rejected(ReasonReplaced, timeline.A("system", l.Domain)), CloseConn{Conn: o.id, Reason: ReasonReplaced})
						s.drop(k)
						k--
					}
				}
			}
			return out
		}
	}
	i = s.find(id)
	s.conns[i].state = connLoggedIn
	s.conns[i].systemName = l.Domain
	return []Effect{SendTo{Conn: id, Data: mustEncode(&AppLoginResult{Src: l.Src, OK: true})}}
}

func (s *Service) post(c *serviceConn, p *PushNotifyPost) []Effect {
	fail := func(reason string) []Effect {
		return []Effect{
			rejected(reason, timeline.A("src", p.Src)),
			SendTo{Conn: c.id, Data: mustEncode(&PushNotifyPostResult{Src: p.Src, Err: reason})},
		}
	}
	if !s.cfg.Available {
		return fail(ReasonServiceUnavailable)
	}
	if c.state != connLoggedIn {
		return fail(RejectNotLoggedIn)
	}
	req, err := s.buildVendorRequest(p)
	if err != nil {
		return fail(RejectUnknownPlatform)
	}
	s.nextReq++
	s.pending = append(s.pending, vendorPending{id: s.nextReq, conn: c.id, src: p.Src, platform: p.Platform, body: req.Body})
	return []Effect{VendorRequest{ID: s.nextReq, Platform: p.Platform, Request: req}}
}

// VendorResponse hands the service the vendor's answer to request id: it
// records push.forwarded {platform, status} and answers the PBX.
func (s *Service) VendorResponse(id uint64, resp HTTPResponse) []Effect {
	// pending is in request order (ids only grow), so the answer is found
	// by bisection even with thousands of requests outstanding.
	k, found := slices.BinarySearchFunc(s.pending, id, func(p vendorPending, id uint64) int { return cmp.Compare(p.id, id) })
	if !found {
		return nil // the PBX connection went away meanwhile
	}
	p := s.pending[k]
	s.pending = slices.Delete(s.pending, k, k+1)
	ev := event(EventForwarded, timeline.A("from", ActorService), timeline.A("to", p.platform),
		timeline.A("platform", p.platform), timeline.A("status", resp.Status))
	ev.Protocol, ev.Payload = p.platform, p.body
	out := []Effect{ev}
	result := &PushNotifyPostResult{Src: p.src, Err: VendorError(p.platform, resp)}
	if s.find(p.conn) >= 0 {
		out = append(out, SendTo{Conn: p.conn, Data: mustEncode(result)})
	}
	return out
}
