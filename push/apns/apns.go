// Package apns emulates Apple's push service for VoIP pushes: the HTTP/2
// provider API (POST /3/device/{token}) and the last hop to the iPhone.
//
// Emulator.Handle validates a request the way APNs does (method, path,
// headers, topic, payload size, device token), answers with APNs' status
// codes and JSON {"reason": …} bodies, and for an accepted push returns the
// effects of the delivery to the phone: push.delivered plus push.Deliver with
// the opaque payload, or push.dropped with the reason the phone does not get
// it (vendor port blocked, notifications denied, PushKit penalty).
//
// Providers authenticate as APNs requires of token-based connections: every
// request carries "authorization: bearer <JWT>", an ES256 provider token
// (package push, providertoken.go) that must verify with Config.ProviderKey,
// name Config.KeyID (kid) and Config.TeamID (iss), and have been issued (iat)
// less than an hour ago (403 ExpiredProviderToken) and not in the future
// beyond ProviderClockSkew (403 InvalidProviderToken, a model choice); a
// provider that replaces its token within 20 minutes of the last one gets 429
// TooManyProviderTokenUpdates; no token is 403 MissingProviderToken. Only
// Config.Unauthenticated, for a provider that authenticates with its TLS
// certificate (checked by the driver), turns the check off.
//
// It is a sans-I/O core: no clock, no sockets; Handle takes the time. The
// response omits the "timestamp" field APNs adds to 410 answers.
package apns

import (
	"crypto/ecdsa"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/timeline"
)

// Error reasons APNs answers (the subset the emulator produces).
const (
	ReasonBadDeviceToken         = "BadDeviceToken"
	ReasonDeviceTokenNotForTopic = "DeviceTokenNotForTopic"
	ReasonUnregistered           = "Unregistered"
	ReasonTooManyRequests        = "TooManyRequests"
	ReasonServiceUnavailable     = "ServiceUnavailable"
	ReasonBadPath                = "BadPath"
	ReasonMethodNotAllowed       = "MethodNotAllowed"
	ReasonMissingTopic           = "MissingTopic"
	ReasonBadTopic               = "BadTopic"
	ReasonInvalidPushType        = "InvalidPushType"
	ReasonBadPriority            = "BadPriority"
	ReasonBadExpirationDate      = "BadExpirationDate"
	ReasonBadMessageID           = "BadMessageId"
	ReasonPayloadEmpty           = "PayloadEmpty"
	ReasonPayloadTooLarge        = "PayloadTooLarge"
	ReasonMissingProviderToken   = "MissingProviderToken"
	ReasonInvalidProviderToken   = "InvalidProviderToken"
	ReasonExpiredProviderToken   = "ExpiredProviderToken"
	ReasonTooManyTokenUpdates    = "TooManyProviderTokenUpdates"
)

// ProviderClockSkew is how far in the future a provider token's iat may be
// (the provider's clock a little ahead) before it is refused.
const ProviderClockSkew = time.Minute

// Drop reasons on the phone side (push.dropped {reason}).
const (
	DropVendorUnreachable   = "vendor_unreachable"   // B20: TCP 5223 blocked on Wi-Fi without cellular
	DropNotificationsDenied = "notifications_denied" // B22
	DropPushKitPenalty      = "pushkit_penalty"      // B22 model choice
)

// Config configures the emulator.
type Config struct {
	// Topic is the VoIP topic the provider may push to: bundle + ".voip".
	Topic     string
	Available bool
	// Throttled makes every request answer 429 TooManyRequests.
	Throttled bool
	// PushKitPenaltyAfter is how many VoIP pushes without a call an app may
	// receive before iOS stops delivering VoIP pushes to it (model choice,
	// B22); 0 means 1.
	PushKitPenaltyAfter int
	// ProviderKey is the public half of the provider's token-signing key;
	// KeyID and TeamID are the kid and iss its tokens must name. Without a
	// key every request is refused (403) unless Unauthenticated is set.
	ProviderKey   *ecdsa.PublicKey
	KeyID, TeamID string
	// Unauthenticated accepts requests without a provider token.
	Unauthenticated bool
}

// Device is one iPhone with the app installed.
type Device struct {
	Name  string
	Token string // 64 hex digits
	// Topic the token belongs to; "" means the emulator's topic.
	Topic string
	// Unregistered: the app was removed; pushes answer 410.
	Unregistered bool
	// VendorUnreachable: the phone cannot reach Apple (B20).
	VendorUnreachable bool
	// NotificationsDenied: notifications for the app are off (B22).
	NotificationsDenied bool
}

type device struct {
	Device
	nonCallPushes int
	penalized     bool
}

