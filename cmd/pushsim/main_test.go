package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/callwake/callwake/internal/loopback"
	"github.com/callwake/callwake/push/pki"
)

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string // in stdout (0) or stderr
	}{
		{"help", []string{"-h"}, exitOK, "--vendor-down"},
		{"help command", []string{"help"}, exitOK, "Exit status"},
		{"no certificates", []string{}, exitUsage, "--cert and --key are required"},
		{"no device CA", []string{"--cert", "a", "--key", "b"}, exitUsage, "--device-ca is required"},
		{"bad vendor", []string{"--test-pki", "x", "--vendor-down", "gcm"}, exitUsage, `--vendor-down "gcm"`},
		{"bad listen", []string{"--test-pki", "x", "--listen", "nowhere"}, exitUsage, "--listen"},
		{"bad role", []string{"--test-pki", "x", "--accept", "admin"}, exitUsage, "unknown certificate role"},
		{"bad registration", []string{"--test-pki", "x", "--registration", "nopassword"}, exitUsage, "SYSTEM=PASSWORD"},
		{"both PKIs", []string{"--test-pki", "x", "--cert", "a"}, exitUsage, "--test-pki makes its own"},
		{"stray argument", []string{"--test-pki", "x", "serve"}, exitUsage, "unexpected argument"},
		{"unreadable certificate", []string{"--cert", "/nonexistent/c.pem", "--key", "/nonexistent/k.pem", "--device-ca", "x"}, exitFailed, "--cert/--key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, &stdout, &stderr)
			}
			out := stderr.String()
			if code == exitOK {
				out = stdout.String()
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, out)
			}
		})
	}
}

// A port already taken: pushsim says which and exits 1.
func TestPortTaken(t *testing.T) {
	ip := loopback.Addr()
	ln, err := net.Listen("tcp", netip.AddrPortFrom(ip, 8444).String())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--test-pki", filepath.Join(t.TempDir(), "pki"),
		"--listen", netip.AddrPortFrom(ip, 8443).String(), "--apns", netip.AddrPortFrom(ip, 8444).String(),
		"--fcm", netip.AddrPortFrom(ip, 8445).String(), "--duration", "20s", "--log-format", "json"}, &stdout, &stderr)
	if code != exitFailed || !strings.Contains(stderr.String(), "pushsim: apns emulator: listen tcp "+netip.AddrPortFrom(ip, 8444).String()) {
		t.Errorf("exit %d, stderr %s; want 1 naming the apns emulator's address", code, &stderr)
	}
}

// pushsim as its own process: SIGTERM stops it cleanly (exit 0) and it
// writes --json on the way out.
func TestProcessStopsOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes")
	}
	bin, err := pushsimBinary()
	if err != nil {
		t.Fatal(err)
	}
	ip := loopback.Addr()
	dir := t.TempDir()
	out := &syncBuffer{}
	cmd := exec.Command(bin, "--test-pki", filepath.Join(dir, "pki"), "--listen", netip.AddrPortFrom(ip, 8443).String(),
		"--apns", netip.AddrPortFrom(ip, 8444).String(), "--fcm", netip.AddrPortFrom(ip, 8445).String(),
		"--json", filepath.Join(dir, "run.json"), "--log-format", "json")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	waitFor(t, "pushsim listening", 20*time.Second, func() bool { return strings.Count(out.String(), "listening on") == 5 })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, out)
		}
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("pushsim did not stop on SIGTERM\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "run.json")); err != nil {
		t.Errorf("--json: %v", err)
	}
	if !strings.Contains(out.String(), `"level":"info"`) {
		t.Errorf("no JSON log lines on stderr:\n%s", out)
	}
}

// --metrics serves Prometheus counters of the service's events.
func TestMetrics(t *testing.T) {
	ip := loopback.Addr()
	addr := netip.AddrPortFrom(ip, 9100).String()
	ps := startPushsim(t, "--metrics", addr)
	// A customer's certificate: the service records push.rejected.
	set, err := pki.NewSet(time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := set.IssuePBX(pki.RoleOwn, 9, "pbx.example")
	if err != nil {
		t.Fatal(err)
	}
	c := leaf.TLSCertificate()
	w := startWorldWith(t, ps, []appUser{{"kim", "201", "kim-iphone", "ios"}}, worldOptions{cert: &c})
	waitFor(t, "the Push object refused", 15*time.Second, func() bool { return w.has("pbx.push_disconnected") })
	var body string
	waitFor(t, "a counter of the refusal", 10*time.Second, func() bool {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return strings.Contains(body, `pushsim_events_total{event="push.rejected"}`)
	})
	if !strings.Contains(body, "go_goroutines") {
		t.Errorf("no Go runtime metrics:\n%s", body)
	}
}
