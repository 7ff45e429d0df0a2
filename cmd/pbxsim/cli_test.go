package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

// TestHelpIsConsistent: every command answers -h, -help, --help and
// `pbxsim help COMMAND` with its usage on stdout and exit 0.
func TestHelpIsConsistent(t *testing.T) {
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, args := range [][]string{{name, "-h"}, {name, "-help"}, {name, "--help"}, {"help", name}} {
			status, out, errOut := pbxsim(t, args...)
			if name == "decode" && args[0] == name {
				out, errOut = out+errOut, "" // decode's own file prints its usage on stderr
			}
			if status != exitOK || !strings.Contains(out, "usage: pbxsim "+name) {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 0 and the usage on stdout", args, status, out, errOut)
			}
			if errOut != "" {
				t.Errorf("%v: help on stderr: %q", args, errOut)
			}
		}
	}
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		if status, out, _ := pbxsim(t, args...); status != exitOK || !strings.Contains(out, "commands:") || !strings.Contains(out, "version") {
			t.Errorf("%v: exit %d\n%s", args, status, out)
		}
	}
	if status, _, errOut := pbxsim(t, "help", "nope"); status != exitUsage || !strings.Contains(errOut, `unknown command "nope"`) {
		t.Errorf("help nope: exit %d, %q", status, errOut)
	}
	// A wrong flag is still a usage error, with the usage on stderr.
	if status, out, errOut := pbxsim(t, "validate", "--nope", "x.yaml"); status != exitUsage || out != "" ||
		!strings.Contains(errOut, "flag provided but not defined: -nope") || !strings.Contains(errOut, "usage: pbxsim validate") {
		t.Errorf("bad flag: exit %d, stdout %q, stderr %q", status, out, errOut)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		status, out, _ := pbxsim(t, args...)
		if status != exitOK || !strings.HasPrefix(out, "pbxsim ") || !strings.Contains(out, runtime.Version()) {
			t.Errorf("%v: exit %d, %q", args, status, out)
		}
	}
	info := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/callwake/callwake", Version: "v1.2.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "9322c72"}, {Key: "vcs.time", Value: "2026-01-02T03:04:05Z"}, {Key: "vcs.modified", Value: "true"}}}
	if got, want := versionText(info), "pbxsim v1.2.0 (github.com/callwake/callwake) revision 9322c72 2026-01-02T03:04:05Z modified go1.26.0"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := versionText(nil); !strings.HasPrefix(got, "pbxsim unknown version (unknown module) revision unknown go") {
		t.Errorf("without build info: %s", got)
	}
}

