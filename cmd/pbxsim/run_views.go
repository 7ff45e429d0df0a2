package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/callwake/callwake/report"
)

// defaultMaxViewBytes is the default view budget: the bytes that one
// command may write as views (--pcap, --html, --json and --junit files
// together). The whole library writes about 4 MB; a day-long run of a
// hundred phones would write well over 100 MB of HTML alone.
const defaultMaxViewBytes = 256 << 20

// defaultMaxEvents is the default event budget of one simulated run: the
// library's largest file runs about 60,000 loop events (5,000 apps), so
// the default is some 800 times that; a valid 1 MB file (12,000 desk
// phones for 24 h) asks for billions.
const defaultMaxEvents = 50_000_000

// viewBudget counts the bytes of views written so far against the budget;
// runs that write their pcaps as they go share it.
type viewBudget struct {
	max  int64 // 0: no limit
	mu   sync.Mutex
	used int64
}

// take counts n bytes against the budget, unless they would exceed it.
func (v *viewBudget) take(n int) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.max > 0 && v.used+int64(n) > v.max {
		return false
	}
	v.used += int64(n)
	return true
}

// errViewBudget is the error of a view that would exceed the budget.
var errViewBudget = errors.New("view budget exceeded")

// budgetBuffer collects one view in memory, counting its bytes against the
// budget and refusing the write that would exceed it, so that neither the
// memory nor the work of a view outgrows the budget.
// It has no other method than Write, so that no writer helper
// (io.WriteString, ReadFrom) can go around the count.
type budgetBuffer struct {
	buf    bytes.Buffer
	budget *viewBudget
}

func (b *budgetBuffer) Write(p []byte) (int, error) {
	if !b.budget.take(len(p)) {
		return 0, errViewBudget
	}
	return b.buf.Write(p)
}

// writeView builds one view with write and saves it at path (creating its
// folder when mkdir), or says which budget it would exceed and how to
// raise it.
func (v *viewBudget) writeView(path, what string, mkdir bool, write func(io.Writer) error) error {
	buf := &budgetBuffer{budget: v}
	if err := write(buf); err != nil {
		if errors.Is(err, errViewBudget) {
			return fmt.Errorf("%s: the %s would take the views of this run past the view budget of %d bytes (%d MiB); "+
				"raise it with --max-view-bytes (0: no limit) or ask for fewer views", path, what, v.max, v.max>>20)
		}
		return err
	}
	if mkdir {
		return writeReport(path, buf.buf.Bytes())
	}
	return os.WriteFile(path, buf.buf.Bytes(), 0o644)
}

// viewOptions are the per-run view files asked for on the command line.
type viewOptions struct {
	pcap, html, junit string
	budget            *viewBudget
	// single is true when the command line named one scenario file (not a
	// directory): --pcap and --html then name the file to write; otherwise
	// they name a directory receiving one file per scenario.
	single bool
	// streamed: the runs wrote their pcaps as they went (simulated runs).
	streamed bool
}

// viewName is the name a scenario's view files take in an output
// directory: the scenario file's base name without .yaml/.yml.
func viewName(path string) string {
	base := filepath.Base(path)
	for _, ext := range []string{".yaml", ".yml"} {
		if trimmed, ok := strings.CutSuffix(base, ext); ok {
			return trimmed
		}
	}
	return base
}

// checkViewNames refuses a run whose per-scenario view files would
// overwrite each other (two directories holding files of the same name).
func checkViewNames(files []string) error {
	seen := make(map[string]string, len(files))
	for _, f := range files {
		name := viewName(f)
		if other, ok := seen[name]; ok {
			return fmt.Errorf("%s and %s would write the same view file %q; run them separately", other, f, name)
		}
		seen[name] = f
	}
	return nil
}

// viewPath is where the view of one file goes: out itself for a single
// scenario, else out/<name><ext>.
func (o viewOptions) viewPath(out, file, ext string) string {
	if o.single {
		return out
	}
	return filepath.Join(out, viewName(file)+ext)
}

// writeViews writes the pcap, HTML and JUnit files asked for. A file that
// could not be loaded or run has no timeline, so it has no pcap or HTML
// file; JUnit reports it as an <error> test case.
func writeViews(o viewOptions, outcomes []runOutcome) error {
	for _, dir := range []string{o.pcap, o.html} {
		if dir != "" && !o.single {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
		}
	}
	for _, out := range outcomes {
		if out.result == nil {
			continue
		}
		view := report.FromResult(out.file, out.result)
		if o.pcap != "" && !o.streamed {
			err := o.budget.writeView(o.viewPath(o.pcap, out.path, ".pcap"), "pcap of "+out.path, false,
				func(w io.Writer) error { return report.WritePcap(w, view.Events) })
			if err != nil {
				return err
			}
		}
		if o.html != "" {
			err := o.budget.writeView(o.viewPath(o.html, out.path, ".html"), "HTML ladder of "+out.path, false,
				func(w io.Writer) error { return report.WriteHTML(w, view) })
			if err != nil {
				return err
			}
		}
	}
	if o.junit == "" {
		return nil
	}
	return o.budget.writeView(o.junit, "JUnit report", true,
		func(w io.Writer) error { return report.WriteJUnit(w, junitRuns(outcomes)) })
}

// junitRuns is one view per file, in file order; a file that could not be
// loaded or run carries its error.
func junitRuns(outcomes []runOutcome) []report.RunView {
	runs := make([]report.RunView, len(outcomes))
	for i, out := range outcomes {
		switch {
		case out.result != nil:
			runs[i] = report.FromResult(out.file, out.result)
		case out.file != nil:
			runs[i] = report.NewRunView(out.file, nil, nil)
			runs[i].Err = out.err.Error()
		default:
			runs[i] = report.RunView{Name: viewName(out.path), File: out.path, Err: out.err.Error()}
		}
		runs[i].File = out.path
	}
	return runs
}
