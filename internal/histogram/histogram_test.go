package histogram

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// exactQuantile is the definition Quantile approximates: the sample of
// rank ceil(q*n), at least 1.
func exactQuantile(sorted []time.Duration, q float64) time.Duration {
	n := float64(len(sorted))
	rank := int(q * n)
	if float64(rank) < q*n {
		rank++
	}
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// samples draws n durations spread over 0..1 h on a log scale, as
// registration times of a healthy and of an overloaded PBX are.
func samples(r *rand.Rand, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		// 2^0 .. 2^42 ns: below a microsecond to over an hour.
		out[i] = time.Duration(r.Int64N(1 << r.IntN(43)))
	}
	return out
}

var quantiles = []float64{0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1}

// checkBound reports a quantile outside the stated bound.
func checkBound(t *testing.T, what string, h *Histogram, sorted []time.Duration) {
	t.Helper()
	for _, q := range quantiles {
		want := exactQuantile(sorted, q)
		got := h.Quantile(q)
		bound := time.Duration(float64(want)*RelativeError) + Resolution
		if d := got - want; d > bound || -d > bound {
			t.Fatalf("%s: Quantile(%v) = %v, exact %v: off by %v, bound %v", what, q, got, want, d, bound)
		}
	}
}

// TestQuantileBound is the property: over random sample sets of every
// size, each quantile is within RelativeError (plus the resolution) of the
// exact quantile, and Count, Min, Max are exact.
func TestQuantileBound(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		s := samples(r, 1+r.IntN(3000))
		var h Histogram
		for _, d := range s {
			h.Record(d)
		}
		slices.Sort(s)
		if h.Count() != uint64(len(s)) || h.Min() != s[0].Truncate(Resolution) || h.Max() != s[len(s)-1].Truncate(Resolution) {
			t.Fatalf("trial %d: count %d min %v max %v; want %d %v %v", trial, h.Count(), h.Min(), h.Max(), len(s), s[0], s[len(s)-1])
		}
		checkBound(t, "trial", &h, s)
		if h.Quantile(0) != h.Min() || h.Quantile(1) != h.Max() {
			t.Fatalf("trial %d: Quantile(0) %v, Quantile(1) %v; want the exact extremes %v %v", trial, h.Quantile(0), h.Quantile(1), h.Min(), h.Max())
		}
	}
}

// TestBoundIsTight: the bound is not loose by orders of magnitude; some
// value near the top of a wide bucket is off by nearly all of it.
func TestBoundIsTight(t *testing.T) {
	var h Histogram
	v := 511 * time.Microsecond // v-200 = 311 µs lies in bucket [310, 312)
	h.Record(100 * time.Microsecond)
	h.Record(v - 200*time.Microsecond)
	h.Record(time.Hour)
	got := h.Quantile(0.5) // the rank-2 sample, 311 µs
	if got == 311*time.Microsecond {
		t.Fatalf("Quantile(0.5) exact: a bucket of width 2 should have rounded it")
	}
	if d := 311*time.Microsecond - got; d < 0 || d > 2*time.Microsecond {
		t.Fatalf("Quantile(0.5) = %v, want 310 µs", got)
	}
}

// TestBuckets: the layout is contiguous, each bucket no wider than
// 1/128 of its lower bound, and index and bounds agree.
func TestBuckets(t *testing.T) {
	var next int64
	for i := 0; i < index(int64(time.Hour/Resolution))+2; i++ {
		lo, w := bounds(i)
		if lo != next || index(lo) != i || index(lo+w-1) != i || (i >= exact && w*subCount > lo) {
			t.Fatalf("bucket %d: [%d, +%d), next expected %d", i, lo, w, next)
		}
		next = lo + w
	}
	if got := index(1<<62 + 1<<61); got < 0 {
		t.Fatalf("index of a large value: %d", got)
	}
}

