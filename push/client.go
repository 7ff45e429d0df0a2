package push

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"time"

	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/push/pki"
	"github.com/callwake/callwake/timeline"
)

// Role is the certificate role a PBX presents (pki.Role).
type Role = pki.Role

// Disconnect reasons of the Push object (pbx.push_disconnected {reason}).
const (
	ReasonCertificate        = "certificate"         // the service refused the PBX certificate (B02)
	ReasonUntrusted          = "untrusted"           // the service CA is not in the PBX trust list (B03)
	ReasonDNS                = "dns"                 // the service host does not resolve (B04)
	ReasonUnreachable        = "unreachable"         // no TCP/TLS connection to the service (B04)
	ReasonHTTPProxy          = "http_proxy"          // only reachable through an HTTP proxy, unsupported (B04)
	ReasonReplaced           = "replaced"            // a newer connection with the same serial or system name took over (B05, B06)
	ReasonLoginFailed        = "login_failed"        // AppLoginResult with an error (wrong password, B06 newcomer)
	ReasonTimeout            = "timeout"             // the login did not complete within LoginTimeout
	ReasonServiceUnavailable = "service_unavailable" // the service is switched off (push_service.available false)
	ReasonConnectionLost     = "connection_lost"     // the connection dropped (network)
	ReasonProtocol           = "protocol"            // the service sent something we cannot parse or did not expect
	ReasonNotConnected       = "not_connected"       // PostFailed: the Push object is down
)

// AuthMode is how the Push object authenticates to the service.
type AuthMode int

const (
	// AuthCertificate (13r1 and later): the PBX's device certificate is the
	// credential; the AppLogin digest is made with an empty password.
	AuthCertificate AuthMode = iota
	// AuthPassword (12r2): the e-mail-verified registration password.
	AuthPassword
)

// ClientConfig configures a Push object.
type ClientConfig struct {
	PBX               string // actor name for events ("pbx" by default)
	Name              string // the Push object's name (AppLogin dn), e.g. "Push"
	SIP               string // its SIP name (AppLogin sip), default "push"
	GUID              string // its object GUID (hex), optional
	URL               string // wss://host/push/ws
	SystemName        string // the PBX system name: AppLogin domain, the account
	Auth              AuthMode
	Password          string // AuthPassword only
	Certificate       Role   // device | unverified_device | own | none
	CertificateSerial string
	DNSFails          bool // dns: fail
	HTTPProxy         bool // the PBX reaches the internet only through a proxy
	LoginTimeout      time.Duration
	Backoff           Backoff
}

// Backoff is the reconnect schedule: Initial, doubling per failed attempt,
// capped at Max; Jitter (0..1) shortens each delay by up to that fraction,
// drawn from the injected random source.
type Backoff struct {
	Initial, Max time.Duration
	Jitter       float64
}

// Delay returns the wait before attempt n+1 after n consecutive failures
// (n ≥ 1), before jitter.
func (b Backoff) Delay(failures int) time.Duration {
	d := b.Initial
	for i := 1; i < failures && d < b.Max; i++ {
		d *= 2
	}
	if d > b.Max {
		d = b.Max
	}
	return d
}

// State is the Push object's connection state.
type State int

// Client states.
const (
	StateIdle      State = iota // not started
	StateDialing                // Dial sent, waiting for Opened / Failed
	StateChallenge              // AppChallenge sent
	StateLogin                  // AppLogin sent
	StateConnected              // logged in: the green checkmark
	StateWaiting                // backoff before the next attempt
)

var stateNames = [...]string{"idle", "dialing", "challenge", "login", "connected", "waiting"}

func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// Client is the PBX's Push object connection state machine. It is a plain
// value driven by its methods; every method returns the effects to carry out
// in order. Not safe for concurrent use.
type Client struct {
	cfg      ClientConfig
	host     string
	path     string
	rnd      io.Reader
	state    State
	failures int
	pending  []string // Src of posts awaiting a result, in send order
	info     []byte
}

