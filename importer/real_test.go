package importer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callwake/callwake/scenario"
)

// realCaptures returns the shared captures of real stacks, skipping
// without them locally and failing in CI.
func realCaptures(t *testing.T) []string {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join("..", "..", "shared", "captures", "*.pcapng"))
	if len(paths) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("shared captures missing in CI")
		}
		t.Skip("shared captures absent")
	}
	return paths
}

// TestRealCapturesImport imports every capture of real stacks: the
// scenario loads, runs, and its expectations pass; most of what was
// drafted from the capture is kept; no password is in it.
func TestRealCapturesImport(t *testing.T) {
	for _, path := range realCaptures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			res, err := Import(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			f, err := scenario.Parse("imported.yaml", res.YAML)
			if err != nil {
				t.Fatalf("does not load: %v\n%s", err, res.YAML)
			}
			r, err := scenario.Run(f, scenario.RunOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range scenario.Failed(r.Verdicts) {
				t.Errorf("expectation fails: %s", v)
			}
			t.Logf("%d messages: %d of %d expectations kept", res.Messages, res.Kept, res.Kept+res.Dropped)
			if res.Kept*2 < res.Kept+res.Dropped {
				t.Errorf("only %d of %d expectations drafted from the capture hold in the model:\n%s", res.Kept, res.Kept+res.Dropped, strings.Join(res.Misses, "\n"))
			}
			// The captures' H.235 password is "secret": hashes never give it away.
			if strings.Contains(string(res.YAML), `"secret"`) {
				t.Error("the scenario holds the capture's password")
			}
			if strings.Contains(string(res.YAML), "tokens") && !strings.Contains(string(res.YAML), "PLACEHOLDER") {
				t.Error("signed registrations but no password placeholder")
			}
		})
	}
}

// TestWhatTheRealCapturesSay checks what the import reads from the real
// captures the README describes.
func TestWhatTheRealCapturesSay(t *testing.T) {
	dir := filepath.Dir(realCaptures(t)[0])
	tests := []struct {
		file string
		want []string
	}{
		// H323Plus with a wrong password: a placeholder for the user, another
		// one for the device.
		{"simph323-gnugk-wrong-password.pcapng", []string{`system_name: "GnuGk"`, `password: "REPLACE-ME-password-of-alice"`,
			`password: "REPLACE-ME-not-the-password-of-alice"`}},
		// phonesim 201 calls phonesim 202 through GnuGk: the call, the
		// callee's answer after 1 s and the caller's hang-up.
		{"phonesim-gnugk-phonesim-call.pcapng", []string{`from: "alice-`, `to: "202"`, "hangup_after: 3.001s", "answer: {after: 1.001s}"}},
		// Call signalling on the ports the RRQs announce (1721, 1729).
		{"phonesim-calls-simph323.pcapng", []string{"answer: {after: 39ms}", `to: "202"`}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res, err := Import(filepath.Join(dir, tt.file), Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(res.YAML), w) {
					t.Errorf("scenario lacks %q:\n%s", w, res.YAML)
				}
			}
		})
	}
}

// TestImportIsDeterministic: the same capture gives the same file.
func TestImportIsDeterministic(t *testing.T) {
	path := filepath.Join("..", "testdata", "call-cause18.pcap")
	a, err := Import(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		b, err := Import(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if string(a.YAML) != string(b.YAML) {
			t.Fatalf("two imports of one capture differ:\n%s\n---\n%s", a.YAML, b.YAML)
		}
	}
}

// TestUserAndDevice: an endpoint's h323-IDs name its user and, when it has
// another, the device (the model may register devices with both).
func TestUserAndDevice(t *testing.T) {
	tests := []struct {
		ids          []string
		user, device string
	}{
		{nil, "", ""},
		{[]string{"alice"}, "alice", ""},
		{[]string{"alice", "alice-iphone"}, "alice", "alice-iphone"},
		{[]string{"alice-iphone", "alice"}, "alice", "alice-iphone"},
		{[]string{"alice", "alicex"}, "alice", "alicex"}, // no separator: the first is the user's
		{[]string{"desk-7", "bob"}, "desk-7", "bob"},
	}
	for _, tt := range tests {
		if u, d := userAndDevice(tt.ids); u != tt.user || d != tt.device {
			t.Errorf("userAndDevice(%q) = %q, %q; want %q, %q", tt.ids, u, d, tt.user, tt.device)
		}
	}
}
