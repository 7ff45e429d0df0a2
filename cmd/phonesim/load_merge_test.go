package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/internal/histogram"
)

// shardReports builds the reports of a run of count endpoints split in n
// shards, from random registration times, and the histogram of them all.
func shardReports(n, count int) ([]string, []loadReport, *histogram.Histogram) {
	r := rand.New(rand.NewPCG(uint64(n), uint64(count)))
	whole := &histogram.Histogram{}
	var names []string
	var reports []loadReport
	for i := range n {
		rep := loadReport{Gatekeeper: "192.0.2.1:1719", Count: count, Shard: fmt.Sprintf("%d/%d", i, n), Rate: 10,
			Failed: map[string]int{}, Lost: map[string]int{"expired": i}, KeepAlives: 2 * i}
		var times []time.Duration
		for k := i; k < count; k += n {
			// Shards with different spreads: averaging their percentiles
			// would be far from the percentiles of the whole.
			d := time.Duration(r.ExpFloat64() * float64(time.Duration(1+i*i)*time.Millisecond))
			times = append(times, d)
			whole.Record(d)
			rep.Endpoints++
		}
		rep.Registrations, rep.EndpointIDs = len(times), len(times)
		rep.setRegistrationTimes(times)
		names = append(names, fmt.Sprintf("load-%d.json", i))
		reports = append(reports, rep)
	}
	return names, reports, whole
}

// TestMergeLoadReports: the merge adds the counts and reads the
// percentiles from the merged histograms, which is the histogram of all
// the samples, not an average of the shards' percentiles.
func TestMergeLoadReports(t *testing.T) {
	names, reports, whole := shardReports(4, 1001)
	merged, err := mergeLoadReports(names, reports)
	if err != nil {
		t.Fatal(err)
	}
	if merged.Endpoints != 1001 || merged.Registrations != 1001 || merged.KeepAlives != 0+2+4+6 || merged.Lost["expired"] != 0+1+2+3 ||
		merged.Shards != 4 || merged.Shard != "0/1" || merged.Rate != 40 || merged.EndpointIDs != 1001 {
		t.Errorf("merged counts: %+v", merged)
	}
	a, _ := json.Marshal(merged.RegistrationTimes)
	b, _ := json.Marshal(whole)
	if string(a) != string(b) {
		t.Errorf("merged histogram is not the histogram of the whole:\n%s\n%s", a, b)
	}
	var avg float64
	for _, r := range reports {
		avg += r.RegistrationMS["p99"] / float64(len(reports))
	}
	p99 := float64(whole.Quantile(0.99).Microseconds()) / 1000
	if merged.RegistrationMS["p99"] != p99 || avg > 0.8*p99 && avg < 1.2*p99 {
		t.Errorf("p99 %v, whole's %v, average of the shards' %v (the test wants them apart)", merged.RegistrationMS["p99"], p99, avg)
	}
	// The merged report reads back as it was written.
	path := filepath.Join(t.TempDir(), "merged.json")
	if err := merged.write(path); err != nil {
		t.Fatal(err)
	}
	if back := readLoadReport(t, path); back.RegistrationTimes.Count() != 1001 || back.RegistrationMS["p99"] != p99 || back.Shards != 4 {
		t.Errorf("read back: %+v", back)
	}
}

// TestMergeLoadRefuses: reports that do not make one run are refused with
// what is wrong, the shard named.
func TestMergeLoadRefuses(t *testing.T) {
	for _, tc := range []struct {
		what   string
		change func(names []string, reports []loadReport) ([]string, []loadReport)
		want   string
	}{
		{"missing", func(n []string, r []loadReport) ([]string, []loadReport) { return n[:3], r[:3] }, "shard 3/4 missing: 3 of 4"},
		{"two missing", func(n []string, r []loadReport) ([]string, []loadReport) { return n[1:3], r[1:3] }, "shard 0/4, 3/4 missing"},
		{"twice", func(n []string, r []loadReport) ([]string, []loadReport) {
			return append(n, "again.json"), append(r, r[2])
		}, "shard 2/4 twice: in load-2.json and again.json"},
		{"other N", func(n []string, r []loadReport) ([]string, []loadReport) { r[1].Shard = "1/3"; return n, r }, "split in 3"},
		{"other gatekeeper", func(n []string, r []loadReport) ([]string, []loadReport) {
			r[2].Gatekeeper = "192.0.2.9:1719"
			return n, r
		}, "not one run"},
		{"other count", func(n []string, r []loadReport) ([]string, []loadReport) { r[2].Count = 5; return n, r }, "not one run"},
		{"bad shard", func(n []string, r []loadReport) ([]string, []loadReport) { r[0].Shard = "4/4"; return n, r }, "load-0.json: shard"},
		{"no histogram", func(n []string, r []loadReport) ([]string, []loadReport) { r[3].RegistrationTimes = nil; return n, r }, "load-3.json: 250 registrations but no registration_times"},
		{"endpoints", func(n []string, r []loadReport) ([]string, []loadReport) { r[3].Endpoints--; return n, r }, "ran 1000 endpoints, the population has 1001"},
		{"merged", func(n []string, r []loadReport) ([]string, []loadReport) { r[0].Shards = 4; return n, r }, "already a merge"},
	} {
		names, reports, _ := shardReports(4, 1001)
		names, reports = tc.change(names, reports)
		if _, err := mergeLoadReports(names, reports); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.what, err, tc.want)
		}
	}
}

