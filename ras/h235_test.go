package ras

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/callwake/callwake/h323/h225"
)

func TestH235(t *testing.T) {
	password, known := users(map[string]string{"alice": "s3cret"})
	// flipInRRQ changes the last octet of the endpoint's IPv4 address in
	// every full RRQ: the message still decodes, but the hash no longer fits.
	flipInRRQ := func(from string, s Send) []byte {
		if from != "ep" || s.Event != "ras.rrq" {
			return s.Payload
		}
		b := bytes.Clone(s.Payload)
		if i := bytes.Index(b, []byte{10, 0, 0, 2}); i >= 0 {
			b[i+3] ^= 1
		}
		return b
	}
	tests := []struct {
		name   string
		ep     EndpointConfig
		gk     GatekeeperConfig
		script func(h *harness)
		want   []string
	}{
		{
			name: "H.235.1 with discovery: every message signed and checked",
			ep:   EndpointConfig{Alias: "alice", Password: "s3cret", Discover: true, KeepAlive: true},
			script: func(h *harness) {
				h.epEffects(h.ep.Register(h.now))
				h.advance(110 * time.Second)
				h.epEffects(h.ep.Admit(h.now, call1))
				h.epEffects(h.ep.Disengage(h.now, call1))
				h.epEffects(h.ep.Unregister(h.now))
			},
			want: []string{
				"   0.0s ep ras.grq seq=1", "   0.0s gk ras.gcf seq=1",
				"   0.0s ep ras.rrq seq=2", "   0.0s gk ras.rcf seq=2", "   0.0s ep Registered ep-0001 2m0s signal 10.0.0.1:1720",
				"   0.0s gk EndpointRegistered ep-0001 alice",
				" 108.0s ep ras.rrq seq=3 keepalive=true", " 108.0s gk ras.rcf seq=3",
				" 110.0s ep ras.arq seq=4", " 110.0s gk ras.acf seq=4", " 110.0s ep Admitted to 10.0.0.1:1720",
				" 110.0s ep ras.drq seq=5", " 110.0s gk ras.dcf seq=5", " 110.0s ep Disengaged ",
				" 110.0s ep ras.urq seq=6", " 110.0s gk ras.ucf seq=6", " 110.0s ep Unregistered urq",
				" 110.0s gk EndpointUnregistered ep-0001 urq",
			},
		},
		{
			name: "cryptoEPPwdHash (MD5) without discovery",
			ep:   EndpointConfig{Alias: "alice", Password: "s3cret", Authentication: AuthMD5, KeepAlive: true},
			script: func(h *harness) {
				h.epEffects(h.ep.Register(h.now))
				h.advance(110 * time.Second)
				h.epEffects(h.ep.Unregister(h.now))
			},
			want: []string{
				"   0.0s ep ras.rrq seq=1", "   0.0s gk ras.rcf seq=1", "   0.0s ep Registered ep-0001 2m0s signal 10.0.0.1:1720",
				"   0.0s gk EndpointRegistered ep-0001 alice",
				" 108.0s ep ras.rrq seq=2 keepalive=true", " 108.0s gk ras.rcf seq=2",
				" 110.0s ep ras.urq seq=3", " 110.0s gk ras.ucf seq=3", " 110.0s ep Unregistered urq",
				" 110.0s gk EndpointUnregistered ep-0001 urq",
			},
		},
		{
			name: "a GCF selecting MD5 makes the endpoint use cryptoEPPwdHash",
			ep:   EndpointConfig{Alias: "alice", Password: "s3cret", Discover: true},
			script: func(h *harness) {
				h.tamper = func(from string, s Send) []byte {
					m, err := Decode(s.Payload)
					if err != nil || m.Choice != h225.RasMessageGatekeeperRequest {
						return s.Payload
					}
					m.GatekeeperRequest.AlgorithmOIDs = m.GatekeeperRequest.AlgorithmOIDs[1:] // MD5 only
					return mustEncode(h.t, m)
				}
				h.epEffects(h.ep.Register(h.now))
				if h.ep.method != AuthMD5 {
					h.t.Errorf("endpoint signs with %v", h.ep.method)
				}
			},
			want: []string{
				"   0.0s ep ras.grq seq=1", "   0.0s gk ras.gcf seq=1",
				"   0.0s ep ras.rrq seq=2", "   0.0s gk ras.rcf seq=2", "   0.0s ep Registered ep-0001 2m0s signal 10.0.0.1:1720",
				"   0.0s gk EndpointRegistered ep-0001 alice",
			},
		},
		{
			name: "discovery without authentication for an alias that needs it: GRJ securityDenial",
			ep:   EndpointConfig{Alias: "alice", Discover: true},
			script: func(h *harness) {
				h.epEffects(h.ep.Register(h.now))
			},
			want: []string{
				"   0.0s ep ras.grq seq=1", "   0.0s gk ras.grj seq=1 reason=securityDenial",
				"   0.0s ep RegistrationFailed discoveryRejected",
			},
		},
		{
			name: "wrong password (H.235.1): RRJ securityDenial",
			ep:   EndpointConfig{Alias: "alice", Password: "guess", Discover: true},
			script: func(h *harness) {
				h.epEffects(h.ep.Register(h.now))
			},
			want: []string{
				"   0.0s ep ras.grq seq=1", "   0.0s gk ras.gcf seq=1",
				"   0.0s ep ras.rrq seq=2",
				`   0.0s gk record ras.security_error error="ras: token hash does not match (wrong password or altered message)"`,
				"   0.0s gk ras.rrj seq=2 reason=securityDenial", "   0.0s ep RegistrationFailed securityDenial",
			},
		},
		{
			name: "wrong password (MD5): RRJ securityDenial",
			ep:   EndpointConfig{Alias: "alice", Password: "guess", Authentication: AuthMD5},
			script: func(h *harness) {
				h.epEffects(h.ep.Register(h.now))
			},
			want: []string{
				"   0.0s ep ras.rrq seq=1",
				`   0.0s gk record ras.security_error error="ras: token hash does not match (wrong password or altered message)"`,
				"   0.0s gk ras.rrj seq=1 reason=securityDenial", "   0.0s ep RegistrationFailed securityDenial",
			},
		},
		{
			name: "no token at all: RRJ securityDenial",
			ep:   EndpointConfig{Alias: "alice"},
			script: func(h *harness) {
				h.epEffects(h.ep.Register(h.now))
			},
			want: []string{
				"   0.0s ep ras.rrq seq=1",
				`   0.0s gk record ras.security_error error="ras: no authentication token"`,
				"   0.0s gk ras.rrj seq=1 reason=securityDenial", "   0.0s ep RegistrationFailed securityDenial",
			},
		},
		{
			name: "clocks 30 s apart are still accepted",
			ep:   EndpointConfig{Alias: "alice", Password: "s3cret"},
			script: func(h *harness) {
				h.gkSkew = 30 * time.Second
				h.epEffects(h.ep.Register(h.now))
			},
			want: []string{
				"   0.0s ep ras.rrq seq=1", "   0.0s gk ras.rcf seq=1", "   0.0s ep Registered ep-0001 2m0s signal 10.0.0.1:1720",
				"   0.0s gk EndpointRegistered ep-0001 alice",
			},
		},
		{
			name: "stale timestamp (31 s): RRJ securityDenial",
			ep:   EndpointConfig{Alias: "alice", Password: "s3cret"},
			script: func(h *harness) {
				h.gkSkew = -31 * time.Second
				h.epEffects(h.ep.Register(h.now))
			},
			want: []string{
				"   0.0s ep ras.rrq seq=1",
				`   0.0s gk record ras.security_error error="ras: token timestamp outside the accepted window (31 s off)"`,
				"   0.0s gk ras.rrj seq=1 reason=securityDenial", "   0.0s ep RegistrationFailed securityDenial",
			},
		},
		{
			name: "an endpoint whose clock is 45 s fast: RRJ securityDenial (stale timestamp)",
			ep:   EndpointConfig{Alias: "alice", Password: "s3cret", ClockSkew: 45 * time.Second},
			script: func(h *harness) {
				h.epEffects(h.ep.Register(h.now))
			},
			want: []string{
				"   0.0s ep ras.rrq seq=1",
				`   0.0s gk record ras.security_error error="ras: token timestamp outside the accepted window (45 s off)"`,
				"   0.0s gk ras.rrj seq=1 reason=securityDenial", "   0.0s ep RegistrationFailed securityDenial",
			},
		},
		{
			name: "an endpoint whose clock is 20 s slow is still accepted",
			ep:   EndpointConfig{Alias: "alice", Password: "s3cret", ClockSkew: -20 * time.Second},
			script: func(h *harness) {
				h.epEffects(h.ep.Register(h.now))
			},
			want: []string{
				"   0.0s ep ras.rrq seq=1", "   0.0s gk ras.rcf seq=1", "   0.0s ep Registered ep-0001 2m0s signal 10.0.0.1:1720",
				"   0.0s gk EndpointRegistered ep-0001 alice",
			},
		},
		{
			name: "an endpoint set to MD5 offers only MD5 in its GRQ and signs with cryptoEPPwdHash",
			ep:   EndpointConfig{Alias: "alice", Password: "s3cret", Authentication: AuthMD5, Discover: true},
			script: func(h *harness) {
				h.tamper = func(from string, s Send) []byte {
					if m, err := Decode(s.Payload); err == nil && m.Choice == h225.RasMessageGatekeeperRequest {
						if oids := m.GatekeeperRequest.AlgorithmOIDs; len(oids) != 1 || !oids[0].Equal(OIDMD5()) {
							h.t.Errorf("GRQ offers %v, want MD5 only", oids)
						}
					}
					return s.Payload
				}
				h.epEffects(h.ep.Register(h.now))
				if h.ep.method != AuthMD5 {
					h.t.Errorf("endpoint signs with %v", h.ep.method)
				}
			},
			want: []string{
				"   0.0s ep ras.grq seq=1", "   0.0s gk ras.gcf seq=1",
				"   0.0s ep ras.rrq seq=2", "   0.0s gk ras.rcf seq=2", "   0.0s ep Registered ep-0001 2m0s signal 10.0.0.1:1720",
				"   0.0s gk EndpointRegistered ep-0001 alice",
			},
		},
		{
			name: "a replayed RRQ is refused, within the window and after it",
			ep:   EndpointConfig{Alias: "alice", Password: "s3cret"},
			script: func(h *harness) {
				var rrq []byte
				h.drop = func(from string, s Send) bool {
					if s.Event == "ras.rrq" && rrq == nil {
						rrq = s.Payload
					}
					return false
				}
				h.epEffects(h.ep.Register(h.now))
				h.advance(10 * time.Second)
				h.gkEffects(h.gk.HandleDatagram(h.now, epRAS, rrq))
				h.advance(40 * time.Second)
				h.gkEffects(h.gk.HandleDatagram(h.now, epRAS, rrq))
			},
			want: []string{
				"   0.0s ep ras.rrq seq=1", "   0.0s gk ras.rcf seq=1", "   0.0s ep Registered ep-0001 2m0s signal 10.0.0.1:1720",
				"   0.0s gk EndpointRegistered ep-0001 alice",
				`  10.0s gk record ras.security_error error="ras: token accepted before (replay)"`,
				"  10.0s gk ras.rrj seq=1 reason=securityDenial", `  10.0s ep record ras.ignored why="no outstanding request"`,
				`  50.0s gk record ras.security_error error="ras: token timestamp outside the accepted window (50 s off)"`,
				"  50.0s gk ras.rrj seq=1 reason=securityDenial", `  50.0s ep record ras.ignored why="no outstanding request"`,
			},
		},
		{
			name: "a tampered RRQ is refused",
			ep:   EndpointConfig{Alias: "alice", Password: "s3cret"},
			script: func(h *harness) {
				h.tamper = flipInRRQ
				h.epEffects(h.ep.Register(h.now))
			},
			want: []string{
				"   0.0s ep ras.rrq seq=1",
				`   0.0s gk record ras.security_error error="ras: token hash does not match (wrong password or altered message)"`,
				"   0.0s gk ras.rrj seq=1 reason=securityDenial", "   0.0s ep RegistrationFailed securityDenial",
			},
		},
		{
			name: "a signing endpoint ignores an unsigned RCF",
			ep:   EndpointConfig{Alias: "bob", Password: "s3cret"},
			script: func(h *harness) {
				h.epEffects(h.ep.Register(h.now))
				h.advance(time.Minute)
			},
			want: []string{
				"   0.0s ep ras.rrq seq=1", "   0.0s gk ras.rcf seq=1",
				`   0.0s ep record ras.security_error error="ras: no authentication token"`,
				"   0.0s gk EndpointRegistered ep-0001 bob",
				"   3.0s ep ras.rrq seq=1 retry=1", "   3.0s gk ras.rcf seq=1",
				`   3.0s ep record ras.security_error error="ras: no authentication token"`,
				"   3.0s gk EndpointRegistered ep-0001 bob",
				"   6.0s ep ras.rrq seq=1 retry=2", "   6.0s gk ras.rcf seq=1",
				`   6.0s ep record ras.security_error error="ras: no authentication token"`,
				"   6.0s gk EndpointRegistered ep-0001 bob",
				// Giving up, the endpoint unregisters what the gatekeeper may hold.
				"   9.0s ep ras.urq seq=2 cleanup=true", "   9.0s gk ras.ucf seq=2",
				`   9.0s ep record ras.security_error error="ras: no authentication token"`,
				"   9.0s gk EndpointUnregistered ep-0001 urq",
				"   9.0s ep RegistrationFailed timeout",
				"  12.0s ep ras.urq seq=2 retry=1 cleanup=true", "  12.0s gk ras.urj seq=2 reason=notCurrentlyRegistered",
			},
		},
		{
			name: "a signing endpoint ignores an RCF altered in flight",
			ep:   EndpointConfig{Alias: "alice", Password: "s3cret"},
			script: func(h *harness) {
				h.tamper = func(from string, s Send) []byte {
					if from != "gk" {
						return s.Payload
					}
					b := bytes.Clone(s.Payload)
					if i := bytes.Index(b, []byte("e\x00p\x00-")); i >= 0 { // inside the BMPString "ep-0001"
						b[i+1] = 'X'
					}
					return b
				}
				h.epEffects(h.ep.Register(h.now))
			},
			want: []string{
				"   0.0s ep ras.rrq seq=1", "   0.0s gk ras.rcf seq=1",
				`   0.0s ep record ras.security_error error="ras: token hash does not match (wrong password or altered message)"`,
				"   0.0s gk EndpointRegistered ep-0001 alice",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gc := tc.gk
			gc.TimeToLive = 120 * time.Second
			gc.Password, gc.Known = password, known
			if tc.ep.Alias == "bob" {
				gc.Known = nil // bob is known but needs no password
			}
			h := newHarness(t, tc.ep, gc)
			tc.script(h)
			h.expectLog(tc.want...)
		})
	}
}

