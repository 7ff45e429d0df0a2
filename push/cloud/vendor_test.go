package cloud_test

import (
	"encoding/json"
	"net/netip"
	"slices"
	"testing"
	"time"

	nt "github.com/callwake/callwake/internal/nodetest"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/push/apns"
	"github.com/callwake/callwake/push/cloud"
	"github.com/callwake/callwake/push/fcm"
)

// These tests drive the APNs and FCM nodes through the node contract alone.

var apnsIP = apnsAPI.Addr()

const vendorLatency = 80 * time.Millisecond

// vrig holds one vendor node.
type vrig struct {
	t            *testing.T
	v            *cloud.Vendor
	now          time.Time
	api, devices node.Listen
}

func newVRig(t *testing.T, cfg cloud.VendorConfig) *vrig {
	t.Helper()
	v, err := cloud.NewVendor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := &vrig{t: t, v: v, now: epoch}
	ls := nt.All[node.Listen](r.do(node.Start{}))
	if len(ls) != 2 {
		t.Fatalf("Start: %+v", ls)
	}
	r.api, r.devices = ls[0], ls[1]
	return r
}

func (r *vrig) do(in node.Input) []node.Effect { return slices.Clone(r.v.Handle(r.now, in)) }

// apnsVendor is Apple's service with alice's iPhone (and bob's, which the
// app was removed from).
func apnsVendor(t *testing.T, edit func(*apns.Config)) *vrig {
	t.Helper()
	// Provider tokens are the emulator's own tests' business.
	cfg := apns.Config{Topic: bundle + push.APNsVoIPSuffix, Available: true, Unauthenticated: true}
	if edit != nil {
		edit(&cfg)
	}
	e, err := apns.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const removed = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
	for _, d := range []apns.Device{{Name: "alice-iphone", Token: iosToken}, {Name: "bob-iphone", Token: removed, Unregistered: true}} {
		if err := e.Register(d); err != nil {
			t.Fatal(err)
		}
	}
	return newVRig(t, cloud.VendorConfig{Name: "apns", Platform: push.PlatformAPNs, IP: apnsIP, DevicePort: cloud.PortAPNsDevice,
		Emulator: e, Devices: []cloud.Device{{Name: "alice-iphone", Token: iosToken}}, Latency: vendorLatency})
}

// apnsRequest is the provider request for a call push to token.
func apnsRequest(stream uint32, token string, edit func(*push.HTTPRequest)) *node.HTTP {
	req := push.NewAPNsRequest(bundle, token, "9f1c7a52-1b2c-4d3e-8f90-0123456789ab", "", push.PhonePayload{Type: push.TypeCall, Call: "00ff"})
	if edit != nil {
		edit(&req)
	}
	h := &node.HTTP{Stream: stream, Method: req.Method, Authority: req.Authority, Path: req.Path, Body: req.Body}
	for _, f := range req.Header {
		h.Header = append(h.Header, node.HeaderField{Name: f.Name, Value: f.Value})
	}
	return h
}

const (
	serviceConn node.ConnID = 1 // the push service's HTTP/2 connection
	phoneConn   node.ConnID = 2 // alice's phone's connection
)

func hello(token string) []byte {
	return push.EncodeJSON(push.DeviceMessage{MT: push.MTHello, Token: token})
}

func TestVendorStartListens(t *testing.T) {
	r := apnsVendor(t, nil)
	if r.api.Addr != netip.AddrPortFrom(apnsIP, cloud.PortAPI) || r.api.Transport != node.HTTP2 || r.api.Protocol != push.PlatformAPNs {
		t.Errorf("provider API Listen %+v", r.api)
	}
	if r.devices.Addr != netip.AddrPortFrom(apnsIP, cloud.PortAPNsDevice) || r.devices.Transport != node.WSS || r.devices.Sock == r.api.Sock {
		t.Errorf("device Listen %+v", r.devices)
	}
	nt.One[node.Done](t, r.do(node.Stop{}))
}