// TestMergeLoadCommand: the shards of a load run on a gatekeeper merge
// into the run of the whole; a shard short is exit 2, a lost endpoint
// exit 1, help exit 0.
func TestMergeLoadCommand(t *testing.T) {
	gk := startGatekeeper(t).String()
	dir := t.TempDir()
	var stdout, stderr strings.Builder
	for i := range 3 {
		args := []string{"load", "--gk", gk, "--count", "10", "--shard", fmt.Sprintf("%d/3", i), "--duration", "1s",
			"--json", filepath.Join(dir, fmt.Sprintf("load-%d.json", i))}
		if status := run(context.Background(), args, &stdout, &stderr); status != exitOK {
			t.Fatalf("%v: exit %d\n%s%s", args, status, stdout.String(), stderr.String())
		}
	}
	stdout.Reset()
	out := filepath.Join(t.TempDir(), "load.json")
	if status := run(context.Background(), []string{"merge-load", "--json", out, dir}, &stdout, &stderr); status != exitOK {
		t.Fatalf("merge-load: exit %d\n%s%s", status, stdout.String(), stderr.String())
	}
	for _, want := range []string{"3 shards of 10 endpoints on " + gk, "endpoints 10, registrations 10", "registration time: p50 "} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("merge-load output lacks %q:\n%s", want, stdout.String())
		}
	}
	if rep := readLoadReport(t, out); rep.Registrations != 10 || rep.RegistrationTimes.Count() != 10 || rep.Shards != 3 {
		t.Errorf("merged report: %+v", rep)
	}

	// A lost endpoint fails the merge as it failed its shard.
	lost := readLoadReport(t, filepath.Join(dir, "load-1.json"))
	lost.Lost = map[string]int{"expired": 1}
	if err := lost.write(filepath.Join(dir, "load-1.json")); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	if status := run(context.Background(), []string{"merge-load", dir}, &stdout, &stderr); status != exitFailed || !strings.Contains(stdout.String(), "lost: 1 (expired)") {
		t.Errorf("lost endpoint: exit %d\n%s", status, stdout.String())
	}

	if err := os.Remove(filepath.Join(dir, "load-2.json")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"merge-load", dir}, "shard 2/3 missing"},
		{[]string{"merge-load"}, "no report given"},
		{[]string{"merge-load", "--nope", dir}, "flag provided but not defined"},
		{[]string{"merge-load", filepath.Join(dir, "none.json")}, "none.json"},
		{[]string{"merge-load", t.TempDir()}, "no .json report"},
	} {
		stderr.Reset()
		if status := run(context.Background(), tc.args, &stdout, &stderr); status != exitUsage || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, status, stderr.String(), tc.want)
		}
	}
	garbage := filepath.Join(t.TempDir(), "x.json")
	os.WriteFile(garbage, []byte(`{"shard":"0/1","registration_times":{"unit":"us","sub_buckets":128,"count":3}}`), 0o644)
	stderr.Reset()
	if status := run(context.Background(), []string{"merge-load", garbage}, &stdout, &stderr); status != exitUsage || !strings.Contains(stderr.String(), "count says 3") {
		t.Errorf("bad histogram: exit %d, stderr %q", status, stderr.String())
	}

	for _, args := range [][]string{{"merge-load", "-h"}, {"help", "merge-load"}, {"merge-load", "--json", "x", "--help"}} {
		stdout.Reset()
		stderr.Reset()
		if status := run(context.Background(), args, &stdout, &stderr); status != exitOK || !strings.Contains(stdout.String(), "usage: phonesim merge-load") ||
			!strings.Contains(stdout.String(), "-json") || stderr.Len() > 0 {
			t.Errorf("%v: exit %d\nstdout %q\nstderr %q", args, status, stdout.String(), stderr.String())
		}
	}
}
