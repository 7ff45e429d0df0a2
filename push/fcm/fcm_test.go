package fcm_test

import (
	"strings"
	"testing"

	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/push/fcm"
)

const (
	project = "callwake-test"
	bearer  = "ya29.test"
	token   = "fcm-token_0123456789:abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ"
)

func newEmulator(t testing.TB) *fcm.Emulator {
	e, err := fcm.New(fcm.Config{Project: project, AccessToken: bearer, Available: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Register(fcm.Device{Name: "alice-android", Token: token}); err != nil {
		t.Fatal(err)
	}
	return e
}

func goodRequest(typ string) push.HTTPRequest {
	return push.NewFCMRequest(project, bearer, token, push.PhonePayload{Type: typ})
}

func withBody(body string) push.HTTPRequest {
	r := goodRequest("call")
	r.Body = []byte(body)
	return r
}

func setHeader(r push.HTTPRequest, name, value string) push.HTTPRequest {
	h := []push.HeaderField{}
	for _, f := range r.Header {
		if f.Name != name {
			h = append(h, f)
		}
	}
	if value != "" {
		h = append(h, push.HeaderField{Name: name, Value: value})
	}
	r.Header = h
	return r
}

func TestHandleErrors(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(*fcm.Emulator)
		req       func() push.HTTPRequest
		status    int
		rpc, code string
	}{
		{"unavailable", func(e *fcm.Emulator) { e.SetAvailable(false) }, func() push.HTTPRequest { return goodRequest("call") }, 503, "UNAVAILABLE", "UNAVAILABLE"},
		{"method", nil, func() push.HTTPRequest { r := goodRequest("call"); r.Method = "PUT"; return r }, 404, "NOT_FOUND", ""},
		{"path", nil, func() push.HTTPRequest {
			r := goodRequest("call")
			r.Path = "/v1/projects/" + project + "/messages"
			return r
		}, 404, "NOT_FOUND", ""},
		{"no auth", nil, func() push.HTTPRequest { return setHeader(goodRequest("call"), "authorization", "") }, 401, "UNAUTHENTICATED", ""},
		{"wrong bearer", nil, func() push.HTTPRequest { return setHeader(goodRequest("call"), "authorization", "Bearer nope") }, 401, "UNAUTHENTICATED", ""},
		{"other project", nil, func() push.HTTPRequest {
			r := goodRequest("call")
			r.Path = "/v1/projects/other/messages:send"
			return r
		}, 403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH"},
		{"content type", nil, func() push.HTTPRequest { return setHeader(goodRequest("call"), "content-type", "text/plain") }, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"},
		{"bad JSON", nil, func() push.HTTPRequest { return withBody(`{"message":`) }, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"},
		{"unknown field", nil, func() push.HTTPRequest { return withBody(`{"message":{"token":"` + token + `","dta":{}}}`) }, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"},
		{"data not strings", nil, func() push.HTTPRequest { return withBody(`{"message":{"token":"` + token + `","data":{"n":1}}}`) }, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"},
		{"no message", nil, func() push.HTTPRequest { return withBody(`{}`) }, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"},
		{"trailing", nil, func() push.HTTPRequest { return withBody(`{"message":{"token":"` + token + `"}} {}`) }, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"},
		{"priority", nil, func() push.HTTPRequest {
			return withBody(`{"message":{"token":"` + token + `","android":{"priority":"urgent"}}}`)
		}, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"},
		{"too big", nil, func() push.HTTPRequest {
			return withBody(`{"message":{"token":"` + token + `","data":{"ct":"` + strings.Repeat("A", 4100) + `"}}}`)
		}, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"},
		{"malformed token", nil, func() push.HTTPRequest { return withBody(`{"message":{"token":"no spaces allowed"}}`) }, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"},
		{"unknown token", nil, func() push.HTTPRequest {
			return withBody(`{"message":{"token":"` + strings.Repeat("z", 40) + `"}}`)
		}, 404, "NOT_FOUND", "UNREGISTERED"},
		{"unregistered", func(e *fcm.Emulator) { e.Update("alice-android", func(d *fcm.Device) { d.Unregistered = true }) },
			func() push.HTTPRequest { return goodRequest("call") }, 404, "NOT_FOUND", "UNREGISTERED"},
		{"throttled", func(e *fcm.Emulator) { e.SetThrottled(true) }, func() push.HTTPRequest { return goodRequest("call") }, 429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEmulator(t)
			if tc.setup != nil {
				tc.setup(e)
			}
			resp, effs := e.Handle(tc.req())
			if resp.Status != tc.status || effs != nil {
				t.Fatalf("got %d %s %#v, want %d", resp.Status, resp.Body, effs, tc.status)
			}
			body := string(resp.Body)
			if !strings.Contains(body, `"status":"`+tc.rpc+`"`) || !strings.Contains(body, `"code":`) {
				t.Fatalf("body %s, want status %s", body, tc.rpc)
			}
			if tc.code != "" && !strings.Contains(body, `"errorCode":"`+tc.code+`"`) {
				t.Fatalf("body %s, want errorCode %s", body, tc.code)
			}
			if got := push.VendorError(push.PlatformFCM, resp); tc.code != "" && got != tc.code {
				t.Fatalf("VendorError %q, want %q", got, tc.code)
			}
		})
	}
}

func TestDeliverAndDrops(t *testing.T) {
	e := newEmulator(t)
	resp, effs := e.Handle(goodRequest("call"))
	if resp.Status != 200 || string(resp.Body) != `{"name":"projects/callwake-test/messages/1"}` {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	if len(effs) != 2 {
		t.Fatalf("%#v", effs)
	}
	if d := effs[1].(push.Deliver); d.Device != "alice-android" || string(d.Payload) != `{"type":"call"}` || d.Platform != "fcm" {
		t.Fatalf("%#v", d)
	}
	for _, tc := range []struct {
		change func(*fcm.Device)
		reason string
	}{
		{func(d *fcm.Device) { d.VendorUnreachable = true }, fcm.DropVendorUnreachable},
		{func(d *fcm.Device) { d.VendorUnreachable, d.HMSStale = false, true }, fcm.DropHMSStale},
	} {
		e.Update("alice-android", tc.change)
		_, effs := e.Handle(goodRequest("call"))
		if len(effs) != 1 {
			t.Fatalf("%#v", effs)
		}
		ev := effs[0].(push.Event)
		if r, _ := ev.Get("reason"); ev.Name != push.EventDropped || r != tc.reason {
			t.Fatalf("%#v, want %s", ev, tc.reason)
		}
	}
	// validate_only checks without delivering.
	e.Update("alice-android", func(d *fcm.Device) { d.HMSStale = false })
	r := withBody(`{"validate_only":true,"message":{"token":"` + token + `","data":{"type":"call"}}}`)
	if resp, effs := e.Handle(r); resp.Status != 200 || effs != nil {
		t.Fatalf("validate_only: %d %#v", resp.Status, effs)
	}
}

func TestConfigAndRegister(t *testing.T) {
	if _, err := fcm.New(fcm.Config{Project: "a/b"}); err == nil {
		t.Fatal("bad project accepted")
	}
	e := newEmulator(t)
	if err := e.Register(fcm.Device{Name: "x", Token: "short"}); err == nil {
		t.Fatal("bad token registered")
	}
	if err := e.Register(fcm.Device{Name: "y", Token: token}); err == nil {
		t.Fatal("duplicate token registered")
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

// TestBearerRequired: without a configured access token every request is
// refused, whatever bearer it carries, unless the emulator is configured
// unauthenticated; a bearer that is a prefix or an extension of the right
// one is refused.
func TestBearerRequired(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cfg    fcm.Config
		auth   string
		status int
	}{
		{"no token configured", fcm.Config{Project: project, Available: true}, "Bearer anything", 401},
		{"no token configured, empty bearer", fcm.Config{Project: project, Available: true}, "Bearer ", 401},
		{"unauthenticated", fcm.Config{Project: project, Available: true, Unauthenticated: true}, "", 200},
		{"prefix", fcm.Config{Project: project, AccessToken: bearer, Available: true}, "Bearer " + bearer[:len(bearer)-1], 401},
		{"extension", fcm.Config{Project: project, AccessToken: bearer, Available: true}, "Bearer " + bearer + "x", 401},
		{"scheme in lower case", fcm.Config{Project: project, AccessToken: bearer, Available: true}, "bearer " + bearer, 200},
		{"right", fcm.Config{Project: project, AccessToken: bearer, Available: true}, "Bearer " + bearer, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := fcm.New(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Register(fcm.Device{Name: "alice-android", Token: token}); err != nil {
				t.Fatal(err)
			}
			if resp, _ := e.Handle(setHeader(goodRequest("call"), "authorization", tc.auth)); resp.Status != tc.status {
				t.Fatalf("%d %s, want %d", resp.Status, resp.Body, tc.status)
			}
		})
	}
}
