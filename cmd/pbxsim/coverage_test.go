package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCoverage runs `pbxsim coverage` on the library (every row covered:
// exit 0, the table on stdout), on one file (most rows uncovered: exit 1,
// the missing rows named), on a file citing an unknown row (exit 2) and
// without arguments (exit 2).
func TestCoverage(t *testing.T) {
	dir := t.TempDir()
	unknown := filepath.Join(dir, "unknown.yaml")
	src := "name: unknown\ncovers: [B09]\npbx: {users: [{name: bob, number: \"202\"}]}\n" +
		"devices: [{name: d, user: bob, kind: deskphone}]\nexpect: [{event: ras.rcf}]\n"
	if err := os.WriteFile(unknown, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	lib := filepath.Join("..", "..", "scenarios")
	one := filepath.Join(lib, "ras-keepalive.yaml")
	tests := []struct {
		name        string
		args        []string
		status      int
		stdout      []string
		stderr      string
		notInStdout string
	}{
		{"library", []string{"coverage", lib}, exitOK,
			[]string{"| Row | Behaviour | Scenarios |", "| B30 | RAS: discovery, registration, TTL, admission | ", "`ras-keepalive`", "of 29 rows covered."}, "", "**none**"},
		{"one file", []string{"coverage", one}, exitFailed,
			[]string{"| B30 | ", "| B01 | Push object connection, login and reconnection | **none** |", "1 scenarios; 1 of 29 rows covered."}, "no scenario covers B01, B02,", ""},
		{"unknown row", []string{"coverage", unknown}, exitUsage, nil, `unknown behaviour "B09" in covers`, ""},
		{"no files", []string{"coverage"}, exitUsage, nil, "usage: pbxsim coverage", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out, errOut := pbxsim(t, tt.args...)
			if status != tt.status {
				t.Fatalf("exit %d, want %d\n%s%s", status, tt.status, out, errOut)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(out, want) {
					t.Errorf("stdout lacks %q:\n%s", want, out)
				}
			}
			if tt.notInStdout != "" && strings.Contains(out, tt.notInStdout) {
				t.Errorf("stdout has %q:\n%s", tt.notInStdout, out)
			}
			if !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, errOut)
			}
		})
	}
}
