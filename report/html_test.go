package report

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/timeline"
)

// handRun is the hand-built timeline as a run with one met and two failed
// expectations.
func handRun(t testing.TB) RunView {
	return RunView{
		Name: "hand-built", File: "hand.yaml", Seed: 1, Duration: 20 * time.Second,
		Events: handTimeline(t), PBXs: []string{"pbx"}, Devices: []string{"alice-iphone", "bob-desk"},
		Verdicts: []Verdict{
			{Expectation: "push.request user=alice", OK: true, Message: "matched", Position: "hand.yaml:3:5", At: 4020 * time.Millisecond, HasAt: true},
			{Expectation: "q931.connect to=bob-desk at 10s..12s", Message: "expected q931.connect to=bob-desk at 10s..12s; no q931.connect event in the run",
				Position: "hand.yaml:9:5", At: 10 * time.Second, HasAt: true, Actor: "bob-desk"},
			{Expectation: "never call.released cause=18", Message: "expected no call.released cause=18 anywhere in the run; found 1",
				Position: "hand.yaml:12:5", At: 16 * time.Second, HasAt: true},
		},
	}
}

func messageCount(events []timeline.Event) int {
	n := 0
	for i := range events {
		if IsMessage(&events[i]) {
			n++
		}
	}
	return n
}

// fetching matches what could make a browser fetch something: a src or
// href attribute with a scheme or a network path, CSS url() other than a
// fragment, @import, and script fetch APIs.
var fetching = regexp.MustCompile(`(?i)(src|href|action)\s*=\s*["']?\s*([a-z][a-z0-9+.-]*:|//)|url\(\s*["']?[^#"'\s)]|@import|fetch\(|XMLHttpRequest|WebSocket\(|navigator\.sendBeacon|<link|<iframe|<img`)

func TestWriteHTMLStructure(t *testing.T) {
	run := handRun(t)
	var first, second bytes.Buffer
	if err := WriteHTML(&first, run); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&second, run); err != nil {
		t.Fatal(err)
	}
	page := first.String()
	if page != second.String() {
		t.Fatal("two renderings of one run differ")
	}
	if m := fetching.FindString(page); m != "" {
		t.Errorf("the page may fetch something: %q", m)
	}
	model := pageModel(t, page)
	arrows, failures := 0, 0
	for _, r := range model.Rows {
		switch r.Kind {
		case rowArrow:
			arrows++
		case rowFailure:
			failures++
		}
	}
	if want := messageCount(run.Events); arrows != want || want == 0 {
		t.Errorf("%d arrows for %d message events", arrows, want)
	}
	if failures != 2 {
		t.Errorf("%d failure marks for 2 failed expectations", failures)
	}
	if len(model.Rows) != len(run.Events)+failures {
		t.Errorf("%d rows for %d events and %d failures", len(model.Rows), len(run.Events), failures)
	}
	var names []string
	for _, a := range model.Actors {
		names = append(names, a.Name+"/"+a.Role)
	}
	if got, want := strings.Join(names, " "), "bob-desk/caller pbx/pbx push/push apns/vendor alice-iphone/phone"; got != want {
		t.Errorf("columns %q, want %q", got, want)
	}
	var kinds []string
	for _, s := range model.Spans {
		kinds = append(kinds, s.Kind+":"+strconv.FormatBool(s.Open)+":"+strconv.Itoa(s.Lane))
	}
	if got, want := strings.Join(kinds, " "), "registration_timeout:false:0 cfnr:false:1"; got != want {
		t.Errorf("spans %q, want %q", got, want)
	}
	// The failure at 10s sits between the last event before 10s and the
	// first after, on bob-desk's column.
	for i, r := range model.Rows {
		if r.Kind == rowFailure && strings.HasPrefix(r.Label, "✗ q931.connect") {
			before, after := rowTime(t, model.Rows[i-1]), rowTime(t, model.Rows[i+1])
			if r.From != 0 || before > 10*time.Second || after < 10*time.Second {
				t.Errorf("failure row %d misplaced: %+v between %+v and %+v", i, r, model.Rows[i-1], model.Rows[i+1])
			}
		}
	}
	// An arrow with a cause or a reason shows it.
	causes := 0
	for _, r := range model.Rows {
		if r.Kind == rowArrow && strings.Contains(r.Attrs, "cause=") {
			causes++
			if !strings.Contains(r.Label, " cause=") {
				t.Errorf("arrow %q (%s) does not show its cause", r.Label, r.Attrs)
			}
		}
	}
	if causes == 0 {
		t.Error("the hand-built run has no message with a cause")
	}
	// An arrow's detail holds the decoded message.
	for _, r := range model.Rows {
		if r.Label == "q931.setup" && !strings.Contains(r.Detail, "DestinationAddress") {
			t.Errorf("setup detail lacks decoded fields:\n%s", r.Detail)
		}
	}
	if !strings.Contains(page, `<li class="failed"`) {
		t.Error("failed verdicts are not listed")
	}
}

func rowTime(t testing.TB, r ladderRow) time.Duration {
	d, err := time.ParseDuration(r.At)
	if err != nil {
		t.Fatalf("row time %q: %v", r.At, err)
	}
	return d
}

// pageModel extracts the JSON model embedded in a page.
func pageModel(t testing.TB, page string) ladder {
	t.Helper()
	const open = `<script type="application/json" id="model">`
	start := strings.Index(page, open)
	end := strings.Index(page[start+len(open):], "</script>")
	if start < 0 || end < 0 {
		t.Fatal("no model in the page")
	}
	var l ladder
	if err := json.Unmarshal([]byte(page[start+len(open):start+len(open)+end]), &l); err != nil {
		t.Fatal(err)
	}
	return l
}