// Emulator is the APNs emulator core; a plain value, not safe for
// concurrent use.
type Emulator struct {
	cfg     Config
	devices []device       // in registration order
	byToken map[string]int // lower-case token → index (tokens match case-insensitively)
	byName  map[string]int
	// tokenIssued is the iat of the newest provider token accepted, for
	// TooManyProviderTokenUpdates.
	tokenIssued time.Time
	// verified is the last provider token whose signature verified, and its
	// claims: a provider reuses one token for up to an hour, so its
	// signature is checked once, not on every push (its age still is).
	verified       string
	verifiedClaims push.ProviderClaims
}

// New makes an emulator.
func New(cfg Config) (*Emulator, error) {
	if !strings.HasSuffix(cfg.Topic, push.APNsVoIPSuffix) || len(cfg.Topic) == len(push.APNsVoIPSuffix) {
		return nil, fmt.Errorf("apns: topic %q must be a bundle id followed by %q", cfg.Topic, push.APNsVoIPSuffix)
	}
	if cfg.PushKitPenaltyAfter <= 0 {
		cfg.PushKitPenaltyAfter = 1
	}
	return &Emulator{cfg: cfg, byToken: map[string]int{}, byName: map[string]int{}}, nil
}

// ValidToken reports whether s looks like an APNs device token.
func ValidToken(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// Register adds a device; its token must be well-formed and new.
func (e *Emulator) Register(d Device) error {
	if !ValidToken(d.Token) {
		return fmt.Errorf("apns: device %s: token %q is not 64 hex digits", d.Name, d.Token)
	}
	if e.lookup(d.Token) != nil {
		return fmt.Errorf("apns: device %s: token already registered", d.Name)
	}
	if d.Topic == "" {
		d.Topic = e.cfg.Topic
	}
	e.byToken[strings.ToLower(d.Token)] = len(e.devices)
	if _, dup := e.byName[d.Name]; !dup {
		e.byName[d.Name] = len(e.devices)
	}
	e.devices = append(e.devices, device{Device: d})
	return nil
}

// Update changes a registered device's settings by name. The token cannot
// change (a new token is a new registration).
func (e *Emulator) Update(name string, change func(*Device)) error {
	i, ok := e.byName[name]
	if !ok {
		return fmt.Errorf("apns: no device %q", name)
	}
	token := e.devices[i].Token
	change(&e.devices[i].Device)
	e.devices[i].Token = token
	return nil
}

// SetAvailable switches the service on or off (off answers 503).
func (e *Emulator) SetAvailable(on bool) { e.cfg.Available = on }

// SetThrottled switches 429 answers on or off.
func (e *Emulator) SetThrottled(on bool) { e.cfg.Throttled = on }

// Penalized reports whether iOS stopped delivering VoIP pushes to device.
func (e *Emulator) Penalized(name string) bool {
	i, ok := e.byName[name]
	return ok && e.devices[i].penalized
}

func (e *Emulator) lookup(token string) *device {
	if i, ok := e.byToken[strings.ToLower(token)]; ok {
		return &e.devices[i]
	}
	return nil
}

func reply(status int, apnsID, reason string) push.HTTPResponse {
	r := push.HTTPResponse{Status: status}
	if apnsID != "" {
		r.Header = []push.HeaderField{{Name: "apns-id", Value: apnsID}}
	}
	if reason != "" {
		r.Body, _ = json.Marshal(struct {
			Reason string `json:"reason"`
		}{reason})
	}
	return r
}

// Handle answers one provider request, received at now, and returns the
// delivery effects.
func (e *Emulator) Handle(now time.Time, req push.HTTPRequest) (push.HTTPResponse, []push.Effect) {
	apnsID, hasID := push.Get(req.Header, "apns-id")
	if hasID && !validUUID(apnsID) {
		return reply(400, "", ReasonBadMessageID), nil
	}
	if !e.cfg.Available {
		return reply(503, apnsID, ReasonServiceUnavailable), nil
	}
	if status, reason := e.authenticate(now, req); status != 0 {
		return reply(status, apnsID, reason), nil
	}
	if req.Method != "POST" {
		return reply(405, apnsID, ReasonMethodNotAllowed), nil
	}
	token, ok := strings.CutPrefix(req.Path, "/3/device/")
	if !ok || token == "" || strings.ContainsAny(token, "/?#") {
		return reply(404, apnsID, ReasonBadPath), nil
	}
	topic, ok := push.Get(req.Header, "apns-topic")
	if !ok || topic == "" {
		return reply(400, apnsID, ReasonMissingTopic), nil
	}
	if topic != e.cfg.Topic {
		return reply(400, apnsID, ReasonBadTopic), nil
	}
	if pt, _ := push.Get(req.Header, "apns-push-type"); pt != "voip" {
		return reply(400, apnsID, ReasonInvalidPushType), nil
	}
	if p, ok := push.Get(req.Header, "apns-priority"); ok && p != "10" && p != "5" && p != "1" {
		return reply(400, apnsID, ReasonBadPriority), nil
	}
	if x, ok := push.Get(req.Header, "apns-expiration"); ok {
		if n, err := strconv.ParseInt(x, 10, 64); err != nil || n < 0 {
			return reply(400, apnsID, ReasonBadExpirationDate), nil
		}
	}
	if len(req.Body) == 0 {
		return reply(400, apnsID, ReasonPayloadEmpty), nil
	}
	if len(req.Body) > push.APNsMaxVoIPPayload {
		return reply(413, apnsID, ReasonPayloadTooLarge), nil
	}
	if !ValidToken(token) {
		return reply(400, apnsID, ReasonBadDeviceToken), nil
	}
	if e.cfg.Throttled {
		return reply(429, apnsID, ReasonTooManyRequests), nil
	}
	d := e.lookup(token)
	if d == nil {
		return reply(400, apnsID, ReasonBadDeviceToken), nil
	}
	if d.Unregistered {
		return reply(410, apnsID, ReasonUnregistered), nil
	}
	if d.Topic != topic {
		return reply(400, apnsID, ReasonDeviceTokenNotForTopic), nil
	}
	return reply(200, apnsID, ""), e.deliver(d, req.Body)
}

// authenticate checks the provider token; status 0 means accepted.
func (e *Emulator) authenticate(now time.Time, req push.HTTPRequest) (status int, reason string) {
	if e.cfg.Unauthenticated {
		return 0, ""
	}
	auth, ok := push.Get(req.Header, "authorization")
	if !ok || auth == "" {
		return 403, ReasonMissingProviderToken
	}
	scheme, token, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return 403, ReasonInvalidProviderToken
	}
	var claims push.ProviderClaims
	if e.verified != "" && subtle.ConstantTimeCompare([]byte(token), []byte(e.verified)) == 1 {
		claims = e.verifiedClaims
	} else {
		var err error
		claims, err = push.VerifyProviderToken(token, e.cfg.ProviderKey)
		if err != nil || claims.KeyID != e.cfg.KeyID || claims.TeamID != e.cfg.TeamID {
			return 403, ReasonInvalidProviderToken
		}
		e.verified, e.verifiedClaims = token, claims
	}
	switch age := now.Sub(claims.IssuedAt); {
	case age > push.APNsTokenLifetime:
		return 403, ReasonExpiredProviderToken
	case age < -ProviderClockSkew:
		return 403, ReasonInvalidProviderToken
	}
	if claims.IssuedAt.After(e.tokenIssued) {
		if !e.tokenIssued.IsZero() && claims.IssuedAt.Sub(e.tokenIssued) < push.APNsTokenMinRefresh {
			return 429, ReasonTooManyTokenUpdates
		}
		e.tokenIssued = claims.IssuedAt
	}
	return 0, ""
}