// TestTokenRoundTrip signs messages of each kind with both methods and checks
// that verification accepts them with the right password only.
func TestTokenRoundTrip(t *testing.T) {
	ep := Info{Alias: "alice", Number: "201", RASAddress: epRAS, CallSignalAddress: epCS, EndpointID: "ep-0001", GatekeeperID: "pbx"}
	now := epoch0.Add(time.Hour)
	messages := map[string]func() *h225.RasMessage{
		"rrq":             func() *h225.RasMessage { return NewRRQ(1, ep, true, time.Minute, false) },
		"lightweight rrq": func() *h225.RasMessage { return NewKeepAliveRRQ(2, ep, time.Minute) },
		"urq":             func() *h225.RasMessage { return NewURQ(3, ep) },
		"arq":             func() *h225.RasMessage { return NewARQ(4, ep, call1) },
		"drq":             func() *h225.RasMessage { return NewDRQ(5, ep, call1) },
		"rcf":             func() *h225.RasMessage { return NewRCF(6, "pbx", gkRAS, ep, time.Minute) },
		"acf":             func() *h225.RasMessage { return NewACF(7, 1280, gkRAS) },
	}
	for _, method := range []AuthMethod{AuthHMACSHA1, AuthMD5} {
		for name, build := range messages {
			t.Run(method.String()+" "+name, func(t *testing.T) {
				c := credentials{method: method, password: "pw", sendersID: "alice", generalID: "pbx", random: 9}
				raw, err := encodeSigned(build(), now, c)
				if err != nil {
					t.Fatal(err)
				}
				m, err := Decode(raw)
				if err != nil {
					t.Fatal(err)
				}
				info, err := verifyToken(m, now, "pw")
				if err != nil || info.sendersID != "alice" || info.method != method || info.timestamp != now.Unix() {
					t.Fatalf("verify = %+v, %v", info, err)
				}
				if _, err := verifyToken(m, now, "pW"); !errors.Is(err, ErrBadHash) {
					t.Fatalf("wrong password: %v", err)
				}
				if _, err := verifyToken(m, now.Add(TimestampWindow+time.Second), "pw"); !errors.Is(err, ErrStaleTimestamp) {
					t.Fatalf("late: %v", err)
				}
				// Re-encoding the decoded message gives the same octets.
				again, err := m.Marshal()
				if err != nil || !bytes.Equal(again, raw) {
					t.Fatalf("re-encoding differs: %v", err)
				}
			})
		}
	}
}

