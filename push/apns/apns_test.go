package apns_test

import (
	"strings"
	"testing"

	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/push/apns"
)

const (
	topic = "com.example.softphone.voip"
	token = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
	msgID = "0c0ffee0-0000-4000-8000-000000000001"
)

func newEmulator(t testing.TB) *apns.Emulator {
	e, err := apns.New(apns.Config{Topic: topic, Available: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Register(apns.Device{Name: "alice-iphone", Token: token}); err != nil {
		t.Fatal(err)
	}
	return e
}

func goodRequest(body string) push.HTTPRequest {
	return push.NewAPNsRequest("com.example.softphone", token, msgID, push.PhonePayload{Type: body})
}

func without(r push.HTTPRequest, name string) push.HTTPRequest {
	var h []push.HeaderField
	for _, f := range r.Header {
		if f.Name != name {
			h = append(h, f)
		}
	}
	r.Header = h
	return r
}

func with(r push.HTTPRequest, name, value string) push.HTTPRequest {
	r = without(r, name)
	r.Header = append(r.Header, push.HeaderField{Name: name, Value: value})
	return r
}

func TestHandleErrors(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(*apns.Emulator)
		req    func() push.HTTPRequest
		status int
		reason string
	}{
		{"unavailable", func(e *apns.Emulator) { e.SetAvailable(false) }, func() push.HTTPRequest { return goodRequest("call") }, 503, "ServiceUnavailable"},
		{"method", nil, func() push.HTTPRequest { r := goodRequest("call"); r.Method = "GET"; return r }, 405, "MethodNotAllowed"},
		{"path", nil, func() push.HTTPRequest { r := goodRequest("call"); r.Path = "/3/devices/" + token; return r }, 404, "BadPath"},
		{"path extra", nil, func() push.HTTPRequest { r := goodRequest("call"); r.Path += "/x"; return r }, 404, "BadPath"},
		{"no topic", nil, func() push.HTTPRequest { return without(goodRequest("call"), "apns-topic") }, 400, "MissingTopic"},
		{"other topic", nil, func() push.HTTPRequest { return with(goodRequest("call"), "apns-topic", "com.other.voip") }, 400, "BadTopic"},
		{"push type", nil, func() push.HTTPRequest { return with(goodRequest("call"), "apns-push-type", "alert") }, 400, "InvalidPushType"},
		{"no push type", nil, func() push.HTTPRequest { return without(goodRequest("call"), "apns-push-type") }, 400, "InvalidPushType"},
		{"priority", nil, func() push.HTTPRequest { return with(goodRequest("call"), "apns-priority", "11") }, 400, "BadPriority"},
		{"expiration", nil, func() push.HTTPRequest { return with(goodRequest("call"), "apns-expiration", "soon") }, 400, "BadExpirationDate"},
		{"apns-id", nil, func() push.HTTPRequest { return with(goodRequest("call"), "apns-id", "123") }, 400, "BadMessageId"},
		{"empty body", nil, func() push.HTTPRequest { r := goodRequest("call"); r.Body = nil; return r }, 400, "PayloadEmpty"},
		{"too large", nil, func() push.HTTPRequest {
			r := goodRequest("call")
			r.Body = []byte(`{"type":"call","ct":"` + strings.Repeat("A", 5120) + `"}`)
			return r
		}, 413, "PayloadTooLarge"},
		{"bad token", nil, func() push.HTTPRequest { r := goodRequest("call"); r.Path = "/3/device/xyz"; return r }, 400, "BadDeviceToken"},
		{"unknown token", nil, func() push.HTTPRequest {
			r := goodRequest("call")
			r.Path = "/3/device/" + strings.Repeat("f", 64)
			return r
		}, 400, "BadDeviceToken"},
		{"unregistered", func(e *apns.Emulator) { e.Update("alice-iphone", func(d *apns.Device) { d.Unregistered = true }) },
			func() push.HTTPRequest { return goodRequest("call") }, 410, "Unregistered"},
		{"token for other topic", func(e *apns.Emulator) { e.Update("alice-iphone", func(d *apns.Device) { d.Topic = "com.other.voip" }) },
			func() push.HTTPRequest { return goodRequest("call") }, 400, "DeviceTokenNotForTopic"},
		{"throttled", func(e *apns.Emulator) { e.SetThrottled(true) }, func() push.HTTPRequest { return goodRequest("call") }, 429, "TooManyRequests"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEmulator(t)
			if tc.setup != nil {
				tc.setup(e)
			}
			resp, effs := e.Handle(tc.req())
			if resp.Status != tc.status || string(resp.Body) != `{"reason":"`+tc.reason+`"}` {
				t.Fatalf("got %d %s, want %d %s", resp.Status, resp.Body, tc.status, tc.reason)
			}
			if effs != nil {
				t.Fatalf("effects on error: %#v", effs)
			}
		})
	}
}

