package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/push/apns"
	"github.com/callwake/callwake/push/fcm"
)

func TestAppCommandLine(t *testing.T) {
	base := []string{"app", "--gk", "127.0.0.1", "--alias", "alice"}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"help", []string{"app", "-h"}, exitOK, "--wake"},
		{"no os", base, exitUsage, `--os ""`},
		{"bad kind", append(base, "--os", "ios", "--kind", "desk"), exitUsage, "--kind"},
		{"bad wake", append(base, "--os", "ios", "--wake", "3s..1s"), exitUsage, "MIN <= MAX"},
		{"no key without session", append(base, "--os", "android", "--session", "none"), exitUsage, "needs --key"},
		{"bad key", append(base, "--os", "android", "--session", "none", "--key", "k:abc"), exitUsage, "ID:HEX"},
		{"unspecified listen", append(base, "--os", "ios", "--listen", "0.0.0.0:0"), exitUsage, "give the IP"},
		{"bad push mode", append(base, "--os", "android", "--kind", "mypbx", "--push-mode", "sometimes"), exitUsage, "--push-mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
			out := stderr.String()
			if code == exitOK {
				out = stdout.String()
			}
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d, want %d with %q in:\n%s", code, tt.code, tt.want, out)
			}
		})
	}
}

// The flags become the simulated app's settings.
func TestAppSettings(t *testing.T) {
	a, err := parseApp([]string{"--gk", "127.0.0.1", "--alias", "alice", "--os", "ios", "--wake", "1s..3s",
		"--answer-after", "busy", "--dnd", "--notifications=false", "--suspend", "5s", "--session", "127.0.0.9"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := a.nodeConfig()
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Core
	if c.Device != "alice-ios" || c.Kind != phone.KindMyApps || c.OS != phone.IOS || c.Wake != (phone.Latency{Min: time.Second, Max: 3 * time.Second}) ||
		c.Answer.Mode != phone.AnswerRejectBusy || c.Presence != phone.DND || c.IOS.NotificationsAllowed || c.Suspend != 5*time.Second ||
		!c.WebSocketSession || c.App != phone.Background {
		t.Errorf("core %+v", c)
	}
	if cfg.Session.String() != "127.0.0.9:443" || cfg.Vendor.Port() != 5223 || cfg.Platform != "apns" || !apns.ValidToken(cfg.Token) {
		t.Errorf("session %v vendor %v platform %s token %s", cfg.Session, cfg.Vendor, cfg.Platform, cfg.Token)
	}
	if tok := derivedToken("bob-pixel", phone.Android); !fcm.ValidToken(tok) || apns.ValidToken(tok) {
		t.Errorf("android token %q", tok)
	}
}

// TestAppStartAndVendorPort: --start sets the state the user left the app
// in, --vendor-port blocked the firewall the driver applies; bad values are
// usage errors.
func TestAppStartAndVendorPort(t *testing.T) {
	a, err := parseApp([]string{"--gk", "127.0.0.1", "--alias", "alice", "--os", "android", "--start", "logged_out", "--vendor-port", "blocked"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := a.nodeConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Core.App != phone.LoggedOut || !a.VendorBlocked {
		t.Errorf("app %q, vendor blocked %v", cfg.Core.App, a.VendorBlocked)
	}
	a, err = parseApp([]string{"--gk", "127.0.0.1", "--alias", "alice", "--os", "android"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg, _ := a.nodeConfig(); cfg.Core.App != phone.Background || a.VendorBlocked {
		t.Errorf("defaults: app %q, vendor blocked %v", cfg.Core.App, a.VendorBlocked)
	}
	for _, bad := range [][]string{{"--start", "asleep"}, {"--vendor-port", "closed"}} {
		if _, err := parseApp(append([]string{"--gk", "127.0.0.1", "--alias", "alice", "--os", "ios"}, bad...), &bytes.Buffer{}); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