// deliver is the hop from Apple to the phone and iOS's decision to launch
// the app for a VoIP push.
func (e *Emulator) deliver(d *device, payload []byte) []push.Effect {
	drop := func(reason string) []push.Effect {
		return []push.Effect{push.Event{Name: push.EventDropped, Attrs: []timeline.Attr{
			timeline.A("from", push.PlatformAPNs), timeline.A("device", d.Name), timeline.A("reason", reason)}}}
	}
	switch {
	case d.VendorUnreachable:
		return drop(DropVendorUnreachable)
	case d.penalized:
		return drop(DropPushKitPenalty)
	case d.NotificationsDenied:
		return drop(DropNotificationsDenied)
	}
	// PushKit: a VoIP push must be reported as a call. One that carries no
	// call (a clear type other than "call") is a strike against the app.
	if p, err := push.DecodePhonePayload(payload); err != nil || p.Type != push.TypeCall {
		d.nonCallPushes++
		if d.nonCallPushes >= e.cfg.PushKitPenaltyAfter {
			d.penalized = true
		}
	}
	body := append([]byte(nil), payload...)
	return []push.Effect{
		push.Event{Name: push.EventDelivered, Protocol: push.ProtocolAPNs, Payload: body, Attrs: []timeline.Attr{
			timeline.A("from", push.PlatformAPNs), timeline.A("to", d.Name), timeline.A("device", d.Name)}},
		push.Deliver{Device: d.Name, Platform: push.PlatformAPNs, Payload: body},
	}
}

// validUUID checks the canonical 8-4-4-4-12 hex form apns-id must have.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
