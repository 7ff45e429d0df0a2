// Package fcm emulates Firebase Cloud Messaging's HTTP v1 API
// (POST /v1/projects/{project}/messages:send) and the last hop to the
// Android phone.
//
// Emulator.Handle validates a request as FCM does (method, path, project,
// bearer token, content type, strict JSON body with string data values,
// token, size), answers with FCM's status codes and google.rpc error bodies
// carrying an FcmError errorCode (INVALID_ARGUMENT, UNREGISTERED,
// SENDER_ID_MISMATCH, QUOTA_EXCEEDED, UNAVAILABLE), and for an accepted push
// returns the delivery effects: push.delivered plus push.Deliver with the
// message's data object as JSON, or push.dropped with the reason the phone
// does not get it (vendor unreachable, stale HMS Core cache).
//
// Requests must carry "authorization: Bearer <token>" with the configured
// OAuth 2 access token, compared in constant time; without a configured token
// every request is refused (401) unless Config.Unauthenticated says otherwise.
package fcm

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/timeline"
)

// FcmError error codes.
const (
	ErrInvalidArgument  = "INVALID_ARGUMENT"
	ErrUnregistered     = "UNREGISTERED"
	ErrSenderIDMismatch = "SENDER_ID_MISMATCH"
	ErrQuotaExceeded    = "QUOTA_EXCEEDED"
	ErrUnavailable      = "UNAVAILABLE"
)

// Drop reasons on the phone side (push.dropped {reason}).
const (
	DropVendorUnreachable = "vendor_unreachable" // B20
	DropHMSStale          = "hms_stale"          // B28: Huawei, stale HMS Core cache
)

// MaxDataSize is FCM's limit for a message's data payload, in bytes.
const MaxDataSize = 4096

// Config configures the emulator.
type Config struct {
	Project string
	// AccessToken is the only bearer token accepted. Without one every
	// request is refused, unless Unauthenticated is set.
	AccessToken string
	// Unauthenticated accepts any request, with or without a bearer token.
	Unauthenticated bool
	Available       bool
	Throttled       bool // every request answers 429 QUOTA_EXCEEDED
}

// Device is one Android phone with the app installed.
type Device struct {
	Name              string
	Token             string
	Unregistered      bool // the app was removed or the token expired: 404 UNREGISTERED
	VendorUnreachable bool // B20
	HMSStale          bool // B28
}

// Emulator is the FCM emulator core; a plain value, not safe for concurrent
// use.
type Emulator struct {
	cfg     Config
	devices []Device
	byToken map[string]int
	byName  map[string]int
	sent    uint64
}

// New makes an emulator.
func New(cfg Config) (*Emulator, error) {
	if cfg.Project == "" || strings.ContainsAny(cfg.Project, "/?#") {
		return nil, fmt.Errorf("fcm: bad project id %q", cfg.Project)
	}
	return &Emulator{cfg: cfg, byToken: map[string]int{}, byName: map[string]int{}}, nil
}

// ValidToken reports whether s looks like an FCM registration token.
func ValidToken(s string) bool {
	if len(s) < 32 || len(s) > 4096 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '-' || c == ':') {
			return false
		}
	}
	return true
}

// Register adds a device; its token must be well-formed and new.
func (e *Emulator) Register(d Device) error {
	if !ValidToken(d.Token) {
		return fmt.Errorf("fcm: device %s: malformed token", d.Name)
	}
	if e.lookup(d.Token) != nil {
		return fmt.Errorf("fcm: device %s: token already registered", d.Name)
	}
	e.byToken[d.Token] = len(e.devices)
	if _, dup := e.byName[d.Name]; !dup {
		e.byName[d.Name] = len(e.devices)
	}
	e.devices = append(e.devices, d)
	return nil
}

// Update changes a registered device's settings by name. The token cannot
// change (a new token is a new registration).
func (e *Emulator) Update(name string, change func(*Device)) error {
	i, ok := e.byName[name]
	if !ok {
		return fmt.Errorf("fcm: no device %q", name)
	}
	token := e.devices[i].Token
	change(&e.devices[i])
	e.devices[i].Token = token
	return nil
}

// SetAvailable switches the service on or off (off answers 503).
func (e *Emulator) SetAvailable(on bool) { e.cfg.Available = on }

// SetThrottled switches 429 answers on or off.
func (e *Emulator) SetThrottled(on bool) { e.cfg.Throttled = on }

func (e *Emulator) lookup(token string) *Device {
	if i, ok := e.byToken[token]; ok {
		return &e.devices[i]
	}
	return nil
}

// fail renders a google.rpc.Status error with an FcmError detail.
func fail(status int, rpcStatus, errorCode, message string) push.HTTPResponse {
	type detail struct {
		Type      string `json:"@type"`
		ErrorCode string `json:"errorCode"`
	}
	var body struct {
		Error struct {
			Code    int      `json:"code"`
			Message string   `json:"message"`
			Status  string   `json:"status"`
			Details []detail `json:"details,omitempty"`
		} `json:"error"`
	}
	body.Error.Code, body.Error.Message, body.Error.Status = status, message, rpcStatus
	if errorCode != "" {
		body.Error.Details = []detail{{"type.googleapis.com/google.firebase.fcm.v1.FcmError", errorCode}}
	}
	b, _ := json.Marshal(&body)
	return push.HTTPResponse{Status: status, Header: []push.HeaderField{{Name: "content-type", Value: "application/json; charset=UTF-8"}}, Body: b}
}

