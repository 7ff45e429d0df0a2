package main

import (
	"encoding/json"
	"os"
	"time"

	"github.com/callwake/callwake/internal/histogram"
)

// The JSON report of a load run keeps its time distributions as
// histograms (package histogram) beside the percentiles read from them:
// the percentiles of one process and those of a merge of several
// (phonesim merge-load) are then computed the same way, from buckets that
// add up, and never averaged.

// reportPercentiles are the registration_ms keys and their quantiles.
var reportPercentiles = []struct {
	name string
	q    float64
}{{"p50", 0.50}, {"p90", 0.90}, {"p99", 0.99}, {"max", 1}}

// setRegistrationTimes records the registration times in the report's
// histogram and sets the percentiles from it.
func (r *loadReport) setRegistrationTimes(times []time.Duration) {
	h := &histogram.Histogram{}
	for _, d := range times {
		h.Record(d)
	}
	r.RegistrationTimes = h
	r.setPercentiles()
}

// setPercentiles reads registration_ms from the histogram: none when no
// endpoint registered, as before the histogram.
func (r *loadReport) setPercentiles() {
	r.RegistrationMS = map[string]float64{}
	if r.RegistrationTimes == nil || r.RegistrationTimes.Count() == 0 {
		return
	}
	for _, p := range reportPercentiles {
		r.RegistrationMS[p.name] = float64(r.RegistrationTimes.Quantile(p.q).Microseconds()) / 1000
	}
}

// write writes the report as indented JSON.
func (r *loadReport) write(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