func TestVendorDeliversOnThePhonesConnection(t *testing.T) {
	r := apnsVendor(t, nil)
	r.do(node.Accepted{Listener: r.devices.Sock, Conn: phoneConn})
	if effs := r.do(node.Message{Conn: phoneConn, Payload: hello(iosToken)}); len(effs) != 0 {
		t.Fatalf("Hello: %s", nt.Show(effs))
	}
	req := apnsRequest(7, iosToken, nil)
	effs := r.do(node.Message{Conn: serviceConn, HTTP: req})
	sends := nt.All[node.Send](effs)
	if len(sends) != 2 {
		t.Fatalf("%s", nt.Show(effs))
	}
	answer, delivered := sends[0], sends[1]
	if answer.Conn != serviceConn || answer.HTTP == nil || answer.HTTP.Stream != 7 || answer.HTTP.Status != 200 {
		t.Errorf("answer %+v", answer)
	}
	if id, _ := answer.HTTP.Get("apns-id"); id != "9f1c7a52-1b2c-4d3e-8f90-0123456789ab" {
		t.Errorf("apns-id %q", id)
	}
	m, err := push.DecodeDevice(delivered.Payload)
	if delivered.Conn != phoneConn || err != nil || m.MT != push.MTPush || string(m.Payload) != string(req.Body) {
		t.Errorf("delivered %+v (%v) on %d, want the request body as a Push", m, err, delivered.Conn)
	}
	// The emulator's push.delivered is not the vendor's to record: the
	// phone decides whether the push arrives.
	if len(nt.All[node.Record](effs)) != 0 {
		t.Errorf("records %s", nt.Show(effs))
	}
}

func TestVendorWithoutConnectionDrops(t *testing.T) {
	for _, tt := range []struct {
		name  string
		setup func(r *vrig)
	}{
		{"never connected", func(*vrig) {}},
		{"an unknown token's hello binds nothing", func(r *vrig) { r.do(node.Message{Conn: phoneConn, Payload: hello("beef")}) }},
		{"junk is no hello", func(r *vrig) { r.do(node.Message{Conn: phoneConn, Payload: []byte("{")}) }},
		{"a token in another message is no hello", func(r *vrig) {
			r.do(node.Message{Conn: phoneConn, Payload: push.EncodeJSON(push.DeviceMessage{MT: push.MTPush, Token: iosToken})})
		}},
		{"the connection closed", func(r *vrig) {
			r.do(node.Message{Conn: phoneConn, Payload: hello(iosToken)})
			r.do(node.Closed{Conn: phoneConn, Err: node.ErrReset})
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := apnsVendor(t, nil)
			tt.setup(r)
			effs := r.do(node.Message{Conn: serviceConn, HTTP: apnsRequest(1, iosToken, nil)})
			// The provider hears 200: Apple accepted the push.
			if s := nt.One[node.Send](t, effs); s.Conn != serviceConn || s.HTTP.Status != 200 {
				t.Errorf("answer %+v", s)
			}
			if len(nt.All[node.Record](effs)) != 0 {
				t.Fatalf("the drop recorded at once: %s", nt.Show(effs))
			}
			st := nt.One[node.SetTimer](t, effs)
			if st.After != vendorLatency {
				t.Errorf("drop after %v, want the vendor's latency %v", st.After, vendorLatency)
			}
			r.now = r.now.Add(st.After)
			effs = r.do(node.TimerFired{ID: st.ID})
			nt.WantAttrs(t, nt.Record(t, effs, push.EventDropped), "from", "apns", "to", "alice-iphone",
				"device", "alice-iphone", "reason", push.DropVendorUnreachable)
			if effs := r.do(node.TimerFired{ID: st.ID}); len(effs) != 0 {
				t.Errorf("a timer recorded twice: %s", nt.Show(effs))
			}
		})
	}
}

