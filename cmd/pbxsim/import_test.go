package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportShippedCapture: import writes a scenario that validates and
// runs, and says on stderr what it wrote.
func TestImportShippedCapture(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ticket.yaml")
	var stdout, stderr strings.Builder
	if code := dispatch([]string{"import", shipped, "-o", out}, &stdout, &stderr); code != exitOK {
		t.Fatalf("import exit %d: %s", code, stderr.String())
	}
	if stdout.Len() != 0 || !strings.Contains(stderr.String(), "wrote "+out+": 2 devices, 1 calls, ") {
		t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
	}
	for _, cmd := range [][]string{{"validate", out}, {"run", out}} {
		var o, e strings.Builder
		if code := dispatch(cmd, &o, &e); code != exitOK {
			t.Errorf("%s: exit %d\n%s%s", cmd[0], code, o.String(), e.String())
		}
	}
	yaml, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`name: "call-cause18"`, `to: "2002"`, "PLACEHOLDER", "expect:"} {
		if !strings.Contains(string(yaml), want) {
			t.Errorf("scenario lacks %q:\n%s", want, yaml)
		}
	}
}

func TestImportCommandLine(t *testing.T) {
	dir := t.TempDir()
	notCapture := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notCapture, []byte("not a capture\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := pcapOfLinkType(t, 1)
	tests := []struct {
		name string
		args []string
		want int
		err  string
	}{
		{"no file", nil, exitUsage, "usage: pbxsim import"},
		{"two files", []string{shipped, shipped}, exitUsage, "usage: pbxsim import"},
		{"not a capture", []string{notCapture}, exitUsage, "not a pcap or pcapng capture"},
		{"nothing to import", []string{empty}, exitUsage, "holds no H.225.0 message"},
		{"to stdout with a name", []string{shipped, "--name", "ticket-42"}, exitOK, "wrote stdout"},
		{"help", []string{"-h"}, exitOK, "usage: pbxsim import"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			code := dispatch(append([]string{"import"}, tt.args...), &stdout, &stderr)
			where := stderr.String()
			if tt.name == "help" {
				where = stdout.String() // help asked for is an answer, not an error
			}
			if code != tt.want || !strings.Contains(where, tt.err) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", code, tt.want, stderr.String(), tt.err)
			}
			if tt.want == exitOK && len(tt.args) > 1 && !strings.Contains(stdout.String(), `name: "ticket-42"`) {
				t.Errorf("stdout lacks the scenario named ticket-42:\n%s", stdout.String())
			}
		})
	}
}
