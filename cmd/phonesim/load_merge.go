package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/callwake/callwake/internal/histogram"
	"github.com/callwake/callwake/internal/shard"
)

// mergeLoadUsage is the synopsis of `phonesim merge-load`.
const mergeLoadUsage = `usage: phonesim merge-load [--json OUT] REPORT|DIR...

Joins the --json reports of the shards of one load run (phonesim load
--shard I/N on several processes or machines; a DIR stands for the .json
files in it) into the report of the whole population: the counts add up,
the registration-time histograms are merged and the percentiles read from
the merged histogram, never averaged; rate is the sum of the shards'. The
reports must be those of one run: the same gatekeeper, --count and N, each
shard I/N exactly once. A missing or repeated shard is an error naming it.

It prints the merged summary (and writes it with --json) and exits 0 when
every endpoint of the population registered and none was lost, 1
otherwise, 2 on a bad command line or when the reports cannot be read or
do not make one run.
`

// maxLoadReport bounds the size of a report read: a report holds counts
// and at most a few thousand histogram buckets.
const maxLoadReport = 16 << 20

// runMergeLoad is `phonesim merge-load`; see mergeLoadUsage.
func runMergeLoad(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("phonesim merge-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jsonOut := fs.String("json", "", "write the merged report as JSON to `OUT`")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), mergeLoadUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stderr, "phonesim merge-load: no report given\n", mergeLoadUsage)
		return exitUsage
	}
	paths, err := loadReportPaths(fs.Args())
	if err == nil {
		var merged loadReport
		if merged, err = mergeLoadFiles(paths); err == nil {
			if *jsonOut != "" {
				if err := merged.write(*jsonOut); err != nil {
					fmt.Fprintf(stderr, "phonesim merge-load: --json: %v\n", err)
					return exitFailed
				}
			}
			fmt.Fprint(stdout, mergedSummary(merged))
			if merged.Registrations < merged.Endpoints || len(merged.Failed) > 0 || len(merged.Lost) > 0 || merged.Duplicates > 0 {
				return exitFailed
			}
			return exitOK
		}
	}
	fmt.Fprintf(stderr, "phonesim merge-load: %v\n", err)
	return exitUsage
}

// loadReportPaths expands the arguments: a directory stands for the .json
// files in it, in name order.
func loadReportPaths(args []string) ([]string, error) {
	var paths []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			paths = append(paths, a)
			continue
		}
		found, err := filepath.Glob(filepath.Join(a, "*.json"))
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no .json report in it", a)
		}
		paths = append(paths, found...)
	}
	return paths, nil
}

// mergeLoadFiles reads the reports and merges them.
func mergeLoadFiles(paths []string) (loadReport, error) {
	reports := make([]loadReport, len(paths))
	for i, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			return loadReport{}, err
		}
		b, err := io.ReadAll(io.LimitReader(f, maxLoadReport+1))
		f.Close()
		if err == nil && len(b) > maxLoadReport {
			err = fmt.Errorf("over %d MiB: not a load report", maxLoadReport>>20)
		}
		if err == nil {
			err = json.Unmarshal(b, &reports[i])
		}
		if err != nil {
			return loadReport{}, fmt.Errorf("%s: %v", path, err)
		}
	}
	return mergeLoadReports(paths, reports)
}