func TestWriteHTMLEscapes(t *testing.T) {
	run := RunView{Name: "<script>alert(1)</script>", Events: []timeline.Event{
		{Name: "push.request", Attrs: []timeline.Attr{timeline.A("from", "pbx"), timeline.A("to", "</script><b>")}},
	}}
	var b bytes.Buffer
	if err := WriteHTML(&b, run); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<script>alert") || strings.Contains(b.String(), "</script><b>") {
		t.Error("names reach the page unescaped")
	}
}

// chromiumFlags keep a headless browser from reaching the network and from
// depending on this machine's profile.
func chromiumFlags(profile string) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + profile}
}

// requireChromium finds the browser; it skips without it, except in CI.
func requireChromium(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is required in CI: %v", err)
		}
		t.Skipf("chromium not installed: %v", err)
	}
	return path
}

func runChromium(t *testing.T, chromium string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, append(chromiumFlags(t.TempDir()), args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}

var (
	dataArrow   = regexp.MustCompile(`<g [^>]*data-arrow="\d+"`)
	arrowsDrawn = regexp.MustCompile(`<body[^>]*data-arrows="(\d+)"`)
)

// TestHTMLInChromium renders the cause-18 scenario's ladder in headless
// Chromium, counts the arrows the page's script drew and saves a
// screenshot as a test artifact.
func TestHTMLInChromium(t *testing.T) {
	chromium := requireChromium(t)
	_, run := runScenario(t, filepath.Join(repoRoot(t), "scenarios", "app-never-registers-cause18.yaml"), false)
	dir := artifactDir(t)
	page := filepath.Join(dir, run.Name+".html")
	var b bytes.Buffer
	if err := WriteHTML(&b, run); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	want := messageCount(run.Events)
	if want == 0 {
		t.Fatal("the cause-18 run has no message events")
	}
	dom := string(runChromium(t, chromium, "--dump-dom", "file://"+page))
	m := arrowsDrawn.FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the page's script did not finish (no data-arrows on body); DOM starts:\n%.2000s", dom)
	}
	if got := len(dataArrow.FindAllString(dom, -1)); got != want || m[1] != strconv.Itoa(want) {
		t.Errorf("chromium drew %d arrow elements (script counted %s) for %d message events", got, m[1], want)
	}
	shot := filepath.Join(dir, run.Name+".png")
	runChromium(t, chromium, "--screenshot="+shot, "--window-size=1400,900", "file://"+page)
	info, err := os.Stat(shot)
	if err != nil || info.Size() < 1000 {
		t.Fatalf("no screenshot at %s: %v", shot, err)
	}
	t.Logf("ladder %s, screenshot %s", page, shot)
}

// measureScript is appended to a page by TestHTMLColumnsInView (the page's
// policy allows inline scripts): after the ladder is drawn it records on
// <body> the actors whose box is not wholly in view beside the detail pane
// and the labels of the arrows drawn.
const measureScript = `<script>
(function () {
  var ladder = document.getElementById("ladder").getBoundingClientRect();
  var detail = document.getElementById("detail").getBoundingClientRect();
  var hidden = [];
  document.querySelectorAll("g.actor").forEach(function (g) {
    var r = g.querySelector("rect").getBoundingClientRect();
    if (r.left < ladder.left - 0.5 || r.right > Math.min(ladder.right, detail.left) + 0.5) hidden.push(g.getAttribute("data-actor"));
  });
  if (detail.right > window.innerWidth + 0.5) hidden.push("(the detail pane)");
  var labels = [];
  document.querySelectorAll("g[data-arrow] text").forEach(function (t) { labels.push(t.textContent); });
  document.body.setAttribute("data-hidden", hidden.join(","));
  document.body.setAttribute("data-labels", labels.join("|"));
})();
</script>
`

var (
	hiddenActors = regexp.MustCompile(`<body[^>]*data-hidden="([^"]*)"`)
	arrowLabels  = regexp.MustCompile(`<body[^>]*data-labels="([^"]*)"`)
)

// TestHTMLColumnsInView renders ladders in a 1400-pixel-wide window: the
// detail pane must leave every actor's column in view (the cause-18 run,
// and the library's widest, with eight actors), and arrows show causes.
func TestHTMLColumnsInView(t *testing.T) {
	chromium := requireChromium(t)
	dir := artifactDir(t)
	for _, name := range []string{"app-never-registers-cause18", "desk-and-two-apps-fork"} {
		_, run := runScenario(t, filepath.Join(repoRoot(t), "scenarios", name+".yaml"), false)
		var b bytes.Buffer
		if err := WriteHTML(&b, run); err != nil {
			t.Fatal(err)
		}
		page := filepath.Join(dir, name+"-measured.html")
		src := strings.Replace(b.String(), "</body>", measureScript+"</body>", 1)
		if err := os.WriteFile(page, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		dom := string(runChromium(t, chromium, "--window-size=1400,900", "--dump-dom", "file://"+page))
		m := hiddenActors.FindStringSubmatch(dom)
		if m == nil {
			t.Fatalf("%s: the measuring script did not run; DOM starts:\n%.2000s", name, dom)
		}
		if m[1] != "" {
			t.Errorf("%s: at 1400 px these columns are not in view beside the detail pane: %s", name, m[1])
		}
		if name == "app-never-registers-cause18" {
			labels := arrowLabels.FindStringSubmatch(dom)
			if labels == nil || !strings.Contains(labels[1], "q931.release_complete cause=18") {
				t.Errorf("%s: no arrow shows cause 18: %v", name, labels)
			}
		}
	}
}
