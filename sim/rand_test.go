package sim

import (
	"math"
	"testing"
	"time"
)

func TestRandSameSeedSameStream(t *testing.T) {
	a, b, c := NewRand(42), NewRand(42), NewRand(43)
	same, differ := true, false
	for range 100 {
		x, y, z := a.Uint64(), b.Uint64(), c.Uint64()
		same = same && x == y
		differ = differ || x != z
	}
	if !same || !differ {
		t.Fatalf("same seed equal: %v, different seed differs: %v", same, differ)
	}
}

func TestRandForkIsIndependentOfParentDraws(t *testing.T) {
	fresh := NewRand(9)
	used := NewRand(9)
	for range 1000 {
		used.Uint64() // another actor's traffic
	}
	f1, f2 := fresh.Fork("alice-iphone"), used.Fork("alice-iphone")
	other := fresh.Fork("bob-desk")
	nested1, nested2 := fresh.Fork("network").Fork("10.1.0.1"), used.Fork("network").Fork("10.1.0.1")
	differ := false
	for range 100 {
		x, y, z := f1.Uint64(), f2.Uint64(), other.Uint64()
		if x != y {
			t.Fatal("fork depends on the parent's state")
		}
		if nested1.Uint64() != nested2.Uint64() {
			t.Fatal("nested fork depends on the parent's state")
		}
		differ = differ || x != z
	}
	if !differ {
		t.Fatal("forks with different names give the same stream")
	}
	if NewRand(1).Fork("x").Uint64() == NewRand(2).Fork("x").Uint64() {
		t.Fatal("forks of different seeds agree")
	}
}

func TestRandHelpersBounds(t *testing.T) {
	r := NewRand(1)
	const draws = 100_000
	tests := []struct {
		name     string
		min, max time.Duration
	}{
		{"wide", 0, 5 * time.Millisecond},
		{"offset", time.Second, 3 * time.Second},
		{"one nanosecond", 10, 11},
		{"negative", -time.Second, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi := tt.max, tt.min
			var sum float64
			for range draws {
				d := r.Duration(tt.min, tt.max)
				if d < tt.min || d > tt.max {
					t.Fatalf("Duration(%v, %v) = %v out of range", tt.min, tt.max, d)
				}
				lo, hi = min(lo, d), max(hi, d)
				sum += float64(d)
			}
			mean := sum / draws
			mid := float64(tt.min+tt.max) / 2
			span := float64(tt.max - tt.min)
			// The mean of n uniform draws has standard deviation span/sqrt(12n);
			// allow six of them.
			if math.Abs(mean-mid) > 6*span/math.Sqrt(12*draws) {
				t.Fatalf("mean %v, want about %v", time.Duration(mean), time.Duration(mid))
			}
			if tt.max-tt.min == 1 && (lo != tt.min || hi != tt.max) {
				t.Fatalf("both ends must be reachable: saw %v..%v", lo, hi)
			}
		})
	}
}

func TestRandCertaintiesDrawNothing(t *testing.T) {
	a, b := NewRand(5), NewRand(5)
	if a.Bool(0) || !a.Bool(1) || a.Bool(-1) || !a.Bool(2) {
		t.Fatal("Bool with p outside (0,1) must be certain")
	}
	if got := a.Duration(time.Second, time.Second); got != time.Second {
		t.Fatalf("fixed Duration = %v", got)
	}
	if a.Uint64() != b.Uint64() {
		t.Fatal("a certainty consumed a draw")
	}
}

func TestRandBoolAndUint64NStatistics(t *testing.T) {
	r := NewRand(3)
	const n = 200_000
	hits := 0
	for range n {
		if r.Bool(0.25) {
			hits++
		}
	}
	// Binomial: sd = sqrt(n p (1-p)) ≈ 194; allow six.
	if math.Abs(float64(hits)-n*0.25) > 6*math.Sqrt(n*0.25*0.75) {
		t.Fatalf("Bool(0.25) true %d of %d", hits, n)
	}
	var buckets [7]int
	for range n {
		buckets[r.Uint64N(7)]++
	}
	for i, c := range buckets {
		if math.Abs(float64(c)-n/7.0) > 6*math.Sqrt(n/7.0) {
			t.Fatalf("Uint64N(7) bucket %d has %d of %d", i, c, n)
		}
	}
	for range 1000 {
		if f := r.Float64(); f < 0 || f >= 1 {
			t.Fatalf("Float64 = %v", f)
		}
	}
}
