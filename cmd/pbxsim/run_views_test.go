package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/internal/tsharktest"
	"github.com/callwake/callwake/report"
	"github.com/callwake/callwake/scenario"
	"github.com/callwake/callwake/timeline"
)

var (
	library   = filepath.Join("..", "..", "scenarios")
	cause18   = filepath.Join(library, "app-never-registers-cause18.yaml")
	mustFails = filepath.Join("..", "..", "testdata", "must-fail")
)

// timelineOf runs a scenario the way `pbxsim run` does without a seed
// flag, for the events a view must show.
func timelineOf(t *testing.T, path string) []timeline.Event {
	t.Helper()
	f, err := scenario.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := scenario.Run(f, scenario.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return r.Timeline.Events()
}

// wireMessages is the message sequence the pcap must hold, as tshark's raw
// field values: "ras <choice index>" and "q931 0x<type>", decoded from each
// RAS or Q.931 event's payload by our own decoders.
func wireMessages(t *testing.T, events []timeline.Event) []string {
	t.Helper()
	var seq []string
	for _, e := range events {
		if e.Wire == nil {
			continue
		}
		switch e.Wire.Protocol {
		case "ras":
			m, err := h225.UnmarshalRasMessage(e.Wire.Payload)
			if err != nil {
				t.Fatalf("event %d: %v", e.Seq, err)
			}
			seq = append(seq, "ras "+strconv.Itoa(int(m.Choice)-1)) // tshark counts alternatives from 0
		case "q931":
			m, err := q931.Decode(e.Wire.Payload)
			if err != nil {
				t.Fatalf("event %d: %v", e.Seq, err)
			}
			seq = append(seq, fmt.Sprintf("q931 0x%02x", uint8(m.Type)))
		}
	}
	return seq
}

// checkPcap requires the pcap at path to read back without error records,
// one UDP datagram per RAS event; and, with tshark, no problems and the
// timeline's message sequence.
func checkPcap(t *testing.T, path string, events []timeline.Event) {
	t.Helper()
	c, err := capture.ReadFile(path, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	udp, ras := 0, 0
	for _, r := range c.Records {
		if r.Err != nil {
			t.Fatalf("record %d: %v", r.Index, r.Err)
		}
		if r.Transport == capture.TransportUDP {
			udp++
		}
	}
	for _, e := range events {
		if e.Wire != nil && e.Wire.Protocol == "ras" {
			ras++
		}
	}
	if udp != ras || ras == 0 {
		t.Errorf("%d UDP datagrams for %d RAS events", udp, ras)
	}
	tsharktest.Require(t)
	if problems := tsharktest.Problems(t, path, tsharktest.CheckChecksums...); len(problems) > 0 {
		t.Fatalf("tshark found problems:\n%s", strings.Join(problems, "\n"))
	}
	var got []string
	for _, p := range tsharktest.FieldValues(t, path, "h225.RasMessage || q931.message_type", "h225.RasMessage", "q931.message_type") {
		for _, v := range p["h225.RasMessage"] {
			got = append(got, "ras "+v)
		}
		for _, v := range p["q931.message_type"] {
			got = append(got, "q931 "+v)
		}
	}
	if want := wireMessages(t, events); !slices.Equal(got, want) {
		t.Errorf("tshark reads\n  %v\nthe timeline has\n  %v", got, want)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRunPcapOneFile: with one scenario file, --pcap and --html write
// exactly the files named, the same bytes on every run.
func TestRunPcapOneFile(t *testing.T) {
	dir := t.TempDir()
	var pcaps, pages [2][]byte
	for i := range 2 {
		pcap, page := filepath.Join(dir, fmt.Sprint("run", i, ".pcap")), filepath.Join(dir, fmt.Sprint("run", i, ".html"))
		status, out, errOut := pbxsim(t, "run", cause18, "--pcap", pcap, "--html", page)
		if status != exitOK {
			t.Fatalf("exit %d\n%s%s", status, out, errOut)
		}
		pcaps[i], pages[i] = readFile(t, pcap), readFile(t, page)
	}
	if !bytes.Equal(pcaps[0], pcaps[1]) || !bytes.Equal(pages[0], pages[1]) {
		t.Error("two runs of one file and seed wrote different views")
	}
	checkPcap(t, filepath.Join(dir, "run0.pcap"), timelineOf(t, cause18))
}

// TestRunViewsDirectory: with a directory, --pcap and --html name
// directories (created) holding NAME.pcap and NAME.html per scenario. The
// directory holds copies of a few library files, so the test does not grow
// with the library; the report package reads every library pcap with
// tshark.
func TestRunViewsDirectory(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	var want []string
	for _, name := range []string{"app-never-registers-cause18.yaml", "ios-wake-answer.yaml", "ras-keepalive.yaml"} {
		copied := filepath.Join(in, name)
		if err := os.WriteFile(copied, readFile(t, filepath.Join(library, name)), 0o644); err != nil {
			t.Fatal(err)
		}
		want = append(want, copied)
	}
	pcapDir, htmlDir := filepath.Join(out, "pcap"), filepath.Join(out, "nested", "html")
	status, stdout, stderr := pbxsim(t, "run", in, "--pcap", pcapDir, "--html", htmlDir)
	if status != exitOK {
		t.Fatalf("exit %d\n%s%s", status, stdout, stderr)
	}
	for _, ext := range []string{".pcap", ".html"} {
		d := map[string]string{".pcap": pcapDir, ".html": htmlDir}[ext]
		entries, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			got = append(got, e.Name())
		}
		var names []string
		for _, f := range want {
			names = append(names, strings.TrimSuffix(filepath.Base(f), ".yaml")+ext)
		}
		if !slices.Equal(got, names) {
			t.Errorf("%s holds %v, want %v", d, got, names)
		}
	}
	for _, f := range want {
		t.Run(filepath.Base(f), func(t *testing.T) {
			name := strings.TrimSuffix(filepath.Base(f), ".yaml")
			checkPcap(t, filepath.Join(pcapDir, name+".pcap"), timelineOf(t, f))
		})
	}
}

// TestRunHTMLArrows: the ladder the command writes draws one arrow per
// message event of the run.
func TestRunHTMLArrows(t *testing.T) {
	page := filepath.Join(t.TempDir(), "ladder.html")
	if status, out, errOut := pbxsim(t, "run", "--html", page, cause18); status != exitOK {
		t.Fatalf("exit %d\n%s%s", status, out, errOut)
	}
	text := string(readFile(t, page))
	const open = `<script type="application/json" id="model">`
	start := strings.Index(text, open)
	if start < 0 {
		t.Fatal("no ladder model in the page")
	}
	body := text[start+len(open):]
	end := strings.Index(body, "</script>")
	if end < 0 {
		t.Fatal("unterminated ladder model")
	}
	var model struct {
		Rows []struct {
			Kind string `json:"kind"`
		} `json:"rows"`
	}
	if err := json.Unmarshal([]byte(body[:end]), &model); err != nil {
		t.Fatal(err)
	}
	arrows, messages := 0, 0
	for _, r := range model.Rows {
		if r.Kind == "arrow" {
			arrows++
		}
	}
	events := timelineOf(t, cause18)
	for i := range events {
		if report.IsMessage(&events[i]) {
			messages++
		}
	}
	if arrows != messages || messages == 0 {
		t.Errorf("%d arrows for %d message events", arrows, messages)
	}
}

// The JUnit shape the test reads back.
type junitDoc struct {
	XMLName xml.Name `xml:"testsuites"`
	Suites  []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Cases    []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// TestRunJUnit: one testsuite per file, a failure per failed expectation
// of a must-fail variant, an error case for a file that does not load; the
// exit status stays what it is without --junit.
func TestRunJUnit(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: bad\nnotifcations: 1\ndevices: []\nexpect: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	failing := filepath.Join(mustFails, "app-never-registers-cause18.yaml")
	marked := len(markedLines(t, failing))
	tests := []struct {
		name     string
		files    []string
		status   int
		failures []int // per suite
		errors   []int
	}{
		{"pass", []string{cause18}, exitOK, []int{0}, []int{0}},
		{"must fail", []string{cause18, failing}, exitFailed, []int{0, marked}, []int{0, 0}},
		{"load error", []string{failing, bad, cause18}, exitUsage, []int{marked, 0, 0}, []int{0, 1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "junit.xml")
			status, out, errOut := pbxsim(t, append([]string{"run", "--junit", path}, tt.files...)...)
			if status != tt.status {
				t.Fatalf("exit %d, want %d\n%s%s", status, tt.status, out, errOut)
			}
			var doc junitDoc
			if err := xml.Unmarshal(readFile(t, path), &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Suites) != len(tt.files) {
				t.Fatalf("%d testsuites for %d files", len(doc.Suites), len(tt.files))
			}
			for i, s := range doc.Suites {
				failures, errors := 0, 0
				for _, c := range s.Cases {
					if c.Failure != nil {
						failures++
						if c.Failure.Message == "" || c.Failure.Text == "" {
							t.Errorf("suite %s: failure of %q says nothing", s.Name, c.Name)
						}
					}
					if c.Error != nil {
						errors++
					}
				}
				if failures != tt.failures[i] || s.Failures != failures || errors != tt.errors[i] || s.Errors != errors || s.Tests != len(s.Cases) {
					t.Errorf("suite %s: %d failures, %d errors (attributes %d, %d, tests %d of %d cases), want %d, %d",
						s.Name, failures, errors, s.Failures, s.Errors, s.Tests, len(s.Cases), tt.failures[i], tt.errors[i])
				}
			}
		})
	}
}

// wallTime matches JUnit's time attributes, the one part of the views that
// is measured on the wall clock.
var wallTime = regexp.MustCompile(` time="[0-9.]+"`)

// TestRunJUnitDeterministic: two runs of the same files give the same JUnit
// bytes once the time attributes are set aside.
func TestRunJUnitDeterministic(t *testing.T) {
	dir := t.TempDir()
	failing := filepath.Join(mustFails, "app-never-registers-cause18.yaml")
	var docs [2][]byte
	for i := range docs {
		path := filepath.Join(dir, fmt.Sprint("junit", i, ".xml"))
		if status, out, errOut := pbxsim(t, "run", "--junit", path, cause18, failing); status != exitFailed {
			t.Fatalf("exit %d\n%s%s", status, out, errOut)
		}
		docs[i] = wallTime.ReplaceAll(readFile(t, path), nil)
	}
	if !bytes.Equal(docs[0], docs[1]) {
		t.Errorf("JUnit differs between two runs beyond its time attributes:\n%s\n%s", docs[0], docs[1])
	}
}

// TestRunShardPartition: for each N the shards' files are disjoint, their
// union is the library, and their sizes differ by at most one.
func TestRunShardPartition(t *testing.T) {
	all, err := expand([]string{library})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 2, 3, 5, len(all) + 1} {
		seen := map[string]int{}
		sizes := make([]int, n)
		for i := range n {
			// Pass or fail does not matter here (other tests check the
			// library passes); a load error would hide files.
			status, out, errOut := pbxsim(t, "run", library, "--shard", fmt.Sprintf("%d/%d", i, n))
			if status != exitOK && status != exitFailed {
				t.Fatalf("shard %d/%d: exit %d\n%s%s", i, n, status, out, errOut)
			}
			// The summary table's first column names each file run.
			var runs []string
			for _, line := range strings.Split(out, "\n") {
				if fields := strings.Fields(line); len(fields) > 0 && strings.HasSuffix(fields[0], ".yaml") {
					runs = append(runs, fields[0])
				}
			}
			for _, f := range runs {
				seen[f]++
			}
			sizes[i] = len(runs)
		}
		for _, f := range all {
			if seen[f] != 1 {
				t.Errorf("N=%d: %s run by %d shards", n, f, seen[f])
			}
		}
		if len(seen) != len(all) {
			t.Errorf("N=%d: shards ran %d files, the library has %d", n, len(seen), len(all))
		}
		if slices.Max(sizes)-slices.Min(sizes) > 1 {
			t.Errorf("N=%d: shard sizes %v", n, sizes)
		}
	}
}

func TestRunViewCommandLineErrors(t *testing.T) {
	out := t.TempDir()
	sameName := filepath.Join(mustFails, "ios-wake-answer.yaml")
	tests := []struct {
		name   string
		args   []string
		output string
	}{
		{"shard without slash", []string{"run", library, "--shard", "1"}, "want I/N"},
		{"shard index too large", []string{"run", library, "--shard", "3/3"}, "0 <= I < N"},
		{"shard of zero", []string{"run", library, "--shard", "0/0"}, "N >= 1"},
		{"shard not a number", []string{"run", library, "--shard", "a/b"}, "want I/N"},
		{"views would collide", []string{"run", filepath.Join(library, "ios-wake-answer.yaml"), sameName, "--pcap", out}, "same view file"},
		{"pcap into a missing directory", []string{"run", cause18, "--pcap", filepath.Join(out, "no", "such", "x.pcap")}, "no such"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, stdout, stderr := pbxsim(t, tt.args...)
			if status != exitUsage {
				t.Errorf("exit %d, want %d", status, exitUsage)
			}
			if !strings.Contains(stdout+stderr, tt.output) {
				t.Errorf("output lacks %q:\n%s%s", tt.output, stdout, stderr)
			}
		})
	}
}

// TestRunQuietWhenNotATerminal: progress goes to stderr only on a
// terminal, so a passing run of several files writes nothing there.
func TestRunQuietWhenNotATerminal(t *testing.T) {
	status, out, errOut := pbxsim(t, "run", cause18, filepath.Join(library, "ios-wake-answer.yaml"), filepath.Join(library, "ras-keepalive.yaml"))
	if status != exitOK || errOut != "" {
		t.Errorf("exit %d, stderr %q\n%s", status, errOut, out)
	}
}

// TestRunPcapWrittenAsItGoes: a simulated run writes its pcap as it goes
// and keeps only what its checks need; the bytes are those of the whole
// timeline kept to the end (-v keeps it), for RAS, Q.931 over TCP and TLS,
// H.460.17 and H.245 on its own connection.
func TestRunPcapWrittenAsItGoes(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"h245-separate-connection.yaml", "secure-transports-key-path.yaml", "ras-h460-17-tunnel.yaml"} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(library, name)
			lean, full := filepath.Join(dir, name+".lean.pcap"), filepath.Join(dir, name+".full.pcap")
			if status, out, errOut := pbxsim(t, "run", file, "--pcap", lean); status != exitOK {
				t.Fatalf("exit %d\n%s%s", status, out, errOut)
			}
			if status, out, errOut := pbxsim(t, "run", file, "--pcap", full, "-v"); status != exitOK {
				t.Fatalf("exit %d\n%s%s", status, out, errOut)
			}
			if a, b := readFile(t, lean), readFile(t, full); !bytes.Equal(a, b) || len(a) < 1000 {
				t.Errorf("pcap written as the run went (%d bytes) differs from the kept timeline's (%d bytes)", len(a), len(b))
			}
			checkPcap(t, lean, timelineOf(t, file))
		})
	}
}

// TestRunPcapBudget: a pcap that would pass the view budget stops being
// written, is removed, and the command says which budget and how to raise it.
func TestRunPcapBudget(t *testing.T) {
	pcap := filepath.Join(t.TempDir(), "big.pcap")
	status, out, errOut := pbxsim(t, "run", cause18, "--pcap", pcap, "--max-view-bytes", "2000")
	if status != exitUsage || !strings.Contains(errOut, "view budget of 2000 bytes") || !strings.Contains(errOut, "--max-view-bytes") {
		t.Fatalf("exit %d, want %d with the budget named\n%s%s", status, exitUsage, out, errOut)
	}
	if _, err := os.Stat(pcap); !os.IsNotExist(err) {
		t.Errorf("a pcap past the budget was left behind: %v", err)
	}
	if status, out, errOut := pbxsim(t, "run", cause18, "--pcap", pcap, "--max-view-bytes", "200000"); status != exitOK {
		t.Fatalf("exit %d within the budget\n%s%s", status, out, errOut)
	}
}
