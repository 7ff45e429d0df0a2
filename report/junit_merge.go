package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// JUnitDoc is a JUnit document to merge and the name (its path) errors give.
type JUnitDoc struct {
	Name string
	Data []byte
}

// JUnitTotals counts what a JUnit document holds.
type JUnitTotals struct {
	Suites, Tests, Failures, Errors int
}

// MergeJUnit joins JUnit documents that WriteJUnit wrote for the shards of
// one library run (pbxsim run --shard I/N --junit) into one document on w:
// every test suite once, sorted by scenario file (the order of an unsharded
// run over a directory), with the totals and time recomputed. A suite whose
// file is in two documents is an error, as the totals would count it twice;
// so is a document that is not JUnit. Nothing is written on error.
func MergeJUnit(w io.Writer, docs ...JUnitDoc) (JUnitTotals, error) {
	merged := junitSuites{Name: "pbxsim"}
	var seconds float64
	seen := map[string]bool{}
	for _, d := range docs {
		var doc junitSuites // its XMLName makes the decoder refuse another root element
		if err := xml.Unmarshal(d.Data, &doc); err != nil {
			return JUnitTotals{}, fmt.Errorf("%s: not JUnit XML: %w", d.Name, err)
		}
		for _, s := range doc.Suites {
			key := s.File
			if key == "" {
				key = s.Name
			}
			if seen[key] {
				return JUnitTotals{}, fmt.Errorf("%s: %s is in more than one report", d.Name, key)
			}
			seen[key] = true
			merged.Suites = append(merged.Suites, s)
			merged.Tests += s.Tests
			merged.Failures += s.Failures
			merged.Errors += s.Errors
			if t, err := strconv.ParseFloat(s.Time, 64); err == nil {
				seconds += t
			}
		}
	}
	slices.SortStableFunc(merged.Suites, func(a, b junitSuite) int {
		return strings.Compare(a.File+"\x00"+a.Name, b.File+"\x00"+b.Name)
	})
	merged.Time = strconv.FormatFloat(seconds, 'f', 3, 64)
	var out bytes.Buffer
	if err := merged.write(&out); err != nil {
		return JUnitTotals{}, err
	}
	if _, err := w.Write(out.Bytes()); err != nil {
		return JUnitTotals{}, err
	}
	return JUnitTotals{Suites: len(merged.Suites), Tests: merged.Tests, Failures: merged.Failures, Errors: merged.Errors}, nil
}
