package histogram

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// wire is the JSON form of a Histogram: compact, with only the buckets
// that hold samples, each as [lowest value in µs, count], in ascending
// order. SubBuckets names the layout, so that a reader of another layout
// refuses it instead of misreading it.
type wire struct {
	Unit       string      `json:"unit"`
	SubBuckets int         `json:"sub_buckets"`
	Count      uint64      `json:"count"`
	Min        int64       `json:"min"`
	Max        int64       `json:"max"`
	Sum        int64       `json:"sum"`
	Buckets    [][2]uint64 `json:"buckets"`
}

// MarshalJSON writes the histogram as its non-empty buckets.
func (h *Histogram) MarshalJSON() ([]byte, error) {
	w := wire{Unit: "us", SubBuckets: subCount, Count: h.count, Min: h.min, Max: h.max, Sum: h.sum, Buckets: [][2]uint64{}}
	for i, n := range h.counts {
		if n > 0 {
			lo, _ := bounds(i)
			w.Buckets = append(w.Buckets, [2]uint64{uint64(lo), n})
		}
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads what MarshalJSON writes. It checks what a report
// from elsewhere could get wrong: the layout, that each bucket is one of
// the layout's, in order, that the counts add up and that the extremes
// lie in the buckets they claim.
func (h *Histogram) UnmarshalJSON(b []byte) error {
	var w wire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if w.Unit != "us" || w.SubBuckets != subCount {
		return fmt.Errorf("histogram: unit %q with %d sub-buckets; want \"us\" with %d", w.Unit, w.SubBuckets, subCount)
	}
	var got Histogram
	last := -1
	var total uint64
	for _, bk := range w.Buckets {
		lo, n := bk[0], bk[1]
		if lo > math.MaxInt64 || n == 0 {
			return fmt.Errorf("histogram: bucket [%d, %d]: want a value and a count above 0", lo, n)
		}
		i := index(int64(lo))
		if start, _ := bounds(i); uint64(start) != lo || i <= last {
			return fmt.Errorf("histogram: bucket %d µs is not a bucket of this layout, or not in ascending order", lo)
		}
		if total+n < total {
			return errors.New("histogram: counts overflow")
		}
		total += n
		got.add(i, n)
		last = i
	}
	if total != w.Count {
		return fmt.Errorf("histogram: buckets hold %d samples, count says %d", total, w.Count)
	}
	if total > 0 {
		if w.Min < 0 || w.Min > w.Max || index(w.Min) >= len(got.counts) || got.counts[index(w.Min)] == 0 || index(w.Max) != last {
			return fmt.Errorf("histogram: min %d and max %d µs do not lie in the first and last buckets", w.Min, w.Max)
		}
		for i := range index(w.Min) {
			if got.counts[i] > 0 {
				return fmt.Errorf("histogram: a bucket below min %d µs holds samples", w.Min)
			}
		}
		got.min, got.max, got.sum = w.Min, w.Max, w.Sum
	} else if w.Min != 0 || w.Max != 0 || w.Sum != 0 {
		return errors.New("histogram: no samples but min, max or sum set")
	}
	got.count = total
	*h = got
	return nil
}
