// Package histogram is a log-linear histogram of durations in the manner
// of HDR histograms: a fixed layout of buckets, exact below 256 µs and
// then 128 buckets per power of two, so that a quantile read from it is
// within 1/256 of the true value (plus the 1 µs resolution), whatever the
// number of samples, in constant memory. Histograms of the same layout
// merge by adding their buckets, which is what lets the reports of several
// processes be joined into the percentiles of the whole: percentiles
// themselves cannot be averaged.
package histogram

import (
	"math/bits"
	"time"
)

// subBits is log2 of the buckets per power of two. 7 gives buckets no
// wider than 1/128 of their lower bound; a bucket's midpoint is then
// within 1/256 of any value in it.
const subBits = 7

const (
	subCount = 1 << subBits
	// exact is where buckets stop being one microsecond wide.
	exact = 2 * subCount
)

// RelativeError is the bound on the error of Quantile relative to the
// exact quantile of the recorded samples, beyond Resolution: for samples
// rounded down to the microsecond, |Quantile(q) - exact| <= exact *
// RelativeError + Resolution.
const RelativeError = 1.0 / (2 * subCount)

// Resolution is the unit samples are recorded in.
const Resolution = time.Microsecond

// Histogram counts durations in log-linear buckets. The zero value is an
// empty histogram ready to use; it is not safe for concurrent use.
type Histogram struct {
	counts   []uint64 // by bucket index, grown as needed
	count    uint64
	min, max int64 // microseconds, exact
	sum      int64 // microseconds, for the mean
}

// index is the bucket of v microseconds (v >= 0).
func index(v int64) int {
	if v < exact {
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - 1 - subBits
	return shift*subCount + int(v>>shift)
}

// bounds returns the lowest value of bucket i and its width.
func bounds(i int) (lo, width int64) {
	if i < exact {
		return int64(i), 1
	}
	shift := i/subCount - 1
	top := int64(i - shift*subCount)
	return top << shift, 1 << shift
}

// micros converts a duration to the recorded unit; a negative one counts
// as zero.
func micros(d time.Duration) int64 { return max(int64(d/Resolution), 0) }

// Record adds one sample.
func (h *Histogram) Record(d time.Duration) { h.RecordN(d, 1) }

// RecordN adds n samples of the same duration.
func (h *Histogram) RecordN(d time.Duration, n uint64) {
	if n == 0 {
		return
	}
	v := micros(d)
	h.add(index(v), n)
	if h.count == 0 || v < h.min {
		h.min = v
	}
	if h.count == 0 || v > h.max {
		h.max = v
	}
	h.count += n
	h.sum += v * int64(n)
}

func (h *Histogram) add(i int, n uint64) {
	if i >= len(h.counts) {
		h.counts = append(h.counts, make([]uint64, i+1-len(h.counts))...)
	}
	h.counts[i] += n
}

// Merge adds the samples of other to h, as if h had recorded them.
func (h *Histogram) Merge(other *Histogram) {
	if other == nil || other.count == 0 {
		return
	}
	if len(other.counts) > len(h.counts) {
		h.counts = append(h.counts, make([]uint64, len(other.counts)-len(h.counts))...)
	}
	for i, n := range other.counts {
		h.counts[i] += n
	}
	if h.count == 0 || other.min < h.min {
		h.min = other.min
	}
	if h.count == 0 || other.max > h.max {
		h.max = other.max
	}
	h.count += other.count
	h.sum += other.sum
}

// Count is the number of samples.
func (h *Histogram) Count() uint64 { return h.count }

// Min is the smallest sample (exact, to the microsecond); 0 when empty.
func (h *Histogram) Min() time.Duration { return time.Duration(h.min) * Resolution }

// Max is the largest sample (exact, to the microsecond); 0 when empty.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) * Resolution }

// Mean is the mean of the samples (exact, to the microsecond); 0 when empty.
func (h *Histogram) Mean() time.Duration {
	if h.count == 0 {
		return 0
	}
	return time.Duration(h.sum/int64(h.count)) * Resolution
}

// Quantile returns the q-quantile (0 <= q <= 1) of the samples: the
// sample of rank ceil(q*Count) (at least 1) in ascending order, to within
// RelativeError and Resolution. Quantile(0) is Min and Quantile(1) Max,
// exactly. An empty histogram answers 0.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.count == 0 {
		return 0
	}
	q = min(max(q, 0), 1)
	rank := uint64(q * float64(h.count))
	if float64(rank) < q*float64(h.count) {
		rank++
	}
	rank = min(max(rank, 1), h.count)
	// The first and last ranks are the extremes, which are kept exactly.
	switch rank {
	case 1:
		return h.Min()
	case h.count:
		return h.Max()
	}
	var seen uint64
	for i, n := range h.counts {
		seen += n
		if seen >= rank {
			lo, width := bounds(i)
			// The midpoint, kept within the exact extremes: every sample
			// lies between them, so this never moves away from the truth.
			v := min(max(lo+(width-1)/2, h.min), h.max)
			return time.Duration(v) * Resolution
		}
	}
	return h.Max()
}
