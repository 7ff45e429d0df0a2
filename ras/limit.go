package ras

import (
	"time"

	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/timeline"
)

// The cores report every datagram they refuse (malformed, from a stranger,
// answering nothing, failing its token) with a record; a flood of junk must
// not become a flood of records. Per record name a core emits a burst of
// RecordBurst records, then one per RecordInterval; the first record after
// some were held back carries suppressed=N, the number held back. Memory is
// one counter per record name (a handful of constants), whatever the traffic.
const (
	RecordBurst    = 10
	RecordInterval = time.Second
)

// recordLimiter is a token bucket per record name, on the time the core is given.
type recordLimiter struct {
	buckets map[string]*recordBucket
}

type recordBucket struct {
	tokens     int
	refilled   time.Time
	suppressed int
}

// limit returns rec, with suppressed=N when records were held back, or false
// when this one is held back too.
func (l *recordLimiter) limit(now time.Time, rec node.Record) (node.Record, bool) {
	if l.buckets == nil {
		l.buckets = map[string]*recordBucket{}
	}
	b := l.buckets[rec.Name]
	if b == nil {
		b = &recordBucket{tokens: RecordBurst, refilled: now}
		l.buckets[rec.Name] = b
	}
	if n := int(now.Sub(b.refilled) / RecordInterval); n > 0 {
		b.tokens = min(RecordBurst, b.tokens+n)
		b.refilled = b.refilled.Add(time.Duration(n) * RecordInterval)
	}
	if b.tokens == RecordBurst {
		b.refilled = now // a full bucket does not save up more
	}
	if b.tokens == 0 {
		b.suppressed++
		return rec, false
	}
	b.tokens--
	if b.suppressed > 0 {
		rec.Attrs = append(rec.Attrs[:len(rec.Attrs):len(rec.Attrs)], timeline.A("suppressed", b.suppressed))
		b.suppressed = 0
	}
	return rec, true
}

// refusal returns the effects reporting a refused datagram: the record, or
// nothing when the limiter holds it back.
func (l *recordLimiter) refusal(now time.Time, rec node.Record) []Effect {
	if rec, ok := l.limit(now, rec); ok {
		return []Effect{rec}
	}
	return nil
}
