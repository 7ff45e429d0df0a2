package push_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/push/apns"
)

// authorizations returns the authorization headers the emulators were sent.
func (h *harness) authorizations() []string {
	var out []string
	for _, b := range h.vendorSaw {
		if v, ok := strings.CutPrefix(string(b), "authorization: "); ok {
			out = append(out, v)
		}
	}
	return out
}

// TestServiceSignsAPNsProviderTokens: the service authenticates to APNs
// with a provider token of its configured key, issued at the time of the
// input, kept for APNsTokenRefresh and then replaced; the tokens are the same
// on every run (deterministic signatures).
func TestServiceSignsAPNsProviderTokens(t *testing.T) {
	run := func() []string {
		h := newHarness(t, push.ServiceConfig{Available: true})
		h.apns.Register(apns.Device{Name: "alice-iphone", Token: iphoneToken})
		l := h.addPBX("pbx", certConfig("example.com", "1001"))
		h.start(l)
		start := h.now
		for i, after := range []time.Duration{0, 10 * time.Minute, 49 * time.Minute, 50 * time.Minute, 99 * time.Minute} {
			h.now = start.Add(after)
			h.run(l, l.client.Post(push.Post{Src: string(rune('a' + i)), Token: iphoneToken, Platform: "apns", Type: "call"}))
		}
		for _, d := range h.done {
			if d.Err != "" {
				t.Fatalf("push failed: %+v", h.done)
			}
		}
		return h.authorizations()
	}
	auths := run()
	if len(auths) != 5 {
		t.Fatalf("%d authorization headers, want 5", len(auths))
	}
	start := time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)
	wantIssued := []time.Duration{0, 0, 0, 50 * time.Minute, 50 * time.Minute}
	for i, a := range auths {
		jwt, ok := strings.CutPrefix(a, "bearer ")
		if !ok {
			t.Fatalf("authorization %q", a)
		}
		claims, err := push.VerifyProviderToken(jwt, &testProvider.Key.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		if claims.KeyID != testProvider.KeyID || claims.TeamID != testProvider.TeamID || !claims.IssuedAt.Equal(start.Add(wantIssued[i])) {
			t.Errorf("push %d: %+v, want issued at +%v", i, claims, wantIssued[i])
		}
	}
	if auths[0] != auths[2] || auths[2] == auths[3] {
		t.Error("the token is not kept for 50 minutes, or not replaced after")
	}
	again := run()
	for i := range auths {
		if auths[i] != again[i] {
			t.Fatalf("push %d: the token differs between runs", i)
		}
	}
}

// A service that was never told the time cannot sign, and does not send an
// unsigned request instead.
func TestServiceWithoutTimeSendsNoAPNsRequest(t *testing.T) {
	svc, err := push.NewService(push.ServiceConfig{Available: true, APNsBundle: testBundle, APNsProvider: testProvider}, seeded(1))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, push.ServiceConfig{Available: true})
	h.svc = svc
	h.now = time.Time{}
	h.apns.Register(apns.Device{Name: "alice-iphone", Token: iphoneToken})
	l := h.addPBX("pbx", certConfig("example.com", "1001"))
	h.start(l)
	h.run(l, l.client.Post(push.Post{Src: "1", Token: iphoneToken, Platform: "apns", Type: "call"}))
	if len(h.authorizations()) != 0 || len(h.done) != 1 || h.done[0].Err == "" {
		t.Fatalf("done %+v, sent %v", h.done, h.authorizations())
	}
}

func TestProviderTokenForm(t *testing.T) {
	iat := time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)
	jwt, err := push.NewProviderToken(*testProvider, iat)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := push.VerifyProviderToken(jwt, &testProvider.Key.PublicKey); err != nil {
		t.Fatal(err)
	}
	// Any change of a signed part breaks the signature.
	for i := range jwt {
		if jwt[i] == '.' {
			continue
		}
		b := []byte(jwt)
		b[i] ^= 1
		if _, err := push.VerifyProviderToken(string(b), &testProvider.Key.PublicKey); err == nil {
			// Flipping the low bit of the last base64 character may only
			// change unused bits, which strict decoding refuses anyway.
			t.Fatalf("altered at %d: accepted", i)
		}
	}
	other, _ := push.NewAPNsProviderKey(bytes.NewReader(bytes.Repeat([]byte{4}, 32)))
	if _, err := push.VerifyProviderToken(jwt, &other.PublicKey); !errors.Is(err, push.ErrProviderToken) {
		t.Fatalf("another key: %v", err)
	}
}
