package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"

	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/report"
	"github.com/callwake/callwake/timeline"
)

// A simulated run's pcap is written as the run goes (scenario.RunOptions.Tap):
// a storm's capture never sits in memory, and the run keeps only what its
// checks need, as a run without views does.

// pcapOut is one run's pcap file being written.
type pcapOut struct {
	path   string
	what   string
	f      *os.File
	w      *bufio.Writer
	stream *report.PcapStream
	budget *viewBudget
	err    error // the first error; nothing more is written after it
}

// openPcap creates the pcap file of the scenario file at path.
func (o viewOptions) openPcap(path string) (*pcapOut, error) {
	p := &pcapOut{path: o.viewPath(o.pcap, path, ".pcap"), what: "pcap of " + path, budget: o.budget}
	f, err := os.Create(p.path)
	if err != nil {
		return nil, err
	}
	p.f = f
	p.w = bufio.NewWriterSize(budgetWriter{f, o.budget}, 64<<10)
	if p.stream, err = report.NewPcapStream(p.w, capture.DefaultEpoch); err != nil {
		p.abandon()
		return nil, p.explain(err)
	}
	return p, nil
}

// add writes one event of the run (a Tap).
func (p *pcapOut) add(e *timeline.Event) {
	if p.err == nil {
		p.err = p.stream.Add(e)
	}
}

// finish closes the file; a run that did not complete (runErr) has no pcap.
func (p *pcapOut) finish(runErr error) error {
	if runErr != nil {
		p.abandon()
		return nil
	}
	if p.err == nil {
		p.err = p.w.Flush()
	}
	if err := p.f.Close(); p.err == nil {
		p.err = err
	}
	if p.err != nil {
		_ = os.Remove(p.path)
		return p.explain(p.err)
	}
	return nil
}

func (p *pcapOut) abandon() {
	p.f.Close()
	_ = os.Remove(p.path)
}

// explain words the view budget's refusal as writeView does.
func (p *pcapOut) explain(err error) error {
	if errors.Is(err, errViewBudget) {
		return fmt.Errorf("%s: the %s would take the views of this run past the view budget of %d bytes (%d MiB); "+
			"raise it with --max-view-bytes (0: no limit) or ask for fewer views", p.path, p.what, p.budget.max, p.budget.max>>20)
	}
	return err
}

// budgetWriter counts what it writes to a file against the view budget,
// refusing the write that would exceed it (runs write their pcaps at once).
type budgetWriter struct {
	f      *os.File
	budget *viewBudget
}

func (b budgetWriter) Write(p []byte) (int, error) {
	if !b.budget.take(len(p)) {
		return 0, errViewBudget
	}
	return b.f.Write(p)
}
