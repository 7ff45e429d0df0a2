package phone

import (
	"github.com/callwake/callwake/node"
	"testing"
	"time"
)

// TestPhoneSettingActions: settings changed by timed actions take effect
// for the next push (B26 default softphone, B08 key path).
func TestPhoneSettingActions(t *testing.T) {
	dev := "alice-android"
	t.Run("B26 deselecting the default softphone stops the push from starting the app", func(t *testing.T) {
		p, err := New(android(KindMyApps, func(c *Config) { c.App = Closed }), nil)
		if err != nil {
			t.Fatal(err)
		}
		run(t, p, []step{
			{Start{}, nil},
			{DefaultSoftphoneChanged{Default: false}, nil},
			{callPush, []Effect{rec("push.dropped", "device", dev, "reason", "not_default")}},
			{DefaultSoftphoneChanged{Default: true}, nil},
			{callPush, []Effect{
				rec("push.delivered", "device", dev),
				rec("app.started", "device", dev, "reason", "push"),
				node.SetTimer{ID: wake.Node(), After: time.Second},
			}},
		})
	})
	t.Run("B08 without a key path the call shows without number or name", func(t *testing.T) {
		p, err := New(android(KindMyApps, nil), nil)
		if err != nil {
			t.Fatal(err)
		}
		run(t, p, []step{
			{Start{}, nil},
			{KeyPathChanged{}, nil},
			{callPush, []Effect{
				rec("push.delivered", "device", dev),
				rec("app.started", "device", dev, "reason", "push"),
				node.SetTimer{ID: wake.Node(), After: time.Second},
			}},
			{TimerFired{wake}, []Effect{StartRegistration{TTL: 60 * time.Second}}},
			{RegistrationConfirmed{}, []Effect{node.SetTimer{ID: idleTimer.Node(), After: DefaultSuspendAndroid}}},
			{setup, []Effect{node.CancelTimer{ID: idleTimer.Node()}, ringing(dev, "", "", true, false), SendAlerting{1}, node.SetTimer{ID: answer1.Node(), After: 3 * time.Second}}},
		})
	})
}
