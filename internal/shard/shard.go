// Package shard splits work between processes: shard I of N (I counting
// from 0, as a Kubernetes Indexed Job's JOB_COMPLETION_INDEX does) takes
// the items k with k mod N == I of a list every process computes alike.
package shard

import (
	"fmt"
	"strconv"
	"strings"
)

// Shard is shard Index of Count.
type Shard struct {
	Index, Count int
}

// All is the one shard that takes everything.
var All = Shard{Index: 0, Count: 1}

// Parse reads "I/N" with 0 <= I < N.
func Parse(s string) (Shard, error) {
	index, count, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard %q: want I/N, e.g. 0/4", s)
	}
	i, errI := strconv.Atoi(index)
	n, errN := strconv.Atoi(count)
	if errI != nil || errN != nil || n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("shard %q: want I/N with N >= 1 and 0 <= I < N", s)
	}
	return Shard{Index: i, Count: n}, nil
}

// Pick returns the items of this shard: the k-th item belongs to shard
// k mod N. The assignment depends only on the list, so every shard given
// the same list agrees on it; the shards partition the list and differ in
// size by at most one item, which hashing the items would not guarantee.
func Pick[T any](s Shard, items []T) []T {
	var mine []T
	for k, item := range items {
		if k%s.Count == s.Index {
			mine = append(mine, item)
		}
	}
	return mine
}
