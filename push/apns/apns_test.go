package apns_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/push/apns"
)

const (
	topic = "com.example.softphone.voip"
	token = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
	msgID = "0c0ffee0-0000-4000-8000-000000000001"
)

// The provider of the tests: a key drawn from a fixed stream, and the time
// requests are handled at.
var (
	provider = func() push.APNsProvider {
		key, err := push.NewAPNsProviderKey(bytes.NewReader(bytes.Repeat([]byte{7}, 32)))
		if err != nil {
			panic(err)
		}
		return push.APNsProvider{Key: key, KeyID: "ABC123DEFG", TeamID: "DEF123GHIJ"}
	}()
	now0 = time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)
)

func newEmulator(t testing.TB) *apns.Emulator {
	e, err := apns.New(apns.Config{Topic: topic, Available: true,
		ProviderKey: &provider.Key.PublicKey, KeyID: provider.KeyID, TeamID: provider.TeamID})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Register(apns.Device{Name: "alice-iphone", Token: token}); err != nil {
		t.Fatal(err)
	}
	return e
}

func goodRequest(body string) push.HTTPRequest {
	return push.NewAPNsRequest("com.example.softphone", token, msgID, bearer(provider, now0), push.PhonePayload{Type: body})
}

// bearer is the authorization value of p's token issued at iat.
func bearer(p push.APNsProvider, iat time.Time) string {
	jwt, err := push.NewProviderToken(p, iat)
	if err != nil {
		panic(err)
	}
	return "bearer " + jwt
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
			resp, effs := e.Handle(now0, tc.req())
			if resp.Status != tc.status || string(resp.Body) != `{"reason":"`+tc.reason+`"}` {
				t.Fatalf("got %d %s, want %d %s", resp.Status, resp.Body, tc.status, tc.reason)
			}
			if effs != nil {
				t.Fatalf("effects on error: %#v", effs)
			}
		})
	}
}

