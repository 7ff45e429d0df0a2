package sim

import (
	"math/bits"
	"math/rand/v2"
	"time"
)

// Rand is a seeded pseudo-random stream (PCG from math/rand/v2). It is the
// only source of randomness in a world. A Rand is a plain 32-byte value with
// no allocation per draw, so an actor can embed one.
//
// Fork derives an independent stream from the seed and a name, not from the
// parent's current state: the stream an actor gets does not depend on how many
// draws anyone else made or on which other actors exist, so adding an actor
// to a scenario does not perturb the others.
type Rand struct {
	pcg          rand.PCG
	seed1, seed2 uint64 // what Fork derives from; never advanced
}

// NewRand returns the root stream of a world seeded with seed.
func NewRand(seed uint64) *Rand {
	r := &Rand{}
	r.init(seed, 0x63616c6c77616b65) // "callwake": a fixed second word
	return r
}

func (r *Rand) init(s1, s2 uint64) {
	r.seed1, r.seed2 = s1, s2
	r.pcg.Seed(s1, s2)
}

// Fork returns the stream named name under r (e.g. "network", "alice-iphone",
// "link 10.1.0.1-10.0.0.1"). The same seed and name always give the same stream.
func (r *Rand) Fork(name string) *Rand {
	f := &Rand{}
	f.init(mix(r.seed1, name), mix(r.seed2^0x9e3779b97f4a7c15, name))
	return f
}

// mix hashes a seed word and a name (FNV-1a over both, then a splitmix64
// finaliser so that similar names give unrelated seeds).
func mix(seed uint64, name string) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	for i := range 8 {
		h ^= (seed >> (8 * i)) & 0xff
		h *= prime
	}
	for i := 0; i < len(name); i++ {
		h ^= uint64(name[i])
		h *= prime
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// Uint64 returns a uniformly distributed 64-bit value.
func (r *Rand) Uint64() uint64 { return r.pcg.Uint64() }

// Float64 returns a value in [0, 1).
func (r *Rand) Float64() float64 { return float64(r.pcg.Uint64()>>11) / (1 << 53) }

// Uint64N returns a value in [0, n); n must be positive. It is unbiased
// (Lemire's multiply-and-reject method).
func (r *Rand) Uint64N(n uint64) uint64 {
	if n == 0 {
		panic("sim: Uint64N with n == 0")
	}
	hi, lo := bits.Mul64(r.pcg.Uint64(), n)
	if lo < n {
		threshold := -n % n
		for lo < threshold {
			hi, lo = bits.Mul64(r.pcg.Uint64(), n)
		}
	}
	return hi
}

// IntN returns a value in [0, n); n must be positive.
func (r *Rand) IntN(n int) int { return int(r.Uint64N(uint64(n))) }

// Duration returns a duration uniformly distributed in [min, max], both ends
// included. If max <= min it returns min without drawing, so a fixed value
// ("wake: 1.5s") consumes nothing from the stream.
func (r *Rand) Duration(min, max time.Duration) time.Duration {
	if max <= min {
		return min
	}
	span := uint64(max - min)
	if span == 1<<64-1 {
		return min + time.Duration(r.Uint64())
	}
	return min + time.Duration(r.Uint64N(span+1))
}

// Bool returns true with probability p. For p <= 0 it is always false and for
// p >= 1 always true, without drawing: a certainty consumes nothing from the
// stream, so turning loss on for one link does not shift other draws made
// while it was off.
func (r *Rand) Bool(p float64) bool {
	if p <= 0 {
		return false
	}
	if p >= 1 {
		return true
	}
	return r.Float64() < p
}
