package ras

import (
	"errors"
	"time"

	"github.com/callwake/callwake/h323/h225"
)

// A token whose timeStamp is within TimestampWindow of the receiver's clock
// passes the time check, so a captured message played again inside the window
// would be accepted but for a memory of the tokens accepted. replayCache is
// that memory, for both cores: every token a core accepts is remembered by
// (sender, method, timeStamp, random) and a second one with the same key is
// refused with ErrReplay.
//
// An H.235.1 token is identified by its random, which senders count up for
// every message. A cryptoEPPwdHash or cryptoGKPwdHash token has no random and
// hashes only alias, timestamp and password: all the tokens a sender makes in
// one second are the same octets, and the token binds nothing of the message.
// Such a token is remembered with the message type and requestSeqNum it came
// with, so that the same message played again is refused; the token lifted
// into another message cannot be told from a genuine one (a weakness of
// cryptoEPPwdHash itself, which H.235.1 replaces).
//
// Eviction is by time: a token accepted at time t had a timeStamp no later than
// t + TimestampWindow, so after t + 2 × TimestampWindow its timeStamp is stale
// and the time check refuses it without the cache. Entries are kept in the
// order they were accepted and dropped once that old. Memory is bounded by the
// tokens accepted in the last 2 × TimestampWindow (60 s) — only senders that
// hold a password can add one — and never more than the cache's capacity
// (DefaultReplayCapacity entries of about 145 bytes, measured: 150 MB at most,
// reached only by a million senders with a password each signing within a minute) nor
// ReplayPerSender entries of one sender. Full, the cache refuses new tokens
// (securityDenial) rather than forget one that could still be replayed.
type replayCache struct {
	seen      map[replayKey]struct{}
	order     []replayEntry // by acceptance time; order[head:] are live
	head      int
	perSender map[string]int
	capacity  int
}

type replayKey struct {
	sender    string
	method    AuthMethod
	timestamp int64
	random    int64 // H.235.1 random; for MD5 tokens the message type and requestSeqNum
}

type replayEntry struct {
	key      replayKey
	accepted time.Time
}

// DefaultReplayCapacity is the number of tokens a replay cache holds at most:
// a million phones sending a keep-alive every 108 s make 555,000 tokens in
// 60 s, a registration storm of a million phones more. Memory is taken only
// by tokens accepted, so the default is sized for the largest world rather
// than the common one.
const DefaultReplayCapacity = 1 << 20

// ReplayPerSender is how many tokens of one sender the cache holds at most
// (within 2 × TimestampWindow): a phone sends a few; one that sends more than
// 256 signed messages a minute is refused rather than allowed to fill the
// cache for everyone.
const ReplayPerSender = 256

// Errors of the replay check.
var (
	ErrReplayCacheFull = errors.New("ras: too many tokens accepted within the replay window")
	ErrReplayRate      = errors.New("ras: sender signed more messages within the replay window than allowed")
)

func newReplayCache(capacity int) *replayCache {
	if capacity <= 0 {
		capacity = DefaultReplayCapacity
	}
	return &replayCache{seen: map[replayKey]struct{}{}, perSender: map[string]int{}, capacity: capacity}
}

// replayKeyOf is the key of a verified token of sender in m.
func replayKeyOf(sender string, info tokenInfo, m *h225.RasMessage) replayKey {
	k := replayKey{sender: sender, method: info.method, timestamp: info.timestamp, random: info.random}
	if info.method == AuthMD5 || !info.hasRandom {
		k.random = int64(m.Choice)<<16 | int64(SeqNum(m))
	}
	return k
}

// accept records a verified token at time now, or refuses it as a replay (or
// because the cache is full).
func (c *replayCache) accept(now time.Time, k replayKey) error {
	c.evict(now)
	if _, dup := c.seen[k]; dup {
		return ErrReplay
	}
	if len(c.seen) >= c.capacity {
		return ErrReplayCacheFull
	}
	if c.perSender[k.sender] >= ReplayPerSender {
		return ErrReplayRate
	}
	c.seen[k] = struct{}{}
	c.perSender[k.sender]++
	c.order = append(c.order, replayEntry{key: k, accepted: now})
	return nil
}

// evict drops the entries accepted more than 2 × TimestampWindow before now.
func (c *replayCache) evict(now time.Time) {
	limit := now.Add(-2 * TimestampWindow)
	for c.head < len(c.order) && c.order[c.head].accepted.Before(limit) {
		k := c.order[c.head].key
		delete(c.seen, k)
		if c.perSender[k.sender]--; c.perSender[k.sender] <= 0 {
			delete(c.perSender, k.sender)
		}
		c.order[c.head] = replayEntry{}
		c.head++
	}
	// Compact once the dead prefix is the larger part, so that the slice
	// stays within twice the live entries.
	if c.head > 0 && c.head >= len(c.order)-c.head {
		n := copy(c.order, c.order[c.head:])
		clear(c.order[n:])
		c.order = c.order[:n]
		c.head = 0
	}
}

// len is the number of tokens remembered.
func (c *replayCache) len() int { return len(c.seen) }
