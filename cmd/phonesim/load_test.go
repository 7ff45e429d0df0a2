package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadCommand(t *testing.T) {
	gk := startGatekeeper(t).String()
	var stdout, stderr strings.Builder
	status := run(context.Background(), []string{"load", "--gk", gk, "--count", "12", "--first-number", "7000",
		"--rate", "200", "--duration", "2s"}, &stdout, &stderr)
	if status != exitOK {
		t.Fatalf("exit %d\n%s%s", status, stdout.String(), stderr.String())
	}
	for _, want := range []string{"endpoints 12, registrations 12", "registration time: p50 "} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}

	// The JSON report has the same counts.
	jsonPath := filepath.Join(t.TempDir(), "load.json")
	stdout.Reset()
	if status := run(context.Background(), []string{"load", "--gk", gk, "--count", "4", "--duration", "2s", "--json", jsonPath}, &stdout, &stderr); status != exitOK {
		t.Fatalf("--json: exit %d\n%s", status, stderr.String())
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Endpoints, Registrations int
		Shard                    string
		RegistrationMS           map[string]float64 `json:"registration_ms"`
	}
	if err := json.Unmarshal(b, &rep); err != nil || rep.Endpoints != 4 || rep.Registrations != 4 || rep.Shard != "0/1" ||
		rep.RegistrationMS["p50"] <= 0 || rep.RegistrationMS["max"] < rep.RegistrationMS["p50"] {
		t.Errorf("JSON report %s: %+v, %v", b, rep, err)
	}

	// Shard 0/4 of a population of 10 runs endpoints 0, 4 and 8.
	stdout.Reset()
	if status := run(context.Background(), []string{"load", "--gk", gk, "--count", "10", "--shard", "0/4", "--duration", "2s"}, &stdout, &stderr); status != exitOK ||
		!strings.Contains(stdout.String(), "endpoints 3, registrations 3") {
		t.Errorf("shard: exit %d\n%s", status, stdout.String())
	}
}

// TestLoadCommandFailures: endpoints the gatekeeper refuses make the run
// fail (exit 1) with the reason counted; bad flags are usage errors.
func TestLoadCommandFailures(t *testing.T) {
	gk := startGatekeeper(t).String()
	var stdout, stderr strings.Builder
	// The gatekeeper wants the password "secret" from aliases starting with
	// "alice": a population of alice0 with another password is refused.
	status := run(context.Background(), []string{"load", "--gk", gk, "--count", "1", "--alias-prefix", "alice",
		"--password", "wrong", "--duration", "200ms"}, &stdout, &stderr)
	if status != exitFailed || !strings.Contains(stdout.String(), "failed: 1 (securityDenial)") {
		t.Errorf("exit %d\n%s%s", status, stdout.String(), stderr.String())
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"load", "--gk", gk}, "--count"},
		{[]string{"load", "--gk", gk, "--count", "3", "--shard", "3/3"}, "shard"},
		{[]string{"load", "--gk", gk, "--count", "3", "--first-number", "12a"}, "--first-number"},
		{[]string{"load", "--gk", gk, "--count", "3", "--ip", "here"}, "--ip"},
		{[]string{"load", "--gk", gk, "--count", "3", "--rate", "-1"}, "negative"},
		{[]string{"load", "--count", "3"}, "--gk is required"},
	} {
		stderr.Reset()
		if status := run(context.Background(), tc.args, &stdout, &stderr); status != exitUsage || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, status, stderr.String(), tc.want)
		}
	}
}