func TestDeliverAndDrops(t *testing.T) {
	e := newEmulator(t)
	resp, effs := e.Handle(goodRequest("call"))
	if resp.Status != 200 || resp.Body != nil {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	if id, _ := push.Get(resp.Header, "apns-id"); id != msgID {
		t.Fatalf("apns-id %q", id)
	}
	if len(effs) != 2 {
		t.Fatalf("%#v", effs)
	}
	ev := effs[0].(push.Event)
	d := effs[1].(push.Deliver)
	if ev.Name != push.EventDelivered || d.Device != "alice-iphone" || string(d.Payload) != `{"type":"call"}` {
		t.Fatalf("%#v %#v", ev, d)
	}

	dropReason := func(effs []push.Effect) string {
		if len(effs) != 1 {
			t.Fatalf("want one drop, got %#v", effs)
		}
		ev := effs[0].(push.Event)
		if ev.Name != push.EventDropped {
			t.Fatalf("%#v", ev)
		}
		r, _ := ev.Get("reason")
		return r
	}
	e.Update("alice-iphone", func(d *apns.Device) { d.VendorUnreachable = true })
	if _, effs = e.Handle(goodRequest("call")); dropReason(effs) != apns.DropVendorUnreachable {
		t.Fatal("B20")
	}
	e.Update("alice-iphone", func(d *apns.Device) { d.VendorUnreachable, d.NotificationsDenied = false, true })
	if _, effs = e.Handle(goodRequest("call")); dropReason(effs) != apns.DropNotificationsDenied {
		t.Fatal("B22 notifications")
	}
	e.Update("alice-iphone", func(d *apns.Device) { d.NotificationsDenied = false })
	// A VoIP push that is not a call is delivered once, then iOS stops
	// delivering VoIP pushes to the app (model choice, B22).
	if _, effs = e.Handle(goodRequest("notification")); len(effs) != 2 || e.Penalized("alice-iphone") != true {
		t.Fatalf("non-call push: %#v", effs)
	}
	if _, effs = e.Handle(goodRequest("call")); dropReason(effs) != apns.DropPushKitPenalty {
		t.Fatal("B22 penalty")
	}
}

func TestConfigAndRegister(t *testing.T) {
	if _, err := apns.New(apns.Config{Topic: "com.example.softphone"}); err == nil {
		t.Fatal("topic without .voip accepted")
	}
	e := newEmulator(t)
	if err := e.Register(apns.Device{Name: "x", Token: "short"}); err == nil {
		t.Fatal("bad token registered")
	}
	if err := e.Register(apns.Device{Name: "y", Token: strings.ToUpper(token)}); err == nil {
		t.Fatal("duplicate token registered")
	}
	if err := e.Update("nobody", func(*apns.Device) {}); err == nil {
		t.Fatal("update of unknown device")
	}
}

func BenchmarkHandle(b *testing.B) {
	e := newEmulator(b)
	req := goodRequest("call")
	b.ReportAllocs()
	for b.Loop() {
		if resp, _ := e.Handle(req); resp.Status != 200 {
			b.Fatal(resp.Status)
		}
	}
}
