package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/callwake/callwake/report"
)

// viewOptions are the per-run view files asked for on the command line.
type viewOptions struct {
	pcap, html, junit string
	// single is true when the command line named one scenario file (not a
	// directory): --pcap and --html then name the file to write; otherwise
	// they name a directory receiving one file per scenario.
	single bool
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
		if o.pcap != "" {
			var b bytes.Buffer
			if err := report.WritePcap(&b, view.Events); err != nil {
				return fmt.Errorf("%s: %w", out.path, err)
			}
			if err := os.WriteFile(o.viewPath(o.pcap, out.path, ".pcap"), b.Bytes(), 0o644); err != nil {
				return err
			}
		}
		if o.html != "" {
			var b bytes.Buffer
			if err := report.WriteHTML(&b, view); err != nil {
				return fmt.Errorf("%s: %w", out.path, err)
			}
			if err := os.WriteFile(o.viewPath(o.html, out.path, ".html"), b.Bytes(), 0o644); err != nil {
				return err
			}
		}
	}
	if o.junit == "" {
		return nil
	}
	var b bytes.Buffer
	if err := report.WriteJUnit(&b, junitRuns(outcomes)); err != nil {
		return err
	}
	return writeReport(o.junit, b.Bytes())
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
