package report

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The JUnit schema's required parts, as a strict reader models them (the
// Ant JUnit XSD that Jenkins' and GitLab's parsers follow): every attribute
// a reader needs is a string here so that "absent" and "empty" are caught.
type schemaSuites struct {
	XMLName  xml.Name      `xml:"testsuites"`
	Tests    string        `xml:"tests,attr"`
	Failures string        `xml:"failures,attr"`
	Errors   string        `xml:"errors,attr"`
	Time     string        `xml:"time,attr"`
	Suites   []schemaSuite `xml:"testsuite"`
}

type schemaSuite struct {
	Name       string `xml:"name,attr"`
	Tests      string `xml:"tests,attr"`
	Failures   string `xml:"failures,attr"`
	Errors     string `xml:"errors,attr"`
	Skipped    string `xml:"skipped,attr"`
	Time       string `xml:"time,attr"`
	Timestamp  string `xml:"timestamp,attr"`
	Hostname   string `xml:"hostname,attr"`
	Properties *struct {
		Property []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"property"`
	} `xml:"properties"`
	Cases     []schemaCase `xml:"testcase"`
	SystemOut *string      `xml:"system-out"`
	SystemErr *string      `xml:"system-err"`
}

type schemaCase struct {
	Name      string         `xml:"name,attr"`
	Classname string         `xml:"classname,attr"`
	Time      string         `xml:"time,attr"`
	Failure   []schemaResult `xml:"failure"`
	Error     []schemaResult `xml:"error"`
	Skipped   []schemaResult `xml:"skipped"`
}

type schemaResult struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// count parses a non-negative count attribute.
func count(t *testing.T, what, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		t.Fatalf("%s = %q, not a count", what, s)
	}
	return n
}

func checkSeconds(t *testing.T, what, s string) {
	t.Helper()
	if v, err := strconv.ParseFloat(s, 64); err != nil || v < 0 {
		t.Fatalf("%s = %q, not a time in seconds", what, s)
	}
}

// checkJUnitShape parses a report back and checks every required element
// and attribute, and that the counts agree with the test cases.
func checkJUnitShape(t *testing.T, doc []byte) schemaSuites {
	t.Helper()
	if !bytes.HasPrefix(doc, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
		t.Fatal("no XML declaration")
	}
	var s schemaSuites
	if err := xml.Unmarshal(doc, &s); err != nil {
		t.Fatalf("not XML a JUnit reader accepts: %v", err)
	}
	var tests, failures, errors int
	for _, suite := range s.Suites {
		if suite.Name == "" || suite.Timestamp == "" || suite.Hostname == "" {
			t.Errorf("suite lacks name, timestamp or hostname: %+v", suite)
		}
		if _, err := time.Parse("2006-01-02T15:04:05", suite.Timestamp); err != nil {
			t.Errorf("suite %s: timestamp %q is not an ISO 8601 local time", suite.Name, suite.Timestamp)
		}
		if suite.Properties == nil || suite.SystemOut == nil || suite.SystemErr == nil {
			t.Errorf("suite %s lacks properties, system-out or system-err", suite.Name)
		}
		checkSeconds(t, "suite time", suite.Time)
		var f, e, sk int
		for _, c := range suite.Cases {
			if c.Name == "" || c.Classname == "" {
				t.Errorf("suite %s: test case without name or classname: %+v", suite.Name, c)
			}
			checkSeconds(t, "testcase time", c.Time)
			for _, r := range append(append([]schemaResult{}, c.Failure...), c.Error...) {
				if r.Message == "" || r.Type == "" {
					t.Errorf("suite %s case %q: failure or error without message or type", suite.Name, c.Name)
				}
			}
			f += len(c.Failure)
			e += len(c.Error)
			sk += len(c.Skipped)
		}
		if count(t, "tests", suite.Tests) != len(suite.Cases) || count(t, "failures", suite.Failures) != f ||
			count(t, "errors", suite.Errors) != e || count(t, "skipped", suite.Skipped) != sk {
			t.Errorf("suite %s: counts %s/%s/%s/%s disagree with its %d cases (%d failed, %d errors, %d skipped)",
				suite.Name, suite.Tests, suite.Failures, suite.Errors, suite.Skipped, len(suite.Cases), f, e, sk)
		}
		tests += len(suite.Cases)
		failures += f
		errors += e
	}
	if count(t, "tests", s.Tests) != tests || count(t, "failures", s.Failures) != failures || count(t, "errors", s.Errors) != errors {
		t.Errorf("testsuites counts %s/%s/%s disagree with the suites (%d/%d/%d)", s.Tests, s.Failures, s.Errors, tests, failures, errors)
	}
	checkSeconds(t, "testsuites time", s.Time)
	return s
}

func TestWriteJUnit(t *testing.T) {
	hand := handRun(t)
	hand.Elapsed = 1500 * time.Millisecond
	broken := RunView{Name: "broken", File: "broken.yaml", Err: "world: pbx: refused <config> & more"}
	empty := RunView{Name: "recorded", File: "recorded.yaml"}
	var b bytes.Buffer
	if err := WriteJUnit(&b, []RunView{hand, broken, empty}); err != nil {
		t.Fatal(err)
	}
	s := checkJUnitShape(t, b.Bytes())
	if len(s.Suites) != 3 {
		t.Fatalf("%d suites for 3 runs", len(s.Suites))
	}
	if s.Tests != "4" || s.Failures != "2" || s.Errors != "1" || s.Time != "1.500" {
		t.Errorf("totals tests=%s failures=%s errors=%s time=%s", s.Tests, s.Failures, s.Errors, s.Time)
	}
	hs := s.Suites[0]
	if hs.Name != "hand-built" || len(hs.Cases) != 3 || hs.Cases[1].Name != "q931.connect to=bob-desk at 10s..12s" || hs.Cases[1].Classname != "hand-built" {
		t.Errorf("hand-built suite: %+v", hs)
	}
	failure := hs.Cases[1].Failure
	if len(failure) != 1 || !strings.HasPrefix(failure[0].Message, "expected q931.connect") {
		t.Fatalf("failure: %+v", failure)
	}
	// No near miss: the events around 10s are listed.
	if !strings.Contains(failure[0].Text, "events around 10.000s:") || !strings.Contains(failure[0].Text, "call.forwarded") {
		t.Errorf("failure text lacks the nearby events:\n%s", failure[0].Text)
	}
	if len(s.Suites[1].Cases) != 1 || len(s.Suites[1].Cases[0].Error) != 1 || s.Suites[1].Cases[0].Error[0].Message != broken.Err {
		t.Errorf("broken run not reported as an error: %+v", s.Suites[1])
	}
}

// TestLibraryJUnit writes the JUnit report of the whole library and checks
// its shape and that it agrees with the verdicts.
func TestLibraryJUnit(t *testing.T) {
	var runs []RunView
	met, failed := 0, 0
	for _, path := range libraryFiles(t) {
		_, run := runScenario(t, path, false)
		for _, v := range run.Verdicts {
			if v.OK {
				met++
			} else {
				failed++
			}
		}
		runs = append(runs, run)
	}
	var b bytes.Buffer
	if err := WriteJUnit(&b, runs); err != nil {
		t.Fatal(err)
	}
	s := checkJUnitShape(t, b.Bytes())
	if s.Tests != strconv.Itoa(met+failed) || s.Failures != strconv.Itoa(failed) {
		t.Errorf("tests=%s failures=%s for %d verdicts, %d failed", s.Tests, s.Failures, met+failed, failed)
	}
}
