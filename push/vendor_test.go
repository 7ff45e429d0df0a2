package push_test

import (
	"strings"
	"testing"

	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/push/apns"
	"github.com/callwake/callwake/push/fcm"
)

func TestAPNsRequestShape(t *testing.T) {
	p := push.PhonePayload{Type: "call", KeyID: "k1", Nonce: "bm9uY2U=", Ciphertext: "Y3Q="}
	r := push.NewAPNsRequest("com.example.softphone", iphoneToken, "0c0ffee0-0000-4000-8000-000000000001", "bearer x.y.z", p)
	if r.Method != "POST" || r.Authority != "api.push.apple.com" || r.Path != "/3/device/"+iphoneToken {
		t.Fatalf("%s %s %s", r.Method, r.Authority, r.Path)
	}
	want := []push.HeaderField{
		{"apns-push-type", "voip"}, {"apns-topic", "com.example.softphone.voip"}, {"apns-priority", "10"},
		{"apns-expiration", "0"}, {"apns-id", "0c0ffee0-0000-4000-8000-000000000001"}, {"authorization", "bearer x.y.z"},
	}
	if len(r.Header) != len(want) {
		t.Fatalf("headers %v", r.Header)
	}
	for i := range want {
		if r.Header[i] != want[i] {
			t.Fatalf("header %d = %v, want %v", i, r.Header[i], want[i])
		}
	}
	if got := string(r.Body); got != `{"type":"call","kid":"k1","nonce":"bm9uY2U=","ct":"Y3Q="}` {
		t.Fatalf("body %s", got)
	}
}

func TestFCMRequestShape(t *testing.T) {
	p := push.PhonePayload{Type: "call", KeyID: "k1", Nonce: "bm9uY2U=", Ciphertext: "Y3Q="}
	r := push.NewFCMRequest("callwake-test", "tok", androidToken, p)
	if r.Method != "POST" || r.Authority != "fcm.googleapis.com" || r.Path != "/v1/projects/callwake-test/messages:send" {
		t.Fatalf("%s %s %s", r.Method, r.Authority, r.Path)
	}
	if v, _ := push.Get(r.Header, "authorization"); v != "Bearer tok" {
		t.Fatalf("authorization %q", v)
	}
	if v, _ := push.Get(r.Header, "content-type"); v != "application/json; charset=UTF-8" {
		t.Fatalf("content-type %q", v)
	}
	want := `{"message":{"token":"` + androidToken + `","data":{"type":"call","kid":"k1","nonce":"bm9uY2U=","ct":"Y3Q="},"android":{"priority":"high"}}}`
	if string(r.Body) != want {
		t.Fatalf("body %s\nwant %s", r.Body, want)
	}
}

