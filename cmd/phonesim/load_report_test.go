package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLoadReportHistogram: the JSON report holds the histogram of the
// registration times, one sample per registered endpoint, and its
// percentiles are the histogram's.
func TestLoadReportHistogram(t *testing.T) {
	gk := startGatekeeper(t).String()
	path := filepath.Join(t.TempDir(), "load.json")
	var stdout, stderr strings.Builder
	if status := run(context.Background(), []string{"load", "--gk", gk, "--count", "6", "--duration", "1s", "--json", path}, &stdout, &stderr); status != exitOK {
		t.Fatalf("exit %d\n%s%s", status, stdout.String(), stderr.String())
	}
	rep := readLoadReport(t, path)
	h := rep.RegistrationTimes
	if h == nil || h.Count() != 6 || rep.Registrations != 6 {
		t.Fatalf("report: %d registrations, histogram %+v", rep.Registrations, h)
	}
	for _, p := range reportPercentiles {
		if got, want := rep.RegistrationMS[p.name], float64(h.Quantile(p.q).Microseconds())/1000; got != want {
			t.Errorf("registration_ms[%s] = %v, histogram says %v", p.name, got, want)
		}
	}
	if rep.RegistrationMS["max"] != float64(h.Max().Microseconds())/1000 || h.Min() <= 0 {
		t.Errorf("max %v, histogram min %v max %v", rep.RegistrationMS["max"], h.Min(), h.Max())
	}
}

// TestLoadReportEmpty: a report of no registration keeps an empty
// histogram and no percentiles, as before the histogram.
func TestLoadReportEmpty(t *testing.T) {
	var r loadReport
	r.setRegistrationTimes(nil)
	b, err := json.Marshal(&r)
	if err != nil || !strings.Contains(string(b), `"registration_ms":{}`) || !strings.Contains(string(b), `"registration_times":{"unit":"us"`) {
		t.Errorf("empty report %s, %v", b, err)
	}
	r.setRegistrationTimes([]time.Duration{3 * time.Millisecond, time.Millisecond})
	if r.RegistrationMS["p50"] != 1 || r.RegistrationMS["max"] != 3 {
		t.Errorf("percentiles %v", r.RegistrationMS)
	}
}

func readLoadReport(t *testing.T, path string) loadReport {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep loadReport
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, b)
	}
	return rep
}