func TestVendorEmulatorRefusals(t *testing.T) {
	tests := []struct {
		name   string
		token  string
		cfg    func(*apns.Config)
		req    func(*push.HTTPRequest)
		status int
		reason string
	}{
		{"unregistered app", "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100", nil, nil, 410, apns.ReasonUnregistered},
		{"unknown token", "0000000000000000000000000000000000000000000000000000000000000000", nil, nil, 400, apns.ReasonBadDeviceToken},
		{"wrong topic", iosToken, nil, func(r *push.HTTPRequest) { r.Header[1].Value = "other.voip" }, 400, apns.ReasonBadTopic},
		{"not a POST", iosToken, nil, func(r *push.HTTPRequest) { r.Method = "GET" }, 405, apns.ReasonMethodNotAllowed},
		{"unavailable", iosToken, func(c *apns.Config) { c.Available = false }, nil, 503, apns.ReasonServiceUnavailable},
		{"throttled", iosToken, func(c *apns.Config) { c.Throttled = true }, nil, 429, apns.ReasonTooManyRequests},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := apnsVendor(t, tt.cfg)
			r.do(node.Message{Conn: phoneConn, Payload: hello(iosToken)})
			effs := r.do(node.Message{Conn: serviceConn, HTTP: apnsRequest(3, tt.token, tt.req)})
			s := nt.One[node.Send](t, effs)
			if s.Conn != serviceConn || s.HTTP.Stream != 3 || s.HTTP.Status != tt.status {
				t.Fatalf("answer %+v, want %d on stream 3", s.HTTP, tt.status)
			}
			var body struct{ Reason string }
			if err := json.Unmarshal(s.HTTP.Body, &body); err != nil || body.Reason != tt.reason {
				t.Errorf("body %s, want reason %s", s.HTTP.Body, tt.reason)
			}
			if len(nt.All[node.SetTimer](effs)) != 0 {
				t.Errorf("a refused push was dropped on the phone's side: %s", nt.Show(effs))
			}
		})
	}
}

// The emulator may withhold a push itself (the PushKit penalty, B22): the
// vendor records the drop, with the emulator's reason, when it would have
// arrived.
func TestVendorEmulatorDrop(t *testing.T) {
	r := apnsVendor(t, nil)
	r.do(node.Message{Conn: phoneConn, Payload: hello(iosToken)})
	notACall := func(req *push.HTTPRequest) {
		req.Body = push.EncodeJSON(push.PhonePayload{Type: push.TypeNotification})
	}
	effs := r.do(node.Message{Conn: serviceConn, HTTP: apnsRequest(1, iosToken, notACall)})
	if len(nt.All[node.Send](effs)) != 2 {
		t.Fatalf("the first push without a call is delivered: %s", nt.Show(effs))
	}
	effs = r.do(node.Message{Conn: serviceConn, HTTP: apnsRequest(3, iosToken, nil)})
	if s := nt.One[node.Send](t, effs); s.Conn != serviceConn {
		t.Fatalf("delivered to a penalised app: %s", nt.Show(effs))
	}
	st := nt.One[node.SetTimer](t, effs)
	nt.WantAttrs(t, nt.Record(t, r.do(node.TimerFired{ID: st.ID}), push.EventDropped), "device", "alice-iphone", "reason", apns.DropPushKitPenalty)
}

