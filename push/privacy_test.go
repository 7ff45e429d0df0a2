package push_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/push/apns"
	"github.com/callwake/callwake/push/fcm"
)

const (
	iphoneToken  = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
	androidToken = "fcm-token_0123456789:abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ"
)

// TestPrivacyEndToEnd is B07: a push runs Client → Service → emulator →
// phone; no byte the service or the emulators handled holds the details in
// clear, and the phone decrypts them.
func TestPrivacyEndToEnd(t *testing.T) {
	secrets := []push.Details{
		{Number: "+4970312345678", Name: "Zacharias Quellmalz", Callflow: "fork-to-self-7731"},
		{Title: "Voicemail from Zacharias", Content: "Please call back about the Quellmalz contract"},
	}
	types := []string{push.TypeCall, push.TypeNotification}
	for _, platform := range []string{push.PlatformAPNs, push.PlatformFCM} {
		for i, details := range secrets {
			t.Run(platform+"/"+types[i], func(t *testing.T) {
				h := newHarness(t, push.ServiceConfig{Available: true})
				if err := h.apns.Register(apns.Device{Name: "alice-iphone", Token: iphoneToken}); err != nil {
					t.Fatal(err)
				}
				if err := h.fcm.Register(fcm.Device{Name: "alice-android", Token: androidToken}); err != nil {
					t.Fatal(err)
				}
				l := h.addPBX("pbx", certConfig("example.com", "1001"))
				h.start(l)
				key, err := push.NewKey("alice-k1", seeded(42))
				if err != nil {
					t.Fatal(err)
				}
				token, device := iphoneToken, "alice-iphone"
				if platform == push.PlatformFCM {
					token, device = androidToken, "alice-android"
				}
				h.run(l, l.client.Post(push.Post{Src: "1", Token: token, Platform: platform, Type: types[i], Details: details, Key: &key, User: "alice", Device: device}))

				if len(h.done) != 1 || h.done[0].Src != "1" || h.done[0].Err != "" {
					t.Fatalf("result %+v failed %+v events %v", h.done, h.failed, h.names())
				}
				if h.count(push.EventRequest, "user=alice", "type="+types[i]) != 1 ||
					h.count(push.EventForwarded, "platform="+platform, "status=200") != 1 ||
					h.count(push.EventDelivered, "device="+device) != 1 {
					t.Fatalf("events %v", h.names())
				}
				if len(h.serviceSaw) == 0 || len(h.vendorSaw) == 0 {
					t.Fatal("nothing recorded")
				}
				for _, f := range []string{details.Number, details.Name, details.Callflow, details.Title, details.Content} {
					if f == "" {
						continue
					}
					for _, needle := range []string{f, "Quellmalz", base64.StdEncoding.EncodeToString([]byte(f))} {
						if h.sawAny(needle) {
							t.Fatalf("%q visible to the service or the vendor", needle)
						}
					}
				}
				// The clear type is visible, as the documents say.
				if !h.sawAny(`"type":"` + types[i] + `"`) {
					t.Fatal("type not sent in clear")
				}
				if len(h.delivered) != 1 || h.delivered[0].Device != device {
					t.Fatalf("delivered %+v", h.delivered)
				}
				typ, got, err := push.OpenPhonePayload(h.delivered[0].Payload, &key)
				if err != nil || typ != types[i] || got != details {
					t.Fatalf("phone decrypts %q %+v (%v), want %+v", typ, got, err, details)
				}
				// A wrong key does not open it.
				other, _ := push.NewKey("alice-k1", seeded(43))
				if _, _, err := push.OpenPhonePayload(h.delivered[0].Payload, &other); err == nil {
					t.Fatal("wrong key decrypts")
				}
			})
		}
	}
}

// TestNoKeyTypeOnly is B08: without a key the push carries the type only.
func TestNoKeyTypeOnly(t *testing.T) {
	h := newHarness(t, push.ServiceConfig{Available: true})
	h.apns.Register(apns.Device{Name: "alice-iphone", Token: iphoneToken})
	l := h.addPBX("pbx", certConfig("example.com", "1001"))
	h.start(l)
	h.run(l, l.client.Post(push.Post{Src: "1", Token: iphoneToken, Platform: "apns", Type: "call",
		Details: push.Details{Number: "+4970312345678", Name: "Zacharias"}}))
	if len(h.delivered) != 1 {
		t.Fatalf("events %v", h.names())
	}
	if got := string(h.delivered[0].Payload); got != `{"type":"call"}` {
		t.Fatalf("payload %s", got)
	}
	if h.sawAny("4970312345678") || h.sawAny("Zacharias") {
		t.Fatal("details leaked without a key")
	}
	typ, d, err := push.OpenPhonePayload(h.delivered[0].Payload, nil)
	if err != nil || typ != "call" || d != (push.Details{}) {
		t.Fatalf("%q %+v %v", typ, d, err)
	}
}

func TestSealTamper(t *testing.T) {
	key, _ := push.NewKey("k", seeded(1))
	s, err := push.Seal(key, push.TypeCall, push.Details{Number: "201"}, seeded(2))
	if err != nil {
		t.Fatal(err)
	}
	// Same seed, same nonce and ciphertext: runs are reproducible.
	s2, _ := push.Seal(key, push.TypeCall, push.Details{Number: "201"}, seeded(2))
	if *s != *s2 {
		t.Fatal("sealing is not deterministic under a seeded source")
	}
	if _, err := push.Open(key, push.TypeNotification, s); err == nil {
		t.Fatal("type swap not detected")
	}
	bad := *s
	bad.Ciphertext = "AAAA" + bad.Ciphertext[4:]
	if _, err := push.Open(key, push.TypeCall, &bad); err == nil {
		t.Fatal("tampered ciphertext opens")
	}
	bad = *s
	bad.Nonce = "!!"
	if _, err := push.Open(key, push.TypeCall, &bad); err == nil || !strings.Contains(err.Error(), "nonce") {
		t.Fatalf("bad nonce: %v", err)
	}
	if _, err := push.Seal(key, "call", push.Details{}, strings.NewReader("short")); err == nil {
		t.Fatal("exhausted random source not reported")
	}
	if d, err := push.Open(key, push.TypeCall, s); err != nil || d.Number != "201" {
		t.Fatalf("%+v %v", d, err)
	}
}
