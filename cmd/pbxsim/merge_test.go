package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestMergeShards runs the library in three shards, as an Indexed Job's
// pods do, merges their reports and compares them with one unsharded run:
// the JSON must be the same bytes, the JUnit the same but for its
// wall-clock times.
func TestMergeShards(t *testing.T) {
	dir := t.TempDir()
	library := filepath.Join("..", "..", "scenarios")
	out := func(name string) string { return filepath.Join(dir, name) }
	if status, o, e := pbxsim(t, "run", library, "--json", out("all.json"), "--junit", out("all.xml")); status != exitOK {
		t.Fatalf("unsharded run: exit %d\n%s%s", status, o, e)
	}
	var reports []string
	for _, shard := range []string{"0", "1", "2"} {
		j, x := out("shard"+shard+".json"), out("shard"+shard+".xml")
		if status, o, e := pbxsim(t, "run", library, "--shard", shard+"/3", "--json", j, "--junit", x); status != exitOK {
			t.Fatalf("shard %s: exit %d\n%s%s", shard, status, o, e)
		}
		reports = append(reports, x, j)
	}
	args := append([]string{"merge", "--json", out("merged.json"), "--junit", out("merged.xml")}, reports...)
	status, stdout, stderr := pbxsim(t, args...)
	if status != exitOK {
		t.Fatalf("merge: exit %d\n%s%s", status, stdout, stderr)
	}
	files, _ := filepath.Glob(filepath.Join(library, "*.yaml"))
	for _, want := range []string{
		"JUnit: 3 reports, " + strconv.Itoa(len(files)) + " scenarios",
		"JSON: 3 reports, " + strconv.Itoa(len(files)) + " scenarios: " + strconv.Itoa(len(files)) + " passed, 0 failed, 0 errors",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	if a, b := read(t, out("all.json")), read(t, out("merged.json")); a != b {
		t.Errorf("merged JSON differs from the unsharded run's (%d and %d bytes)", len(a), len(b))
	}
	times := regexp.MustCompile(` time="[0-9.]+"`)
	if a, b := times.ReplaceAllString(read(t, out("all.xml")), ""), times.ReplaceAllString(read(t, out("merged.xml")), ""); a != b {
		t.Errorf("merged JUnit differs from the unsharded run's beyond its times\nunsharded:\n%.600s\nmerged:\n%.600s", a, b)
	}

	// The same shard twice is an overlap, not twice the tests.
	if status, _, stderr := pbxsim(t, "merge", reports[0], reports[0]); status != exitUsage || !strings.Contains(stderr, "more than one") {
		t.Errorf("a report given twice: exit %d, stderr %q", status, stderr)
	}
	if status, _, stderr := pbxsim(t, "merge", reports[1], reports[1]); status != exitUsage || !strings.Contains(stderr, "more than one") {
		t.Errorf("a JSON report given twice: exit %d, stderr %q", status, stderr)
	}
}

func TestMergeReportsFailuresAndBadInput(t *testing.T) {
	dir := t.TempDir()
	failing := filepath.Join(dir, "failing.xml")
	failingJSON := filepath.Join(dir, "failing.json")
	variant := filepath.Join("..", "..", "testdata", "must-fail", "12r2-cfnr-skips-push.yaml")
	if status, o, e := pbxsim(t, "run", variant, "--junit", failing, "--json", failingJSON); status != exitFailed {
		t.Fatalf("must-fail variant: exit %d\n%s%s", status, o, e)
	}
	status, stdout, stderr := pbxsim(t, "merge", failing, failingJSON)
	if status != exitFailed || !strings.Contains(stdout, "0 passed, 1 failed") {
		t.Errorf("a failed scenario: exit %d\n%s%s", status, stdout, stderr)
	}

	garbage := filepath.Join(dir, "garbage.txt")
	if err := os.WriteFile(garbage, []byte("PASS\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	notJUnit := filepath.Join(dir, "other.xml")
	if err := os.WriteFile(notJUnit, []byte(`<project name="x"/>`), 0o644); err != nil {
		t.Fatal(err)
	}
	notReport := filepath.Join(dir, "other.json")
	if err := os.WriteFile(notReport, []byte(`{"name": "x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{garbage}, "neither a JUnit"},
		{[]string{notJUnit}, "not JUnit XML"},
		{[]string{notReport}, "not a pbxsim JSON report"},
		{[]string{filepath.Join(dir, "missing.xml")}, "no such file"},
		{[]string{"--json", filepath.Join(dir, "out.json"), failing}, "no JSON report to merge"},
		{nil, "usage: pbxsim merge"},
	} {
		status, _, stderr := pbxsim(t, append([]string{"merge"}, tc.args...)...)
		if status != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("merge %v: exit %d, stderr %q; want 2 and %q", tc.args, status, stderr, tc.want)
		}
	}
}

// TestMergeOneFileShards: shards that each hold one file write the same
// {"runs": [...]} shape as bigger ones, and merge into the report of a run
// over both files (in path order, as merge sorts); a bare run object (the shape one-file reports had) is
// not a report.
func TestMergeOneFileShards(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(library, "ios-wake-answer.yaml")
	b := cause18
	both, one, two := filepath.Join(dir, "both.json"), filepath.Join(dir, "one.json"), filepath.Join(dir, "two.json")
	for _, run := range [][]string{{"run", b, a, "--json", both}, {"run", a, "--json", one}, {"run", b, "--json", two}} {
		if status, o, e := pbxsim(t, run...); status != exitOK {
			t.Fatalf("%v: exit %d\n%s%s", run, status, o, e)
		}
	}
	for _, p := range []string{one, two} {
		if !strings.HasPrefix(read(t, p), "{\n  \"runs\": [\n") {
			t.Errorf("%s is not a {\"runs\": [...]} report:\n%.200s", p, read(t, p))
		}
	}
	merged := filepath.Join(dir, "merged.json")
	if status, o, e := pbxsim(t, "merge", "--json", merged, two, one); status != exitOK {
		t.Fatalf("merge: exit %d\n%s%s", status, o, e)
	}
	if read(t, merged) != read(t, both) {
		t.Errorf("merged one-file shards differ from the run over both files")
	}
	bare := filepath.Join(dir, "bare.json")
	if err := os.WriteFile(bare, []byte(`{"name": "x", "file": "x.yaml", "result": "PASS"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if status, _, stderr := pbxsim(t, "merge", bare); status != exitUsage || !strings.Contains(stderr, `no "runs" list`) {
		t.Errorf("a bare run object: exit %d, %q", status, stderr)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