// TestProviderAuthentication: APNs' rules for provider tokens (package doc).
func TestProviderAuthentication(t *testing.T) {
	other, err := push.NewAPNsProviderKey(bytes.NewReader(bytes.Repeat([]byte{9}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	forged := provider
	forged.Key = other
	wrongKid, wrongTeam := provider, provider
	wrongKid.KeyID, wrongTeam.TeamID = "ZZZ123DEFG", "ZZZ123GHIJ"
	good := goodRequest("call")
	unsigned := func(auth string) push.HTTPRequest { return with(good, "authorization", auth) }
	jwt := strings.TrimPrefix(bearer(provider, now0), "bearer ")
	parts := strings.Split(jwt, ".")
	tests := []struct {
		name   string
		req    push.HTTPRequest
		at     time.Time
		status int
		reason string
	}{
		{"no token", without(good, "authorization"), now0, 403, "MissingProviderToken"},
		{"not bearer", unsigned("Basic " + jwt), now0, 403, "InvalidProviderToken"},
		{"another key", unsigned(bearer(forged, now0)), now0, 403, "InvalidProviderToken"},
		{"another kid", unsigned(bearer(wrongKid, now0)), now0, 403, "InvalidProviderToken"},
		{"another team", unsigned(bearer(wrongTeam, now0)), now0, 403, "InvalidProviderToken"},
		{"alg none", unsigned("bearer eyJhbGciOiJub25lIiwia2lkIjoiQUJDMTIzREVGRyJ9." + parts[1] + "."), now0, 403, "InvalidProviderToken"},
		{"signature of other claims", unsigned("bearer " + parts[0] + "." + strings.Split(strings.TrimPrefix(bearer(provider, now0.Add(time.Minute)), "bearer "), ".")[1] + "." + parts[2]), now0, 403, "InvalidProviderToken"},
		{"garbage", unsigned("bearer " + strings.Repeat("A.", 3000)), now0, 403, "InvalidProviderToken"},
		{"an hour and a second old", good, now0.Add(time.Hour + time.Second), 403, "ExpiredProviderToken"},
		{"issued two minutes ahead", good, now0.Add(-2 * time.Minute), 403, "InvalidProviderToken"},
	}
	for _, tc := range tests {
		// Each case on a fresh emulator, and on one that has just accepted
		// (and so remembers) the provider's valid token.
		for _, warm := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/after a valid token %v", tc.name, warm), func(t *testing.T) {
				e := newEmulator(t)
				if warm {
					if resp, _ := e.Handle(now0, good); resp.Status != 200 {
						t.Fatalf("valid token: %d %s", resp.Status, resp.Body)
					}
				}
				resp, effs := e.Handle(tc.at, tc.req)
				if resp.Status != tc.status || string(resp.Body) != `{"reason":"`+tc.reason+`"}` || effs != nil {
					t.Fatalf("got %d %s %v, want %d %s", resp.Status, resp.Body, effs, tc.status, tc.reason)
				}
			})
		}
	}
	t.Run("valid for an hour, refreshed no more often than every 20 minutes", func(t *testing.T) {
		e := newEmulator(t)
		for _, step := range []struct {
			at, iat time.Time
			status  int
		}{
			{now0, now0, 200},
			{now0.Add(time.Hour), now0, 200},                       // still valid
			{now0.Add(time.Hour), now0.Add(10 * time.Minute), 429}, // replaced after 10 minutes
			{now0.Add(time.Hour), now0.Add(30 * time.Minute), 200}, // after 30
			{now0.Add(time.Hour), now0, 200},                       // the older token is still valid
		} {
			resp, _ := e.Handle(step.at, with(good, "authorization", bearer(provider, step.iat)))
			if resp.Status != step.status {
				t.Fatalf("token of %v at %v: %d %s, want %d", step.iat.Sub(now0), step.at.Sub(now0), resp.Status, resp.Body, step.status)
			}
		}
	})
	t.Run("without a key everything is refused unless unauthenticated is configured", func(t *testing.T) {
		strict, _ := apns.New(apns.Config{Topic: topic, Available: true})
		if resp, _ := strict.Handle(now0, good); resp.Status != 403 {
			t.Fatalf("no key configured: %d", resp.Status)
		}
		open, _ := apns.New(apns.Config{Topic: topic, Available: true, Unauthenticated: true})
		if err := open.Register(apns.Device{Name: "alice-iphone", Token: token}); err != nil {
			t.Fatal(err)
		}
		if resp, _ := open.Handle(now0, without(good, "authorization")); resp.Status != 200 {
			t.Fatalf("unauthenticated emulator: %d %s", resp.Status, resp.Body)
		}
	})
}

func TestDeliverAndDrops(t *testing.T) {
	e := newEmulator(t)
	resp, effs := e.Handle(now0, goodRequest("call"))
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
	if _, effs = e.Handle(now0, goodRequest("call")); dropReason(effs) != apns.DropVendorUnreachable {
		t.Fatal("B20")
	}
	e.Update("alice-iphone", func(d *apns.Device) { d.VendorUnreachable, d.NotificationsDenied = false, true })
	if _, effs = e.Handle(now0, goodRequest("call")); dropReason(effs) != apns.DropNotificationsDenied {
		t.Fatal("B22 notifications")
	}
	e.Update("alice-iphone", func(d *apns.Device) { d.NotificationsDenied = false })
	// A VoIP push that is not a call is delivered once, then iOS stops
	// delivering VoIP pushes to the app (model choice, B22).
	if _, effs = e.Handle(now0, goodRequest("notification")); len(effs) != 2 || e.Penalized("alice-iphone") != true {
		t.Fatalf("non-call push: %#v", effs)
	}
	if _, effs = e.Handle(now0, goodRequest("call")); dropReason(effs) != apns.DropPushKitPenalty {
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
		if resp, _ := e.Handle(now0, req); resp.Status != 200 {
			b.Fatal(resp.Status)
		}
	}
}