// NewClient checks cfg and makes an idle Push object. rnd supplies jitter
// and nonces (the world's seeded random).
func NewClient(cfg ClientConfig, rnd io.Reader) (*Client, error) {
	if rnd == nil {
		return nil, errors.New("push: client needs a random source")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("push: bad URL %q: %w", cfg.URL, err)
	}
	if u.Scheme != "wss" && u.Scheme != "https" {
		return nil, fmt.Errorf("push: URL %q: scheme must be wss (or https)", cfg.URL)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("push: URL %q has no host", cfg.URL)
	}
	if _, err := pki.ParseRole(string(cfg.Certificate)); err != nil {
		return nil, err
	}
	if cfg.Auth != AuthCertificate && cfg.Auth != AuthPassword {
		return nil, fmt.Errorf("push: unknown auth mode %d", cfg.Auth)
	}
	if cfg.PBX == "" {
		cfg.PBX = defaultPBXActorName
	}
	if cfg.Name == "" {
		cfg.Name = "Push"
	}
	if cfg.SIP == "" {
		cfg.SIP = "push"
	}
	if cfg.LoginTimeout <= 0 {
		cfg.LoginTimeout = defaultLoginTimeout
	}
	if cfg.Backoff.Initial <= 0 {
		cfg.Backoff.Initial = defaultInitialBackof
	}
	if cfg.Backoff.Max < cfg.Backoff.Initial {
		cfg.Backoff.Max = max(defaultMaxBackoff, cfg.Backoff.Initial)
	}
	if cfg.Backoff.Jitter < 0 || cfg.Backoff.Jitter > 1 {
		return nil, fmt.Errorf("push: backoff jitter %v outside 0..1", cfg.Backoff.Jitter)
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	info, _ := json.Marshal(struct {
		AppObj string `json:"appobj"`
		AppURL string `json:"appurl"`
		CN     string `json:"cn"`
	}{cfg.SIP, cfg.URL, cfg.Name})
	return &Client{cfg: cfg, host: u.Host, path: path, rnd: rnd, info: info}, nil
}

// State returns the connection state.
func (c *Client) State() State { return c.state }

// Connected reports whether the Push object is logged in.
func (c *Client) Connected() bool { return c.state == StateConnected }

// Config returns the configuration with defaults filled in.
func (c *Client) Config() ClientConfig { return c.cfg }

// Start begins the first connection attempt (from Idle only).
func (c *Client) Start() []Effect {
	if c.state != StateIdle {
		return nil
	}
	return c.attempt()
}

// attempt checks what the PBX knows locally (proxy, DNS) and dials.
func (c *Client) attempt() []Effect {
	// The WebSocket client has no HTTP CONNECT: behind a proxy it never gets
	// out. DNS is resolved before any packet leaves.
	if c.cfg.HTTPProxy {
		return c.fail(ReasonHTTPProxy, false)
	}
	if c.cfg.DNSFails {
		return c.fail(ReasonDNS, false)
	}
	c.state = StateDialing
	return []Effect{Dial{Host: c.host, Path: c.path, Certificate: c.cfg.Certificate, Serial: c.cfg.CertificateSerial, Legacy: c.cfg.Auth == AuthPassword}}
}

// Opened is the driver's report that the connection is up: TLS (the
// service's certificate checked against the trust list, B03) and the
// WebSocket upgrade done. The login starts.
func (c *Client) Opened() []Effect {
	if c.state != StateDialing {
		return nil
	}
	c.state = StateChallenge
	return []Effect{
		c.send(&AppChallenge{}),
		node.SetTimer{ID: TimerLogin.Node(), After: c.cfg.LoginTimeout},
	}
}

// Failed is the driver's report that the attempt or the connection failed
// with reason (one of the Reason* constants, e.g. from a service CloseConn).
func (c *Client) Failed(reason string) []Effect {
	if c.state == StateIdle || c.state == StateWaiting {
		return nil
	}
	return c.fail(reason, false)
}

// TimerFired handles a timer the Client set.
func (c *Client) TimerFired(t Timer) []Effect {
	switch t {
	case TimerReconnect:
		if c.state == StateWaiting {
			return c.attempt()
		}
	case TimerLogin:
		if c.state == StateChallenge || c.state == StateLogin {
			return c.fail(ReasonTimeout, true)
		}
	}
	return nil
}

// Receive handles one WebSocket text message from the service.
func (c *Client) Receive(data []byte) []Effect {
	if c.state != StateChallenge && c.state != StateLogin && c.state != StateConnected {
		// A message still in flight when the connection ended belongs to
		// no connection any more.
		return nil
	}
	m, err := Decode(data)
	if err != nil {
		return c.fail(ReasonProtocol, true)
	}
	switch v := m.(type) {
	case *AppChallengeResult:
		if c.state != StateChallenge {
			return c.fail(ReasonProtocol, true)
		}
		c.state = StateLogin
		password := ""
		if c.cfg.Auth == AuthPassword {
			password = c.cfg.Password
		}
		login := &AppLogin{App: "ws", Domain: c.cfg.SystemName, SIP: c.cfg.SIP, GUID: c.cfg.GUID, DN: c.cfg.Name, Info: c.info}
		login.Digest = digestOf(login, v.Challenge, password)
		return []Effect{c.send(login)}
	case *AppLoginResult:
		if c.state != StateLogin {
			return c.fail(ReasonProtocol, true)
		}
		if !v.OK {
			return c.fail(ReasonLoginFailed, true)
		}
		c.state = StateConnected
		c.failures = 0
		return []Effect{
			node.CancelTimer{ID: TimerLogin.Node()},
			event(EventPushConnected, timeline.A("pbx", c.cfg.PBX), timeline.A("push", c.cfg.Name)),
		}
	case *PushNotifyPostResult:
		if c.state != StateConnected {
			return nil
		}
		for i, src := range c.pending {
			if src == v.Src {
				c.pending = append(c.pending[:i], c.pending[i+1:]...)
				return []Effect{PostDone{Src: v.Src, Err: v.Err}}
			}
		}
		return nil // a result for nothing we sent: ignored, as a real PBX would
	}
	return c.fail(ReasonProtocol, true)
}

// Post is one push request. User and Device are for the push.request event
// only; Key nil sends the type only (B08).
type Post struct {
	Src      string // the request id echoed in the result
	Token    string
	Platform string // PlatformAPNs or PlatformFCM
	Type     string // TypeCall or TypeNotification
	Details  Details
	Key      *Key
	User     string
	Device   string
	Call     string // the call's identifier (PushNotifyPost.Call); "" for a notification
}

// Post sends a push when logged in; otherwise it fails at once with
// PostFailed{reason: not_connected} (a call arriving while the Push object is
// down).
func (c *Client) Post(p Post) []Effect {
	if c.state != StateConnected {
		return []Effect{PostFailed{Src: p.Src, Reason: ReasonNotConnected}}
	}
	msg := &PushNotifyPost{Src: p.Src, Token: p.Token, Platform: p.Platform, Type: p.Type, Call: p.Call}
	if p.Key != nil {
		sealed, err := Seal(*p.Key, p.Type, p.Details, c.rnd)
		if err != nil {
			return []Effect{PostFailed{Src: p.Src, Reason: "encrypt: " + err.Error()}}
		}
		msg.Enc = sealed
	}
	c.pending = append(c.pending, p.Src)
	send := c.send(msg)
	// The driver names the two ends of the message (from, to).
	ev := event(EventRequest, timeline.A("user", p.User), timeline.A("device", p.Device), timeline.A("type", p.Type))
	ev.Protocol, ev.Payload = ProtocolPush, send.Data
	send.Event = &ev
	return []Effect{send}
}

func (c *Client) send(m Message) Send { return Send{Data: mustEncode(m)} }

// fail ends the current attempt or connection: pending posts fail, the
// disconnect is reported and the reconnect timer is armed.
func (c *Client) fail(reason string, closeConn bool) []Effect {
	var out []Effect
	if closeConn {
		out = append(out, Close{Reason: reason})
	}
	if c.state == StateChallenge || c.state == StateLogin {
		out = append(out, node.CancelTimer{ID: TimerLogin.Node()})
	}
	for _, src := range c.pending {
		out = append(out, PostFailed{Src: src, Reason: reason})
	}
	c.pending = c.pending[:0]
	c.failures++
	delay := c.jitter(c.cfg.Backoff.Delay(c.failures))
	c.state = StateWaiting
	out = append(out,
		event(EventPushDisconnect, timeline.A("pbx", c.cfg.PBX), timeline.A("push", c.cfg.Name),
			timeline.A("reason", reason), timeline.A("retry_in", delay)),
		node.SetTimer{ID: TimerReconnect.Node(), After: delay})
	return out
}

// jitter shortens d by up to Jitter·d, using 8 bytes of the random source.
func (c *Client) jitter(d time.Duration) time.Duration {
	if c.cfg.Backoff.Jitter == 0 {
		return d
	}
	var b [8]byte
	if _, err := io.ReadFull(c.rnd, b[:]); err != nil {
		return d // an exhausted source means no jitter, not a failure
	}
	u := float64(binary.BigEndian.Uint64(b[:])>>11) / (1 << 53)
	return d - time.Duration(float64(d)*c.cfg.Backoff.Jitter*u)
}