func TestVendorFCM(t *testing.T) {
	e, err := fcm.New(fcm.Config{Project: project, AccessToken: bearer, Available: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Register(fcm.Device{Name: "carol-pixel", Token: fcmToken}); err != nil {
		t.Fatal(err)
	}
	r := newVRig(t, cloud.VendorConfig{Name: "fcm", Platform: push.PlatformFCM, IP: fcmAPI.Addr(), DevicePort: cloud.PortFCMDevice,
		Emulator: cloud.Clockless{Core: e}, Devices: []cloud.Device{{Name: "carol-pixel", Token: fcmToken}}})
	if r.devices.Addr.Port() != cloud.PortFCMDevice || r.api.Protocol != push.PlatformFCM {
		t.Errorf("Listen %+v %+v", r.api, r.devices)
	}
	r.do(node.Message{Conn: phoneConn, Payload: hello(fcmToken)})
	req := push.NewFCMRequest(project, bearer, fcmToken, push.PhonePayload{Type: push.TypeCall, Call: "00ff"})
	h := &node.HTTP{Stream: 5, Method: req.Method, Authority: req.Authority, Path: req.Path, Body: req.Body}
	for _, f := range req.Header {
		h.Header = append(h.Header, node.HeaderField{Name: f.Name, Value: f.Value})
	}
	effs := r.do(node.Message{Conn: serviceConn, HTTP: h})
	sends := nt.All[node.Send](effs)
	if len(sends) != 2 || sends[0].HTTP.Status != 200 || sends[1].Conn != phoneConn {
		t.Fatalf("%s", nt.Show(effs))
	}
	m, _ := push.DecodeDevice(sends[1].Payload)
	if p, err := push.DecodePhonePayload(m.Payload); err != nil || p.Type != push.TypeCall || p.Call != "00ff" {
		t.Errorf("delivered %s (%v)", m.Payload, err)
	}
	// Switched off by a command, the emulator answers 503.
	r.do(node.Command{Cmd: cloud.SetAvailable{On: false}})
	h.Stream = 7
	if s := nt.One[node.Send](t, r.do(node.Message{Conn: serviceConn, HTTP: h})); s.HTTP.Status != 503 {
		t.Errorf("status %d, want 503", s.HTTP.Status)
	}
	// The latency 0 drop comes at once (a timer of 0).
	r.do(node.Command{Cmd: cloud.SetAvailable{On: true}})
	r.do(node.Closed{Conn: phoneConn})
	h.Stream = 9
	if st := nt.One[node.SetTimer](t, r.do(node.Message{Conn: serviceConn, HTTP: h})); st.After != 0 {
		t.Errorf("drop after %v", st.After)
	}
}

func TestVendorNeedsAnEmulator(t *testing.T) {
	if _, err := cloud.NewVendor(cloud.VendorConfig{IP: apnsIP}); err == nil {
		t.Error("a vendor without an emulator")
	}
	if _, err := cloud.NewService(cloud.ServiceConfig{}, nil); err == nil {
		t.Error("a service without an address")
	}
}

// A vendor with Enrol learns a phone from its hello (pushsim's emulators,
// which know no devices in advance): the token is registered once and its
// pushes go on the phone's connection; a refused one binds nothing.
func TestVendorEnrolsAtHello(t *testing.T) {
	e, err := apns.New(apns.Config{Topic: bundle + push.APNsVoIPSuffix, Available: true, Unauthenticated: true})
	if err != nil {
		t.Fatal(err)
	}
	const newToken = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	var asked []string
	r := newVRig(t, cloud.VendorConfig{Name: "apns", Platform: push.PlatformAPNs, IP: apnsIP, DevicePort: cloud.PortAPNsDevice,
		Emulator: e, Latency: vendorLatency, Enrol: func(token string) (string, bool) {
			asked = append(asked, token)
			if token != newToken {
				return "", false
			}
			return "new-iphone", e.Register(apns.Device{Name: "new-iphone", Token: token}) == nil
		}})
	r.do(node.Message{Conn: 3, Payload: hello("refused")})
	r.do(node.Message{Conn: phoneConn, Payload: hello(newToken)})
	r.do(node.Message{Conn: phoneConn, Payload: hello(newToken)}) // again: known now
	if !slices.Equal(asked, []string{"refused", newToken}) {
		t.Errorf("Enrol asked about %q, want the refused token and the new one once", asked)
	}
	sends := nt.All[node.Send](r.do(node.Message{Conn: serviceConn, HTTP: apnsRequest(1, newToken, nil)}))
	if len(sends) != 2 || sends[0].HTTP.Status != 200 || sends[1].Conn != phoneConn {
		t.Errorf("push to the enrolled phone: %+v", sends)
	}
}