// mergeLoadReports joins the reports of the shards of one run; names are
// the reports' file names, for the errors.
func mergeLoadReports(names []string, reports []loadReport) (loadReport, error) {
	if len(reports) == 0 {
		return loadReport{}, errors.New("no report")
	}
	first := reports[0]
	merged := loadReport{Gatekeeper: first.Gatekeeper, Count: first.Count, Shard: "0/1",
		Failed: map[string]int{}, Lost: map[string]int{}, RegistrationTimes: &histogram.Histogram{}}
	var count int // N of the shards
	seen := map[int]string{}
	for i, r := range reports {
		name := names[i]
		if r.Shards > 0 {
			return loadReport{}, fmt.Errorf("%s: already a merge of %d shards", name, r.Shards)
		}
		part, err := shard.Parse(r.Shard)
		if err != nil {
			return loadReport{}, fmt.Errorf("%s: %v", name, err)
		}
		switch {
		case i == 0:
			count = part.Count
		case part.Count != count:
			return loadReport{}, fmt.Errorf("%s: shard %s of a run split in %d, %s is of one split in %d", name, r.Shard, part.Count, names[0], count)
		case r.Gatekeeper != first.Gatekeeper || r.Count != first.Count:
			return loadReport{}, fmt.Errorf("%s: a load of %d endpoints on %s, %s of %d on %s: not one run",
				name, r.Count, r.Gatekeeper, names[0], first.Count, first.Gatekeeper)
		}
		if other, dup := seen[part.Index]; dup {
			return loadReport{}, fmt.Errorf("shard %s twice: in %s and %s", r.Shard, other, name)
		}
		seen[part.Index] = name
		if r.Registrations > 0 && (r.RegistrationTimes == nil || r.RegistrationTimes.Count() == 0) {
			return loadReport{}, fmt.Errorf("%s: %d registrations but no registration_times histogram (a report of an older phonesim?)", name, r.Registrations)
		}
		if h := r.RegistrationTimes; h != nil && merged.RegistrationTimes.Count()+h.Count() < h.Count() {
			return loadReport{}, fmt.Errorf("%s: registration times overflow the merge", name)
		}
		merged.Rate += r.Rate
		merged.Endpoints += r.Endpoints
		merged.Registrations += r.Registrations
		merged.KeepAlives += r.KeepAlives
		merged.CallsRefused += r.CallsRefused
		merged.EndpointIDs += r.EndpointIDs
		merged.Duplicates += r.Duplicates
		for reason, n := range r.Failed {
			merged.Failed[reason] += n
		}
		for reason, n := range r.Lost {
			merged.Lost[reason] += n
		}
		merged.RegistrationTimes.Merge(r.RegistrationTimes)
	}
	var missing []string
	for i := range count {
		if _, ok := seen[i]; !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", i, count))
		}
	}
	if len(missing) > 0 {
		return loadReport{}, fmt.Errorf("shard %s missing: %d of %d reports given", strings.Join(missing, ", "), len(seen), count)
	}
	// Each shard runs the endpoints k with k mod N == I: together, the
	// population once. A sum that differs is a report that lies.
	if merged.Endpoints != merged.Count {
		return loadReport{}, fmt.Errorf("the shards ran %d endpoints, the population has %d", merged.Endpoints, merged.Count)
	}
	merged.Shards = count
	merged.setPercentiles()
	return merged, nil
}

// mergedSummary is loadSummary's text for a merged report.
func mergedSummary(r loadReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d shards of %d endpoints on %s\n", r.Shards, r.Count, r.Gatekeeper)
	fmt.Fprintf(&b, "endpoints %d, registrations %d, keep-alive RRQs %d, calls refused %d\n",
		r.Endpoints, r.Registrations, r.KeepAlives, r.CallsRefused)
	if r.Duplicates > 0 {
		fmt.Fprintf(&b, "failed: %d phones share an endpointIdentifier within their shard: the gatekeeper took them for fewer endpoints\n", r.Duplicates)
	}
	if h := r.RegistrationTimes; h.Count() > 0 {
		fmt.Fprintf(&b, "registration time: p50 %v, p90 %v, p99 %v, max %v\n",
			round(h.Quantile(0.5)), round(h.Quantile(0.9)), round(h.Quantile(0.99)), round(h.Max()))
	}
	for _, counts := range []struct {
		what string
		by   map[string]int
	}{{"failed", r.Failed}, {"lost", r.Lost}} {
		for _, reason := range slices.Sorted(maps.Keys(counts.by)) {
			fmt.Fprintf(&b, "%s: %d (%s)\n", counts.what, counts.by[reason], reason)
		}
	}
	return b.String()
}
