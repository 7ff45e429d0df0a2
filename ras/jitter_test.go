package ras

import (
	"bytes"
	"testing"
	"time"

	"github.com/callwake/callwake/node"
)

// retransmitDelays registers an endpoint whose Random is seed, lets every timer run out and
// returns the delays it armed for its RRQ copies and its final give-up.
func retransmitDelays(t *testing.T, seed []byte, exact bool) []time.Duration {
	t.Helper()
	ep := NewEndpoint(EndpointConfig{Alias: "alice", RASAddress: epRAS, CallSignalAddress: epCS, Gatekeeper: gkRAS,
		Random: bytes.NewReader(seed), ExactRetransmissions: exact})
	var delays []time.Duration
	now := epoch0
	effects := ep.Register(now)
	for range RequestRetries + 1 {
		var id node.TimerID
		for _, e := range effects {
			if st, ok := e.(node.SetTimer); ok && IsTimer(st.ID) {
				delays, id = append(delays, st.After), st.ID
				now = now.Add(st.After)
			}
		}
		if id == (node.TimerID{}) {
			t.Fatalf("no retransmission timer in %v", effects)
		}
		effects = ep.HandleTimer(now, TimerIDOf(id))
	}
	return delays
}

// TestRetransmissionsJittered: each retransmission timer of a request strays by up to
// ±10 % from its timeout, differently for each copy and each endpoint, the same for the
// same random source; ExactRetransmissions keeps exactly 3 s.
func TestRetransmissionsJittered(t *testing.T) {
	a := retransmitDelays(t, []byte{1, 2, 3, 4, 5, 6}, false)
	b := retransmitDelays(t, []byte{9, 8, 7, 6, 5, 4}, false)
	again := retransmitDelays(t, []byte{1, 2, 3, 4, 5, 6}, false)
	lo, hi := RequestTimeout*9/10, RequestTimeout*11/10
	for i, d := range a {
		if d < lo || d > hi {
			t.Errorf("delay %d is %v, want within %v..%v", i, d, lo, hi)
		}
		if d != again[i] {
			t.Errorf("delay %d: %v then %v from the same random source", i, d, again[i])
		}
	}
	if a[0] == a[1] || a[0] == b[0] {
		t.Errorf("delays not jittered: %v and %v", a, b)
	}
	for i, d := range retransmitDelays(t, []byte{1, 2, 3, 4, 5, 6}, true) {
		if d != RequestTimeout {
			t.Errorf("exact delay %d is %v, want %v", i, d, RequestTimeout)
		}
	}
}
