package push_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/callwake/callwake/push"
)

func TestLoginDigestSDKVector(t *testing.T) {
	got := push.LoginDigest("pbxadminapi", "", "", "", "", nil, "0123456789abcdef", "pwd")
	const want = "a205299ed2ef2786c311e0be1b14db343f2cadd906a6ae7b564eee34bda5e9a1"
	if got != want {
		t.Fatalf("digest = %s, want %s", got, want)
	}
	// The info object, when present, is one more element of the string.
	withInfo := push.LoginDigest("pbxadminapi", "", "", "", "", []byte(`{"a":1}`), "0123456789abcdef", "pwd")
	if withInfo == got {
		t.Fatal("info does not change the digest")
	}
}

func TestEncodeExact(t *testing.T) {
	tests := []struct {
		name string
		msg  push.Message
		want string
	}{
		{"challenge", &push.AppChallenge{}, `{"mt":"AppChallenge"}`},
		{"challenge result", &push.AppChallengeResult{Challenge: "577fb2b83962c53a"}, `{"mt":"AppChallengeResult","challenge":"577fb2b83962c53a"}`},
		{"login", &push.AppLogin{App: "ws", Domain: "pbx.example.com", SIP: "push", GUID: "13192b1d", DN: "Push", Digest: "909a", Info: json.RawMessage(`{"cn":"Push"}`)},
			`{"mt":"AppLogin","app":"ws","domain":"pbx.example.com","sip":"push","guid":"13192b1d","dn":"Push","digest":"909a","info":{"cn":"Push"}}`},
		{"login ok", &push.AppLoginResult{OK: true}, `{"mt":"AppLoginResult","ok":true}`},
		{"login error", &push.AppLoginResult{Error: "digest"}, `{"mt":"AppLoginResult","error":"digest"}`},
		{"post", &push.PushNotifyPost{Src: "5", Token: "xxxxxxxxx"}, `{"mt":"PushNotifyPost","src":"5","token":"xxxxxxxxx"}`},
		{"post sealed", &push.PushNotifyPost{Src: "6", Token: "t", Platform: "fcm", Type: "call", Enc: &push.Sealed{KeyID: "k1", Nonce: "bm9uY2U=", Ciphertext: "Y3Q="}},
			`{"mt":"PushNotifyPost","src":"6","token":"t","platform":"fcm","type":"call","enc":{"kid":"k1","nonce":"bm9uY2U=","ct":"Y3Q="}}`},
		{"post result", &push.PushNotifyPostResult{Src: "5"}, `{"mt":"PushNotifyPostResult","src":"5"}`},
		{"post result err", &push.PushNotifyPostResult{Src: "5", Err: "BadDeviceToken"}, `{"mt":"PushNotifyPostResult","src":"5","err":"BadDeviceToken"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := push.Encode(tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Fatalf("got  %s\nwant %s", b, tc.want)
			}
			m, err := push.Decode(b)
			if err != nil {
				t.Fatalf("decode own encoding: %v", err)
			}
			if m.MessageType() != tc.msg.MessageType() {
				t.Fatalf("decoded %s, want %s", m.MessageType(), tc.msg.MessageType())
			}
			again, err := push.Encode(m)
			if err != nil || !bytes.Equal(again, b) {
				t.Fatalf("round trip: %s (%v), want %s", again, err, b)
			}
		})
	}
}

func TestDecodeRealSDKExample(t *testing.T) {
	// The login of the SDK's push protocol example, as a real PBX sends it.
	in := `{"mt":"AppLogin","sip":"push","guid":"13192b1d681c5e013aa40050569751d2","dn":"Push","digest":"909a756af923bfe2cd1acfc32a41a816b62ed4c435f5c505e112491b3f6de7de","domain":"pbx.example.com/master","app":"ws","info":{"appobj":"push","appurl":"https://push.example.net/push/ws","cn":"Push","unlicensed":true}}`
	m, err := push.Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	l := m.(*push.AppLogin)
	if l.Domain != "pbx.example.com/master" || l.DN != "Push" || !strings.Contains(string(l.Info), `"unlicensed":true`) {
		t.Fatalf("decoded %+v", l)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", ``, "bad JSON"},
		{"not JSON", `{"mt":`, "bad JSON"},
		{"array", `[1,2]`, "bad JSON"},
		{"no mt", `{"challenge":"x"}`, `no "mt"`},
		{"mt not string", `{"mt":5}`, "bad JSON"},
		{"unknown mt", `{"mt":"Hello"}`, "unknown message type"},
		{"challenge missing", `{"mt":"AppChallengeResult"}`, "without challenge"},
		{"challenge wrong type", `{"mt":"AppChallengeResult","challenge":7}`, "bad AppChallengeResult"},
		{"login no digest", `{"mt":"AppLogin","app":"ws"}`, "without digest"},
		{"login result empty", `{"mt":"AppLoginResult"}`, "neither ok nor error"},
		{"post no token", `{"mt":"PushNotifyPost","src":"1"}`, "without token"},
		{"post bad enc", `{"mt":"PushNotifyPost","token":"t","enc":{"kid":"k"}}`, "need kid, nonce and ct"},
		{"post enc wrong type", `{"mt":"PushNotifyPost","token":"t","enc":"x"}`, "bad PushNotifyPost"},
		{"too large", `{"mt":"AppChallenge","x":"` + strings.Repeat("a", push.MaxMessageSize) + `"}`, "exceeds"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := push.Decode([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want containing %q", err, tc.want)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	if _, err := push.Encode(nil); err == nil {
		t.Fatal("nil message encoded")
	}
	if _, err := push.Encode(&push.AppLogin{Digest: "d", Info: json.RawMessage(`{bad`)}); err == nil {
		t.Fatal("invalid info encoded")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"mt":"AppChallengeResult","challenge":"577fb2b83962c53a"}`))
	f.Add([]byte(`{"mt":"PushNotifyPost","src":"6","token":"t","enc":{"kid":"k1","nonce":"bm9uY2U=","ct":"Y3Q="}}`))
	f.Add([]byte(`{"mt":"AppLogin","digest":"d","info":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := push.Decode(data)
		if err != nil {
			return
		}
		b, err := push.Encode(m)
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		if _, err := push.Decode(b); err != nil {
			t.Fatalf("re-encoding does not decode: %v\n%s", err, b)
		}
	})
}

func BenchmarkEncodePost(b *testing.B) {
	m := &push.PushNotifyPost{Src: "6", Token: strings.Repeat("ab", 32), Platform: "apns", Type: "call", Enc: &push.Sealed{KeyID: "k1", Nonce: "bm9uY2U=", Ciphertext: strings.Repeat("Y3Q=", 30)}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := push.Encode(m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodePost(b *testing.B) {
	data, _ := push.Encode(&push.PushNotifyPost{Src: "6", Token: strings.Repeat("ab", 32), Platform: "apns", Type: "call", Enc: &push.Sealed{KeyID: "k1", Nonce: "bm9uY2U=", Ciphertext: strings.Repeat("Y3Q=", 30)}})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := push.Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}