func invalid(message string) push.HTTPResponse {
	return fail(400, "INVALID_ARGUMENT", ErrInvalidArgument, message)
}

// request is the body FCM accepts; unknown fields are refused, as FCM does.
type request struct {
	ValidateOnly bool `json:"validate_only,omitempty"`
	Message      *struct {
		Token   string            `json:"token"`
		Data    map[string]string `json:"data"`
		Android *struct {
			Priority string `json:"priority"`
			TTL      string `json:"ttl"`
		} `json:"android"`
	} `json:"message"`
}

// Handle answers one send request and returns the delivery effects.
func (e *Emulator) Handle(req push.HTTPRequest) (push.HTTPResponse, []push.Effect) {
	if !e.cfg.Available {
		return fail(503, "UNAVAILABLE", ErrUnavailable, "The service is currently unavailable."), nil
	}
	project, ok := strings.CutPrefix(req.Path, "/v1/projects/")
	if ok {
		project, ok = strings.CutSuffix(project, "/messages:send")
	}
	if req.Method != "POST" || !ok || project == "" || strings.Contains(project, "/") {
		return fail(404, "NOT_FOUND", "", "The requested URL was not found on this server."), nil
	}
	if !e.authenticated(req) {
		return fail(401, "UNAUTHENTICATED", "", "Request had invalid authentication credentials."), nil
	}
	if project != e.cfg.Project {
		return fail(403, "PERMISSION_DENIED", ErrSenderIDMismatch, "SenderId mismatch"), nil
	}
	if ct, _ := push.Get(req.Header, "content-type"); !strings.HasPrefix(ct, "application/json") {
		return invalid("Invalid content type " + strconv.Quote(ct)), nil
	}
	var r request
	dec := json.NewDecoder(bytes.NewReader(req.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return invalid("Invalid JSON payload received. " + err.Error()), nil
	}
	if dec.More() {
		return invalid("Invalid JSON payload received. Trailing data."), nil
	}
	if r.Message == nil {
		return invalid("Request contains an invalid argument: message is required."), nil
	}
	m := r.Message
	if m.Android != nil && m.Android.Priority != "" && m.Android.Priority != "normal" && m.Android.Priority != "high" {
		return invalid("Invalid value at 'message.android.priority'"), nil
	}
	data, _ := json.Marshal(m.Data) // map keys sorted: deterministic
	if len(data) > MaxDataSize {
		return invalid("Message is too big"), nil
	}
	if !ValidToken(m.Token) {
		return invalid("The registration token is not a valid FCM registration token"), nil
	}
	if e.cfg.Throttled {
		return fail(429, "RESOURCE_EXHAUSTED", ErrQuotaExceeded, "Quota exceeded for sending messages."), nil
	}
	d := e.lookup(m.Token)
	if d == nil || d.Unregistered {
		return fail(404, "NOT_FOUND", ErrUnregistered, "Requested entity was not found."), nil
	}
	e.sent++
	name, _ := json.Marshal(struct {
		Name string `json:"name"`
	}{"projects/" + project + "/messages/" + strconv.FormatUint(e.sent, 10)})
	resp := push.HTTPResponse{Status: 200, Header: []push.HeaderField{{Name: "content-type", Value: "application/json; charset=UTF-8"}}, Body: name}
	if r.ValidateOnly {
		return resp, nil
	}
	return resp, e.deliver(d, data)
}

// authenticated checks the bearer token in constant time (no configured
// token: refused, unless Unauthenticated).
func (e *Emulator) authenticated(req push.HTTPRequest) bool {
	if e.cfg.Unauthenticated {
		return true
	}
	auth, _ := push.Get(req.Header, "authorization")
	scheme, bearer, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || e.cfg.AccessToken == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(bearer), []byte(e.cfg.AccessToken)) == 1
}

func (e *Emulator) deliver(d *Device, data []byte) []push.Effect {
	drop := func(reason string) []push.Effect {
		return []push.Effect{push.Event{Name: push.EventDropped, Attrs: []timeline.Attr{
			timeline.A("from", push.PlatformFCM), timeline.A("device", d.Name), timeline.A("reason", reason)}}}
	}
	switch {
	case d.VendorUnreachable:
		return drop(DropVendorUnreachable)
	case d.HMSStale:
		return drop(DropHMSStale)
	}
	return []push.Effect{
		push.Event{Name: push.EventDelivered, Protocol: push.ProtocolFCM, Payload: data, Attrs: []timeline.Attr{
			timeline.A("from", push.PlatformFCM), timeline.A("to", d.Name), timeline.A("device", d.Name)}},
		push.Deliver{Device: d.Name, Platform: push.PlatformFCM, Payload: data},
	}
}
