package report

import (
	"strings"
	"testing"

	"github.com/callwake/callwake/timeline"
)

func TestDecodeWire(t *testing.T) {
	events := handTimeline(t)
	find := func(name string) *timeline.Wire {
		for _, e := range events {
			if e.Name == name && e.Wire != nil {
				return e.Wire
			}
		}
		t.Fatalf("no %s in the hand-built timeline", name)
		return nil
	}
	tests := []struct {
		name string
		wire *timeline.Wire
		want []string
	}{
		{"rrq", find("ras.rrq"), []string{"RasMessage", "RegistrationRequest:", "RequestSeqNum: 1", "ProtocolIdentifier: 0.0.8.2250.0."}},
		{"setup", find("q931.setup"), []string{"Q.931 SETUP (0x05)", "Called party number (0x70)", "User-user (0x7e)", "Setup:", "ConferenceGoal: alternative 1", "ConferenceID: 04050600"}},
		{"release", find("q931.release_complete"), []string{"Q.931 RELEASE COMPLETE", "Cause (0x08)", "Value: normal_call_clearing"}},
		{"push json", find("push.request"), []string{`"mt": "PushNotifyPost"`}},
		{"garbage ras", &timeline.Wire{Protocol: "ras", Payload: []byte{0xff, 0xff}}, []string{"does not decode"}},
		{"garbage q931", &timeline.Wire{Protocol: "q931", Payload: []byte{0x08}}, []string{"does not decode"}},
		{"binary push", &timeline.Wire{Protocol: "push", Payload: []byte{0xff, 0x00}}, []string{"00000000  ff 00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DecodeWire(tt.wire)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("decoded text lacks %q:\n%s", w, got)
				}
			}
		})
	}
	if DecodeWire(nil) != "" {
		t.Error("nil wire gave text")
	}
}
