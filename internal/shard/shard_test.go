package shard

import (
	"fmt"
	"testing"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]Shard{"0/1": All, "2/4": {2, 4}} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1", "4/4", "-1/3", "a/b", "0/0"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q): no error", bad)
		}
	}
}

// TestPickPartitions: the shards of a list take every item exactly once.
func TestPickPartitions(t *testing.T) {
	items := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	seen := map[int]int{}
	for i := range 3 {
		for _, item := range Pick(Shard{i, 3}, items) {
			if item%3 != i {
				t.Errorf("shard %d/3 took %d", i, item)
			}
			seen[item]++
		}
	}
	if fmt.Sprint(len(seen)) != "10" {
		t.Errorf("taken %v", seen)
	}
	for item, n := range seen {
		if n != 1 {
			t.Errorf("%d taken %d times", item, n)
		}
	}
}