// TestJSONOneShape: the report of one file is {"runs": [RUN]}, the shape
// of the report of many.
func TestJSONOneShape(t *testing.T) {
	out := filepath.Join(t.TempDir(), "one.json")
	if status, o, e := pbxsim(t, "run", cause18, "--json", out); status != exitOK {
		t.Fatalf("exit %d\n%s%s", status, o, e)
	}
	var doc struct {
		Runs []struct {
			Name, File, Result string
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(read(t, out)), &doc); err != nil || len(doc.Runs) != 1 ||
		doc.Runs[0].Name != "app-never-registers-cause18" || doc.Runs[0].Result != "PASS" {
		t.Errorf("one-file report %+v (%v):\n%.300s", doc, err, read(t, out))
	}
}

// TestDuplicateNamesWarned: two files with one name: a warning with both
// positions, the run itself unaffected.
func TestDuplicateNamesWarned(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(cause18)
	if err != nil {
		t.Fatal(err)
	}
	a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	for _, p := range []string{a, b} {
		if err := os.WriteFile(p, src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := b + `:1:7: warning: scenario name "app-never-registers-cause18" is also the name of ` + a + ":1:7"
	for _, cmd := range []string{"run", "validate"} {
		status, out, errOut := pbxsim(t, cmd, dir)
		if status != exitOK || !strings.Contains(errOut, want) {
			t.Errorf("%s: exit %d, stderr %q; want %q\n%s", cmd, status, errOut, want, out)
		}
	}
	if _, _, errOut := pbxsim(t, "validate", a); strings.Contains(errOut, "warning") {
		t.Errorf("one file warned: %q", errOut)
	}
}

// TestUndecryptablePushesWarned: a device that can never read its pushes
// (B08) is warned of by validate and run, with its position; the exit
// status is the file's as without the warning.
func TestUndecryptablePushesWarned(t *testing.T) {
	lib := filepath.Join("..", "..", "scenarios")
	noKey := filepath.Join(lib, "push-without-key-anonymous.yaml")
	withKey := filepath.Join(lib, "ios-wake-answer.yaml")
	for _, cmd := range []string{"run", "validate"} {
		status, out, errOut := pbxsim(t, cmd, noKey)
		if status != exitOK || !regexp.MustCompile(`push-without-key-anonymous\.yaml:\d+:\d+: warning: device \S+ can never decrypt its pushes`).MatchString(errOut) {
			t.Errorf("%s: exit %d, stderr %q\n%s", cmd, status, errOut, out)
		}
		if _, _, errOut := pbxsim(t, cmd, withKey); strings.Contains(errOut, "warning") {
			t.Errorf("%s: a device with a key path warned: %q", cmd, errOut)
		}
	}
}

// TestViewBudget: views past --max-view-bytes are not written, and the
// error names the view, the budget and the flag; 0 lifts the limit.
func TestViewBudget(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "run.html")
	status, out, errOut := pbxsim(t, "run", cause18, "--html", page, "--max-view-bytes", "15000")
	if status != exitUsage || !strings.Contains(errOut, "HTML ladder of "+cause18+" would take the views of this run past the view budget of 15000 bytes") ||
		!strings.Contains(errOut, "--max-view-bytes") {
		t.Errorf("exit %d, stderr %q\n%s", status, errOut, out)
	}
	if _, err := os.Stat(page); !os.IsNotExist(err) {
		t.Errorf("a view past the budget was written: %v", err)
	}
	// The budget is shared: a JSON report (10 kB) that fits leaves too
	// little for the page (20 kB).
	jsonOut := filepath.Join(dir, "run.json")
	status, _, errOut = pbxsim(t, "run", cause18, "--json", jsonOut, "--html", page, "--max-view-bytes", "25000")
	if status != exitUsage || !strings.Contains(errOut, "HTML ladder") {
		t.Errorf("shared budget: exit %d, %q", status, errOut)
	}
	for _, limit := range []string{"0", "100000000"} {
		if status, _, errOut := pbxsim(t, "run", cause18, "--html", page, "--json", jsonOut, "--max-view-bytes", limit); status != exitOK {
			t.Errorf("limit %s: exit %d, %q", limit, status, errOut)
		}
	}
}

// TestEventBudget: a run past --max-events stops with exit 2 and an error
// that names the file, the budget and the flag; 0 lifts the limit.
func TestEventBudget(t *testing.T) {
	status, out, errOut := pbxsim(t, "run", cause18, "--max-events", "10")
	if status != exitUsage || !strings.Contains(errOut, cause18) || !strings.Contains(errOut, "stopped after 10 events (the event budget)") ||
		!strings.Contains(errOut, "--max-events") {
		t.Errorf("exit %d, stderr %q\n%s", status, errOut, out)
	}
	if status, _, errOut := pbxsim(t, "run", cause18, "--max-events", "0"); status != exitOK {
		t.Errorf("no limit: exit %d, %q", status, errOut)
	}
}

// TestExpectationTyposExit2: the expectation typos of the ticket that asked
// for attribute checks are load errors: exit 2, each with its position.
func TestExpectationTyposExit2(t *testing.T) {
	src := `name: typos
pbxs:
  - {name: munich, push: {}, users: [{name: alice, number: "201", push: Push}, {name: bob, number: "202"}]}
devices:
  - {name: alice-iphone, user: alice, kind: myapps, os: ios}
  - {name: alice-android, user: alice, kind: myapps, os: android}
  - {name: bob-desk, user: bob, kind: deskphone}
calls: [{at: 1s, from: bob-desk, to: "201"}]
expect:
  - {event: call.released, cuase: 18}
  - {never: q931.setup, too: alice-iphone}
  - {never: ras.rrq, from: alice-iphnoe}
  - {event: push.request, device: alice-andriod}
  - {event: q931.setup, from: muenchen}
`
	path := filepath.Join(t.TempDir(), "typos.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"run", "validate"} {
		status, out, errOut := pbxsim(t, cmd, path)
		if status != exitUsage {
			t.Errorf("%s: exit %d, want 2\n%s%s", cmd, status, out, errOut)
		}
		for _, want := range []string{
			path + `:10:28: call.released has no attribute "cuase" (did you mean "cause"?)`,
			path + `:11:25: q931.setup has no attribute "too" (did you mean "to"?)`,
			path + `:12:28: unknown actor "alice-iphnoe" (did you mean "alice-iphone"?)`,
			path + `:13:35: unknown device "alice-andriod" (did you mean "alice-android"?)`,
			path + `:14:31: unknown actor "muenchen"`,
		} {
			if !strings.Contains(errOut, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", cmd, want, errOut)
			}
		}
	}
}

// TestValidateEndlessFile: a path that never ends is refused after the
// size limit, not read whole.
func TestValidateEndlessFile(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero here")
	}
	status, _, errOut := pbxsim(t, "validate", "/dev/zero")
	if status != exitUsage || !strings.Contains(errOut, "/dev/zero:1:1: the file is more than 1048576 bytes; a scenario may be at most 1048576") {
		t.Errorf("exit %d, %q", status, errOut)
	}
}

// readmeRun is a command README shows with its output.
var readmeRun = regexp.MustCompile("(?m)^\\$ go run ./cmd/pbxsim (run [^\\n]+)\\n((?:[^`$][^\\n]*\\n)+)```")

// wallColumn is the wall-clock column of the summary table, the one part
// of the output that changes between runs.
var wallColumn = regexp.MustCompile(`(?m)\s+[0-9.]+(µs|ms|s)$`)

// TestReadmeOutputs runs every `$ go run ./cmd/pbxsim run ...` README shows
// and requires the output README prints (but for wall-clock times): the
// walk-through's timeline and the way a failed expectation is printed.
func TestReadmeOutputs(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := readmeRun.FindAllStringSubmatch(string(readme), -1)
	if len(blocks) < 2 {
		t.Fatalf("README shows %d pbxsim run outputs; want the walk-through and the failing variant", len(blocks))
	}
	t.Chdir(filepath.Join("..", ".."))
	for _, b := range blocks {
		args := strings.Fields(b[1])
		if _, err := os.Stat(args[1]); err != nil {
			// A file the reader makes on the way (the import walk-through's
			// ticket.yaml): its output is the importer's tests' business.
			continue
		}
		_, out, _ := pbxsim(t, args...)
		got, want := wallColumn.ReplaceAllString(out, ""), wallColumn.ReplaceAllString(b[2], "")
		if got != want {
			t.Errorf("README shows for %q:\n%s\nthe command prints:\n%s", b[1], want, got)
		}
	}
}

// TestViewBudgetCountsEveryWrite: whatever writer helper a view uses, every
// byte counts against the budget.
func TestViewBudgetCountsEveryWrite(t *testing.T) {
	b := &viewBudget{max: 10}
	err := b.writeView(filepath.Join(t.TempDir(), "x"), "test view", false, func(w io.Writer) error {
		if _, err := io.WriteString(w, "12345678"); err != nil {
			return err
		}
		_, err := fmt.Fprint(w, "abc")
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "view budget of 10 bytes") || b.used != 8 {
		t.Errorf("error %v, %d bytes counted", err, b.used)
	}
}
