package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/timeline"
)

// The JUnit XML shape CI tools read (GitLab, Jenkins): the Ant JUnit
// format, with every element and attribute its schema requires, so strict
// readers accept it as well as lenient ones.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Hostname   string          `xml:"hostname,attr"`
	File       string          `xml:"file,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  string          `xml:"system-out"`
	SystemErr  string          `xml:"system-err"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// junitHost is the hostname attribute: the runs happen in a simulated
// world, not on a host worth naming, and the report stays reproducible.
const junitHost = "simulated"

// WriteJUnit writes the runs as one JUnit XML document: a <testsuite> per
// scenario file (named for the scenario), a <testcase> per expectation
// (named for the expectation as the file writes it, classname the
// scenario), a <failure> with the verdict's message and the nearest events
// for each expectation not met, and an <error> test case for a run that
// could not complete. Suite times are the runs' wall-clock times (the only
// part that differs between runs); the timestamp is the simulated clock's
// start (capture.DefaultEpoch).
func WriteJUnit(w io.Writer, runs []RunView) error {
	doc := junitSuites{Name: "pbxsim"}
	var total time.Duration
	for _, run := range runs {
		s := junitSuite{
			Name:      run.Name,
			Time:      secondsAttr(run.Elapsed),
			Timestamp: capture.DefaultEpoch.Format("2006-01-02T15:04:05"),
			Hostname:  junitHost,
			File:      run.File,
			Properties: []junitProperty{
				{Name: "file", Value: run.File},
				{Name: "seed", Value: strconv.FormatInt(run.Seed, 10)},
				{Name: "simulated", Value: run.Duration.String()},
				{Name: "events", Value: strconv.Itoa(len(run.Events))},
			},
		}
		for _, v := range run.Verdicts {
			c := junitCase{Name: v.Expectation, Classname: run.Name, File: run.File, Time: secondsAttr(0)}
			if !v.OK {
				c.Failure = &junitProblem{Message: v.Message, Type: "expectation", Text: failureText(v, run.Events)}
				s.Failures++
			}
			s.Cases = append(s.Cases, c)
		}
		if run.Err != "" {
			s.Cases = append(s.Cases, junitCase{Name: "run", Classname: run.Name, File: run.File, Time: secondsAttr(run.Elapsed),
				Error: &junitProblem{Message: run.Err, Type: "run", Text: run.Err}})
			s.Errors++
		}
		s.Tests = len(s.Cases)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		total += run.Elapsed
		doc.Suites = append(doc.Suites, s)
	}
	doc.Time = secondsAttr(total)
	return doc.write(w)
}

// write encodes the document with its XML header.
func (doc *junitSuites) write(w io.Writer) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("report: junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func secondsAttr(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }

// nearbyEvents is how many events on each side of a failed expectation's
// time are listed when no event came close.
const nearbyEvents = 3

// failureText is the body of a <failure>: where the item is, the message,
// and the events that came closest (or, when none did, those around the
// time the event should have happened).
func failureText(v Verdict, events []timeline.Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n", v.Position, v.Message)
	near := v.Nearest
	title := "nearest events"
	if len(near) == 0 && v.HasAt {
		title = "events around " + seconds(v.At)
		near = around(events, v.At)
	}
	if len(near) > 0 {
		b.WriteString(title + ":\n")
		for i := range near {
			b.WriteString(near[i].String() + "\n")
		}
	}
	return b.String()
}

// around returns up to nearbyEvents events before at and as many from it on.
func around(events []timeline.Event, at time.Duration) []timeline.Event {
	i := 0
	for i < len(events) && events[i].At < at {
		i++
	}
	return events[max(0, i-nearbyEvents):min(len(events), i+nearbyEvents)]
}