// TestTokenAttribute: every signed request names its token method in the
// timeline (B31); the GRQ and an endpoint without a password carry none.
func TestTokenAttribute(t *testing.T) {
	password, known := users(map[string]string{"alice": "s3cret"})
	tests := []struct {
		name string
		ep   EndpointConfig
		want []string // "event token" per request the endpoint sent
	}{
		{"H.235.1", EndpointConfig{Alias: "alice", Password: "s3cret", Discover: true},
			[]string{"ras.grq -", "ras.rrq hmac-sha1-96"}},
		{"cryptoEPPwdHash", EndpointConfig{Alias: "alice", Password: "s3cret", Discover: true, Authentication: AuthMD5},
			[]string{"ras.grq -", "ras.rrq md5"}},
		{"no password", EndpointConfig{Alias: "bob", Discover: true},
			[]string{"ras.grq -", "ras.rrq -"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gc := GatekeeperConfig{TimeToLive: 120 * time.Second, Password: password, Known: known}
			if tc.ep.Alias == "bob" {
				gc.Known = nil
			}
			h := newHarness(t, tc.ep, gc)
			var got []string
			h.tamper = func(from string, s Send) []byte {
				if from == "ep" {
					token := "-"
					for _, a := range s.Attrs {
						if a.Key == "token" {
							token = a.Value
						}
					}
					got = append(got, s.Event+" "+token)
				}
				return s.Payload
			}
			h.epEffects(h.ep.Register(h.now))
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