// TestVendorErrorsReachThePBX runs every vendor error through the service
// and checks the err the PBX gets.
func TestVendorErrorsReachThePBX(t *testing.T) {
	tests := []struct {
		name     string
		platform string
		token    string
		setup    func(h *harness)
		status   string
		err      string
	}{
		{"apns bad token", "apns", "nothex", nil, "400", "BadDeviceToken"},
		{"apns unknown token", "apns", strings.Repeat("0", 64), nil, "400", "BadDeviceToken"},
		{"apns unregistered", "apns", iphoneToken, func(h *harness) {
			h.apns.Update("alice-iphone", func(d *apns.Device) { d.Unregistered = true })
		}, "410", "Unregistered"},
		{"apns other topic", "apns", iphoneToken, func(h *harness) {
			h.apns.Update("alice-iphone", func(d *apns.Device) { d.Topic = "com.other.app.voip" })
		}, "400", "DeviceTokenNotForTopic"},
		{"apns throttled", "apns", iphoneToken, func(h *harness) { h.apns.SetThrottled(true) }, "429", "TooManyRequests"},
		{"apns down", "apns", iphoneToken, func(h *harness) { h.apns.SetAvailable(false) }, "503", "ServiceUnavailable"},
		{"fcm malformed token", "fcm", "bad token!", nil, "400", "INVALID_ARGUMENT"},
		{"fcm unknown token", "fcm", strings.Repeat("x", 40), nil, "404", "UNREGISTERED"},
		{"fcm unregistered", "fcm", androidToken, func(h *harness) {
			h.fcm.Update("alice-android", func(d *fcm.Device) { d.Unregistered = true })
		}, "404", "UNREGISTERED"},
		{"fcm throttled", "fcm", androidToken, func(h *harness) { h.fcm.SetThrottled(true) }, "429", "QUOTA_EXCEEDED"},
		{"fcm down", "fcm", androidToken, func(h *harness) { h.fcm.SetAvailable(false) }, "503", "UNAVAILABLE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, push.ServiceConfig{Available: true})
			h.apns.Register(apns.Device{Name: "alice-iphone", Token: iphoneToken})
			h.fcm.Register(fcm.Device{Name: "alice-android", Token: androidToken})
			if tc.setup != nil {
				tc.setup(h)
			}
			l := h.addPBX("pbx", certConfig("example.com", "1001"))
			h.start(l)
			h.run(l, l.client.Post(push.Post{Src: "9", Token: tc.token, Platform: tc.platform, Type: "call"}))
			if len(h.done) != 1 || h.done[0].Err != tc.err {
				t.Fatalf("done %+v, want err %s; events %v", h.done, tc.err, h.names())
			}
			if h.count(push.EventForwarded, "platform="+tc.platform, "status="+tc.status) != 1 || len(h.delivered) != 0 {
				t.Fatalf("events %v", h.names())
			}
		})
	}
}

func TestUnknownPlatformRejected(t *testing.T) {
	h := newHarness(t, push.ServiceConfig{Available: true})
	l := h.addPBX("pbx", certConfig("example.com", "1001"))
	h.start(l)
	h.run(l, l.client.Post(push.Post{Src: "2", Token: "t", Platform: "hms", Type: "call"}))
	if len(h.done) != 1 || h.done[0].Err != push.RejectUnknownPlatform || h.count(push.EventRejected, "reason=unknown_platform") != 1 {
		t.Fatalf("done %+v events %v", h.done, h.names())
	}
}

func TestVendorErrorFallback(t *testing.T) {
	tests := []struct {
		platform string
		resp     push.HTTPResponse
		want     string
	}{
		{"apns", push.HTTPResponse{Status: 200}, ""},
		{"apns", push.HTTPResponse{Status: 500, Body: []byte("<html>")}, "http_500"},
		{"fcm", push.HTTPResponse{Status: 401, Body: []byte(`{"error":{"code":401,"status":"UNAUTHENTICATED"}}`)}, "UNAUTHENTICATED"},
		{"fcm", push.HTTPResponse{Status: 502}, "http_502"},
	}
	for _, tc := range tests {
		if got := push.VendorError(tc.platform, tc.resp); got != tc.want {
			t.Errorf("%s %d: %q, want %q", tc.platform, tc.resp.Status, got, tc.want)
		}
	}
}

func BenchmarkPushEndToEnd(b *testing.B) {
	h := newHarness(b, push.ServiceConfig{Available: true})
	h.apns.Register(apns.Device{Name: "alice-iphone", Token: iphoneToken})
	l := h.addPBX("pbx", certConfig("example.com", "1001"))
	h.start(l)
	key, _ := push.NewKey("k", seeded(1))
	post := push.Post{Src: "1", Token: iphoneToken, Platform: "apns", Type: "call", Details: push.Details{Number: "201", Name: "Bob"}, Key: &key}
	b.ReportAllocs()
	for b.Loop() {
		h.events, h.delivered, h.done, h.serviceSaw, h.vendorSaw = h.events[:0], h.delivered[:0], h.done[:0], h.serviceSaw[:0], h.vendorSaw[:0]
		h.run(l, l.client.Post(post))
		if len(h.done) != 1 || h.done[0].Err != "" {
			b.Fatalf("%+v", h.done)
		}
	}
}