// TestMergeIsWhole: the merge of the histograms of the parts of a sample
// set is the histogram of the whole, bucket for bucket.
func TestMergeIsWhole(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := range 50 {
		s := samples(r, 1+r.IntN(5000))
		var whole Histogram
		parts := make([]Histogram, 1+r.IntN(8))
		for _, d := range s {
			whole.Record(d)
			parts[r.IntN(len(parts))].Record(d)
		}
		var merged Histogram
		for i := range parts {
			merged.Merge(&parts[i])
		}
		a, _ := json.Marshal(&whole)
		b, _ := json.Marshal(&merged)
		if string(a) != string(b) {
			t.Fatalf("trial %d: merged\n%s\nwhole\n%s", trial, b, a)
		}
		slices.Sort(s)
		checkBound(t, "merged", &merged, s)
	}
	var empty, h Histogram
	h.Record(time.Second)
	h.Merge(&empty)
	h.Merge(nil)
	empty.Merge(&h)
	if empty.Count() != 1 || empty.Min() != time.Second || empty.Max() != time.Second || empty.Mean() != time.Second {
		t.Fatalf("merge into empty: %+v", empty)
	}
}

// TestJSONRoundTrip: what is written reads back the same, compactly.
func TestJSONRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 10, 100000} {
		var h Histogram
		for _, d := range samples(r, n) {
			h.Record(d)
		}
		b, err := json.Marshal(&h)
		if err != nil {
			t.Fatal(err)
		}
		var back Histogram
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%d samples: %v\n%s", n, err, b)
		}
		again, _ := json.Marshal(&back)
		if string(again) != string(b) || back.Count() != h.Count() || back.Quantile(0.99) != h.Quantile(0.99) || back.Mean() != h.Mean() {
			t.Fatalf("%d samples: round trip\n%s\n%s", n, b, again)
		}
		// Compact: one entry per non-empty bucket, never the whole layout.
		if n == 100000 && len(b) > 25*len(h.counts) {
			t.Errorf("100000 samples: %d bytes of JSON", len(b))
		}
	}
	var one Histogram
	one.Record(1500 * time.Microsecond)
	b, _ := json.Marshal(&one)
	if want := `{"unit":"us","sub_buckets":128,"count":1,"min":1500,"max":1500,"sum":1500,"buckets":[[1496,1]]}`; string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
}

// TestJSONRefused: a histogram that does not add up is refused by name.
func TestJSONRefused(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"unit":"ms","sub_buckets":128}`, "unit"},
		{`{"unit":"us","sub_buckets":64}`, "sub-buckets"},
		{`{"unit":"us","sub_buckets":128,"count":2,"min":3,"max":3,"buckets":[[3,1]]}`, "count says 2"},
		{`{"unit":"us","sub_buckets":128,"count":1,"min":257,"max":257,"buckets":[[257,1]]}`, "not a bucket"},
		{`{"unit":"us","sub_buckets":128,"count":2,"min":3,"max":4,"buckets":[[4,1],[3,1]]}`, "ascending"},
		{`{"unit":"us","sub_buckets":128,"count":1,"min":3,"max":9,"buckets":[[3,1]]}`, "min 3 and max 9"},
		{`{"unit":"us","sub_buckets":128,"count":1,"min":3,"max":3,"buckets":[[3,0]]}`, "count above 0"},
		{`{"unit":"us","sub_buckets":128,"count":0,"min":3}`, "no samples"},
		{`{"unit":"us","sub_buckets":128,"count":2,"min":1,"max":1,"buckets":[[1,18446744073709551615],[2,2]]}`, "overflow"},
	} {
		var h Histogram
		if err := json.Unmarshal([]byte(tc.in), &h); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.in, err, tc.want)
		}
	}
}

func BenchmarkRecord(b *testing.B) {
	var h Histogram
	r := rand.New(rand.NewPCG(7, 8))
	s := samples(r, 4096)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		h.Record(s[i%len(s)])
	}
}

func BenchmarkMerge(b *testing.B) {
	r := rand.New(rand.NewPCG(9, 10))
	var part Histogram
	for _, d := range samples(r, 100000) {
		part.Record(d)
	}
	b.ReportAllocs()
	for b.Loop() {
		var h Histogram
		h.Merge(&part)
		h.Merge(&part)
	}
}

func BenchmarkQuantile(b *testing.B) {
	r := rand.New(rand.NewPCG(11, 12))
	var h Histogram
	for _, d := range samples(r, 100000) {
		h.Record(d)
	}
	b.ReportAllocs()
	for b.Loop() {
		h.Quantile(0.99)
	}
}
