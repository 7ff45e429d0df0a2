package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRecord(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ticket.yaml")
	src := `name: ticket
pbx:
  users: [{name: bob, number: "202"}, {name: carol, number: "203"}]
devices:
  - {name: bob-desk, user: bob, kind: deskphone}
  - {name: carol-desk, user: carol, kind: deskphone, answer: {after: 1s}}
calls:
  - {at: 1s, from: bob-desk, to: "203"}
duration: 10s
expect: []
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		status int
		out    string
	}{
		{"draft", []string{"record", path}, exitOK, "  - event: q931.setup\n    from: \"bob-desk\"\n    to: \"pbx\"\n"},
		{"seed", []string{"record", path, "--seed", "7"}, exitOK, "- event: q931.connect"},
		{"no file", []string{"record"}, exitUsage, ""},
		{"two files", []string{"record", path, path}, exitUsage, ""},
		{"missing file", []string{"record", filepath.Join(dir, "none.yaml")}, exitUsage, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := dispatch(tt.args, &stdout, &stderr); got != tt.status {
				t.Fatalf("status %d, want %d; stderr: %s", got, tt.status, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.out) {
				t.Errorf("output lacks %q:\n%s", tt.out, stdout.String())
			}
		})
	}
}
