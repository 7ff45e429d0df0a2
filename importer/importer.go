package importer

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/callwake/callwake/report"
	"github.com/callwake/callwake/scenario"
)

// Options adjusts an import.
type Options struct {
	// Name is the scenario's name; empty: the capture file's name.
	Name string
	// Margin is how far each side of a message's time the drafted
	// expectations reach; zero: report.DraftMargin.
	Margin time.Duration
}

// Result is an imported scenario and what its check found.
type Result struct {
	// YAML is the scenario file.
	YAML []byte
	// Messages counts the capture's H.225.0 messages the scenario was
	// drafted from; Failed those that did not decode, Unplaced those whose
	// two sides could not both be named.
	Messages, Failed, Unplaced int
	Devices, Calls             int
	Checked
}

// ErrNothing: the capture holds no H.225.0 message to import.
var ErrNothing = errors.New("the capture holds no H.225.0 message")

var nameChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Import reads the capture at path and writes the scenario that reproduces
// it (see the package documentation). The error is for a file that is not
// a capture or holds nothing to import.
func Import(path string, opts Options) (*Result, error) {
	c, err := read(path)
	if err != nil {
		return nil, err
	}
	if len(c.msgs) == 0 {
		return nil, ErrNothing
	}
	if span := c.msgs[len(c.msgs)-1].at; span > scenario.MaxDuration-2*time.Second {
		return nil, fmt.Errorf("the capture spans %s, more than a scenario may run (%s); cut it to the time the ticket is about", span.Round(time.Second), scenario.MaxDuration)
	}
	name := opts.Name
	if name == "" {
		base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		name = strings.Trim(nameChars.ReplaceAllString(base, "-"), "-")
		if name == "" {
			name = "imported"
		}
	}
	margin := opts.Margin
	if margin <= 0 {
		margin = report.DraftMargin
	}
	w := analyse(c)
	in := newInference(w)
	in.facts()
	in.restarts()
	in.route()
	out := in.build(name)
	in.populate(out)
	out.actions = in.actions
	out.summary = "imported from the capture " + filepath.Base(path)
	// Each message of an actor no population holds drafts an item.
	single := 0
	for _, m := range c.msgs {
		if m.from != nil && m.to != nil && in.pops.of[m.from.String()] == "" && in.pops.of[m.to.String()] == "" {
			single++
		}
	}
	if err := fits(out, len(w.eps), single*minExpectBytes); err != nil {
		return nil, err
	}
	if err := in.calibrateLosses(out, name+".yaml", margin); err != nil {
		return nil, err
	}
	out.header = in.header(filepath.Base(path), c)
	out.expect = in.draft(margin)
	if err := fits(out, len(w.eps), 0); err != nil {
		return nil, err
	}
	src, checked, err := check(name+".yaml", out.yaml())
	if err != nil {
		return nil, err
	}
	res := &Result{YAML: src, Messages: len(c.msgs), Failed: c.failed, Unplaced: w.unplaced,
		Checked: checked}
	for _, d := range out.devices {
		res.Devices += max(1, d.count)
	}
	for _, c := range out.calls {
		res.Calls += max(1, c.count)
	}
	return res, nil
}

// minExpectBytes is the least an expectation item drafted from a message
// takes ("- event: ras.rrq", from, to, at).
const minExpectBytes = 60

// fits refuses a scenario larger than a scenario file may be (the loader
// would refuse it): a capture of thousands of endpoints not alike (those
// alike are populations by now).
// Before the expectations are drafted, more is the least they will add:
// each message drafts an item of at least minExpectBytes, so that a
// capture too large is refused before the runs that calibrate its losses.
func fits(out *scenarioOut, endpoints, more int) error {
	if n := len(out.yaml()) + more; n > scenario.MaxFileSize {
		return fmt.Errorf("the capture holds %s; the scenario for it would be %d bytes or more, and a scenario may be at most %d: import a capture of fewer endpoints (endpoints alike, their names carrying an index, are written as populations; these are not)",
			plural(endpoints, "endpoint"), n, scenario.MaxFileSize)
	}
	return nil
}

// header is the file's opening comment: where it comes from, and what the
// capture could not tell.
func (in *inference) header(source string, c *captured) []string {
	h := []string{
		fmt.Sprintf("Imported by pbxsim import from %s: %s between %s and %s.", source,
			plural(len(c.msgs), "H.225.0 message"), plural(len(in.w.gks), "gatekeeper"), plural(len(in.w.eps), "endpoint")),
		"Every value below says where it comes from. What an H.323 capture cannot show (the push",
		"path, the apps' settings, the PBX's firmware) is a model choice, said where it is made.",
	}
	if c.failed > 0 {
		h = append(h, fmt.Sprintf("%s of the capture did not decode and are left out (pbxsim decode shows them).", plural(c.failed, "message")))
	}
	if in.w.unplaced > 0 {
		h = append(h, fmt.Sprintf("%s could not be placed between two actors and are left out.", plural(in.w.unplaced, "message")))
	}
	for _, n := range in.notes {
		h = append(h, "Note: "+n)
	}
	return h
}
