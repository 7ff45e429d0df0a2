package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// pbxsim runs the command line in-process and returns its exit status and
// output.
func pbxsim(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	status := dispatch(args, &stdout, &stderr)
	return status, stdout.String(), stderr.String()
}

func TestRunLibraryPasses(t *testing.T) {
	status, out, errOut := pbxsim(t, "run", filepath.Join("..", "..", "scenarios"))
	if status != exitOK {
		t.Fatalf("exit %d\n%s%s", status, out, errOut)
	}
	if !strings.Contains(out, "PASS") || strings.Contains(out, "FAIL") {
		t.Errorf("summary:\n%s", out)
	}
}

// failLine matches a failed expectation as `run` prints it.
var failLine = regexp.MustCompile(`^FAIL (\S+):(\d+):\d+: `)

// markedLines returns the lines of the expectation items that follow a
// "# MUST FAIL" comment.
func markedLines(t *testing.T, path string) []int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var marked []int
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == "# MUST FAIL" {
			if i+1 >= len(lines) || !strings.HasPrefix(strings.TrimSpace(lines[i+1]), "- ") {
				t.Fatalf("%s:%d: MUST FAIL is not followed by an expectation item", path, i+1)
			}
			marked = append(marked, i+2)
		}
	}
	if len(marked) == 0 {
		t.Fatalf("%s: no # MUST FAIL marker", path)
	}
	return marked
}

// TestMustFail runs each variant of testdata/must-fail: the world is broken
// on purpose, so `run` must exit 1 (failed expectation, not a load error)
// and exactly the marked expectations must be the ones that fail.
func TestMustFail(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "must-fail", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no must-fail variants: %v", err)
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".yaml"), func(t *testing.T) {
			want := markedLines(t, path)
			status, out, errOut := pbxsim(t, "run", path)
			if status != exitFailed {
				t.Fatalf("exit %d, want %d\n%s%s", status, exitFailed, out, errOut)
			}
			var got []int
			sc := bufio.NewScanner(strings.NewReader(out))
			for sc.Scan() {
				if m := failLine.FindStringSubmatch(sc.Text()); m != nil {
					n, _ := strconv.Atoi(m[2])
					got = append(got, n)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("failed expectations on lines %v, want %v\n%s", got, want, out)
			}
		})
	}
}

// TestJSONDeterministic: the same files and seed give the same --json bytes.
func TestJSONDeterministic(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join("..", "..", "scenarios")
	one := filepath.Join(lib, "ios-wake-answer.yaml")
	for _, args := range [][]string{{one}, {lib}, {one, "--seed", "7"}} {
		var docs [][]byte
		for i := range 2 {
			out := filepath.Join(dir, "run"+strconv.Itoa(i)+".json")
			status, stdout, stderr := pbxsim(t, append([]string{"run", "--json", out}, args...)...)
			if status != exitOK {
				t.Fatalf("%v: exit %d\n%s%s", args, status, stdout, stderr)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			docs = append(docs, b)
		}
		if !bytes.Equal(docs[0], docs[1]) {
			t.Errorf("%v: --json differs between two runs", args)
		}
		for _, want := range []string{`"events": [`, `"at_ns": `, `"expectations": [`, `"name": "ios-wake-answer"`} {
			if !bytes.Contains(docs[0], []byte(want)) {
				t.Errorf("%v: JSON lacks %s", args, want)
			}
		}
		if bytes.Contains(docs[0], []byte(`"wall`)) { // a key; "firewall" may be in a summary
			t.Errorf("%v: JSON carries wall-clock time", args)
		}
	}
}

func TestCommandLineErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: bad\nnotifcations: 1\ndevices: []\nexpect: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "empty.yaml")
	if err := os.WriteFile(empty, []byte("name: empty\npbx: {users: [{name: bob, number: \"202\"}]}\ndevices: [{name: d, user: bob, kind: deskphone}]\nexpect: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		status int
		output string // must appear in stdout or stderr
	}{
		{"no command", nil, exitUsage, "commands:"},
		{"unknown command", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"help", []string{"help"}, exitOK, "run "},
		{"run without files", []string{"run"}, exitUsage, "usage: pbxsim run"},
		{"bad flag", []string{"run", "--sead", "1", bad}, exitUsage, "sead"},
		{"load error", []string{"run", bad}, exitUsage, bad + ":2:1: "},
		{"missing file", []string{"run", "nope.yaml"}, exitUsage, "nope.yaml"},
		{"no expectations", []string{"run", empty}, exitUsage, "no expectations"},
		{"record without expectations", []string{"run", "--record", empty}, exitOK, "PASS"},
		{"validate bad", []string{"validate", bad}, exitUsage, bad + ":2:1: "},
		{"validate library", []string{"validate", filepath.Join("..", "..", "scenarios")}, exitOK, "ios-wake-answer.yaml: ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out, errOut := pbxsim(t, tt.args...)
			if status != tt.status {
				t.Errorf("exit %d, want %d\n%s%s", status, tt.status, out, errOut)
			}
			if !strings.Contains(out+errOut, tt.output) {
				t.Errorf("output lacks %q:\n%s%s", tt.output, out, errOut)
			}
		})
	}
}

func TestUsageListsCommandsSorted(t *testing.T) {
	_, out, _ := pbxsim(t, "help")
	run, validate := strings.Index(out, "  run "), strings.Index(out, "  validate ")
	if run < 0 || validate < 0 || run > validate {
		t.Errorf("usage:\n%s", out)
	}
}

func TestVerboseTimeline(t *testing.T) {
	status, out, _ := pbxsim(t, "run", "-v", filepath.Join("..", "..", "scenarios", "app-never-registers-cause18.yaml"))
	if status != exitOK {
		t.Fatalf("exit %d\n%s", status, out)
	}
	for _, want := range []string{"== ", "push.request", "q931.release_complete  from=pbx  to=bob-desk  cause=18"} {
		if !strings.Contains(out, want) {
			t.Errorf("-v output lacks %q:\n%s", want, out)
		}
	}
}
