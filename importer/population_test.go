package importer

import (
	"fmt"
	"testing"
	"time"
)

// TestIndexPatterns: names and numbers that run with an index are read as
// the patterns a population writes, and others are not.
func TestIndexPatterns(t *testing.T) {
	seq := func(format string, from, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf(format, from+i)
		}
		return out
	}
	for _, tc := range []struct {
		texts []string
		want  string // "" when no pattern
	}{
		{seq("u%d-phone", 0, 12), "u{i}-phone"},
		{seq("app%d", 7, 5), "app{i+7}"},
		{seq("desk%03d", 0, 20), "desk{i:03}"},
		{[]string{"u1", "u3"}, ""}, // a gap
		{[]string{"a1", "b2"}, ""}, // another prefix
		{[]string{"u09", "u10"}, "u{i+9:02}"},
		{[]string{"u9", "u010"}, ""}, // padded and not
		{[]string{"phone"}, ""},      // no index
	} {
		r, ok := follows(tc.texts)
		got := ""
		if ok {
			got = r.pattern()
		}
		if got != tc.want {
			t.Errorf("follows(%v) = %q, want %q", tc.texts, got, tc.want)
		}
	}
	for _, tc := range []struct {
		nums []string
		want string
	}{
		{seq("5%04d", 0, 3), "{i+50000}"},
		{seq("%04d", 5, 3), "{i+5:04}"},
		{[]string{"98", "99", "100"}, "{i+98}"}, // unpadded, the width may grow
		{[]string{"201", "203"}, ""},
		{[]string{"20a"}, ""},
	} {
		got, _ := digitsRun(tc.nums)
		if got != tc.want {
			t.Errorf("digitsRun(%v) = %q, want %q", tc.nums, got, tc.want)
		}
	}
	if d := evenly(0, 10*time.Second, 4999, 5000); d != 10*time.Second {
		t.Errorf("the last member of an even spread is at %s, want 10s", d)
	}
}
