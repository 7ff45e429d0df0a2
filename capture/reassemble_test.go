package capture

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// seg builds a data segment from the caller to the gatekeeper.
func seg(index int, seq uint32, data string) segment {
	return segment{index: index, at: DefaultEpoch.Add(time.Duration(index) * time.Millisecond),
		src: callerSig, dst: gkSig, seq: seq, payload: []byte(data)}
}

func synSeg(index int, seq uint32) segment {
	s := seg(index, seq, "")
	s.syn = true
	return s
}

// reply builds a data segment from the gatekeeper to the caller.
func reply(index int, seq uint32, data string) segment {
	s := seg(index, seq, data)
	s.src, s.dst = gkSig, callerSig
	return s
}

func replySyn(index int, seq uint32) segment {
	s := reply(index, seq, "")
	s.syn = true
	return s
}

// flagged returns s with FIN or RST set.
func flagged(s segment, fin, rst bool) segment {
	s.fin, s.rst = fin, rst
	return s
}

// summary renders records as "index:payload" or "index:error".
func summary(recs []Record) string {
	var parts []string
	for _, r := range recs {
		if r.Err != nil {
			parts = append(parts, fmt.Sprintf("%d:error", r.Index))
		} else {
			parts = append(parts, fmt.Sprintf("%d:%s", r.Index, r.Payload))
		}
	}
	return strings.Join(parts, " ")
}

// lineFramer frames newline-terminated messages; "!" cannot start one.
func lineFramer(p []byte) (int, error) {
	if len(p) > 0 && p[0] == '!' {
		return 0, errors.New("bang")
	}
	return bytes.IndexByte(p, '\n') + 1, nil
}

func TestReassembly(t *testing.T) {
	const isn = 0xfffffff0 // close to wrap-around on purpose
	tests := []struct {
		name     string
		framer   Framer
		segments []segment
		want     string
	}{
		{"in order", nil, []segment{synSeg(1, isn), seg(2, isn+1, "ab"), seg(3, isn+3, "cd")}, "2:ab 3:cd"},
		{"out of order is held until the gap fills", nil,
			[]segment{synSeg(1, isn), seg(2, isn+3, "cd"), seg(3, isn+5, "ef"), seg(4, isn+1, "ab")},
			"4:ab 4:cd 4:ef"},
		{"retransmission and overlap are trimmed", nil,
			[]segment{synSeg(1, isn), seg(2, isn+1, "abc"), seg(3, isn+1, "abc"), seg(4, isn+2, "bcde")},
			"2:abc 4:de"},
		{"sequence wraps around", nil,
			[]segment{synSeg(1, 0xfffffffd), seg(2, 0xfffffffe, "abcd"), seg(3, 2, "ef")},
			"2:abcd 3:ef"},
		{"capture starting mid-stream", nil, []segment{seg(5, 1000, "xy"), seg(6, 1002, "z")}, "5:xy 6:z"},
		{"gap never filled", nil, []segment{synSeg(1, isn), seg(2, isn+1, "ab"), seg(3, isn+9, "zz")}, "2:ab 3:error"},
		{"framer: message split over segments", lineFramer,
			[]segment{synSeg(1, isn), seg(2, isn+1, "he"), seg(3, isn+3, "llo\nwor"), seg(4, isn+10, "ld\n")},
			"3:hello\n 4:world\n"},
		{"framer: two messages in one segment", lineFramer,
			[]segment{seg(1, 0, "a\nb\n")}, "1:a\n 1:b\n"},
		{"framer: error stops the direction", lineFramer,
			[]segment{seg(1, 0, "a\n!x\n"), seg(2, 5, "b\n")}, "1:a\n 1:error"},
		{"framer: capture ends inside a message", lineFramer,
			[]segment{seg(1, 0, "a\nbc")}, "1:a\n 1:error"},
		{"framer: bad length", func([]byte) (int, error) { return 99, nil },
			[]segment{seg(1, 0, "abc")}, "1:error"},
		// What the assembler's connection table decides: a four-tuple
		// reused after both FINs starts a new stream, data past a FIN or
		// after a RST is not stream data.
		{"reuse after both FINs", nil, []segment{
			synSeg(1, 100), replySyn(2, 500), seg(3, 101, "ab"), flagged(seg(4, 103, ""), true, false),
			flagged(reply(5, 501, ""), true, false),
			synSeg(6, 9000), seg(7, 9001, "cd"),
		}, "3:ab 7:cd"},
		{"data past the FIN is dropped", nil, []segment{
			synSeg(1, 100), flagged(seg(2, 101, "ab"), true, false), seg(3, 104, "zz"),
		}, "2:ab"},
		{"RST ends the direction", nil, []segment{
			synSeg(1, 100), seg(2, 101, "ab"), flagged(seg(3, 103, ""), false, true), seg(4, 103, "zz"),
		}, "2:ab"},
		// A RST ends the whole connection: the other side's late data is
		// not stream data, and a SYN on the same four-tuple starts a new
		// connection whose data is kept, whichever side reset the old one.
		{"RST ends the other direction too", nil, []segment{
			synSeg(1, 100), replySyn(2, 500), seg(3, 101, "ab"), flagged(seg(4, 103, ""), false, true),
			reply(5, 501, "zz"),
		}, "3:ab"},
		{"reuse after the caller's RST", nil, []segment{
			synSeg(1, 100), replySyn(2, 500), seg(3, 101, "ab"), flagged(seg(4, 103, ""), false, true),
			synSeg(5, 9000), replySyn(6, 7000), seg(7, 9001, "cd"), reply(8, 7001, "ef"),
		}, "3:ab 7:cd 8:ef"},
		{"reuse after the callee's RST", nil, []segment{
			synSeg(1, 100), replySyn(2, 500), seg(3, 101, "ab"), reply(4, 501, "xy"),
			flagged(reply(5, 503, ""), false, true),
			synSeg(6, 9000), seg(7, 9001, "cd"),
		}, "3:ab 4:xy 7:cd"},
		{"reuse after a RST, the other direction never seen", nil, []segment{
			seg(1, 0, "ab"), flagged(seg(2, 2, ""), false, true), synSeg(3, 50), seg(4, 51, "cd"),
		}, "1:ab 4:cd"},
		{"a reset drops what waits behind a hole, and says so", nil, []segment{
			synSeg(1, 100), replySyn(2, 500), reply(3, 501, "ab"), reply(4, 507, "zz"),
			flagged(seg(5, 101, ""), false, true),
		}, "3:ab 5:error"},
		{"a filled hole is nothing to report", nil, []segment{
			synSeg(1, 100), replySyn(2, 500), reply(3, 503, "cd"), reply(4, 501, "ab"),
			flagged(seg(5, 101, ""), false, true),
		}, "4:ab 4:cd"},
		{"an out-of-window RST changes nothing", nil, []segment{
			synSeg(1, 100), seg(2, 101, "ab"), flagged(seg(3, 90, ""), false, true), seg(4, 103, "cd"),
		}, "2:ab 4:cd"},
		{"framer: reset inside a message", lineFramer, []segment{
			seg(1, 0, "a\nbc"), flagged(seg(2, 4, ""), false, true),
		}, "1:a\n 2:error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTCPTracker(tt.framer, DefaultMaxPending)
			var recs []Record
			for _, s := range tt.segments {
				recs = append(recs, tr.add(s)...)
			}
			recs = append(recs, tr.finish()...)
			if got := summary(recs); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReassemblyBoundsBuffering(t *testing.T) {
	tr := newTCPTracker(nil, 10)
	recs := tr.add(seg(1, 0, "a"))
	recs = append(recs, tr.add(seg(2, 100, "0123456789x"))...) // behind a gap, over the bound
	recs = append(recs, tr.add(seg(3, 1, "b"))...)             // ignored: direction broken
	if got := summary(recs); got != "1:a 2:error" {
		t.Errorf("got %q", got)
	}
	fr := newTCPTracker(func([]byte) (int, error) { return 0, nil }, 10)
	if got := summary(fr.add(seg(1, 0, "0123456789abc"))); got != "1:error" {
		t.Errorf("framer that never completes: got %q", got)
	}
}

func TestReassemblyKeepsDirectionsApart(t *testing.T) {
	tr := newTCPTracker(nil, DefaultMaxPending)
	a := seg(1, 0, "to-server")
	b := segment{index: 2, src: gkSig, dst: callerSig, seq: 0, payload: []byte("to-client")}
	recs := append(tr.add(a), tr.add(b)...)
	if len(recs) != 2 || recs[0].Src != callerSig || recs[1].Src != gkSig || string(recs[1].Payload) != "to-client" {
		t.Errorf("records %+v", recs)
	}
}

// TestReassemblyFinishOrder leaves many connections with a gap and an
// incomplete message: the end-of-capture errors must come in the order the
// directions were first seen, whatever order the assembler flushes them in.
func TestReassemblyFinishOrder(t *testing.T) {
	var want []string
	run := func() string {
		tr := newTCPTracker(lineFramer, DefaultMaxPending)
		var recs []Record
		index := 0
		for port := uint16(40000); port < 40020; port++ {
			src := netip.AddrPortFrom(callerSig.Addr(), port)
			for _, s := range []segment{{seq: 0, payload: []byte("a\nb")}, {seq: 10, payload: []byte("z")}} {
				index++
				s.index, s.src, s.dst = index, src, gkSig
				recs = append(recs, tr.add(s)...)
			}
		}
		var parts []string
		for _, r := range append(recs, tr.finish()...) {
			parts = append(parts, fmt.Sprintf("%d:%v", r.Index, r.Src))
		}
		return strings.Join(parts, " ")
	}
	first := run()
	for range 5 {
		if got := run(); got != first {
			t.Fatalf("finish order changed between runs:\n%s\n%s", first, got)
		}
	}
	// 20 records "a\n", then per connection a gap error (at the packet
	// after the gap) and an incomplete-message error (at the first packet).
	for i := range 20 {
		want = append(want, fmt.Sprintf("%d:192.0.2.10:%d", 2*i+1, 40000+i))
	}
	for i := range 20 {
		want = append(want, fmt.Sprintf("%d:192.0.2.10:%d", 2*i+2, 40000+i), fmt.Sprintf("%d:192.0.2.10:%d", 2*i+1, 40000+i))
	}
	if got := strings.Join(want, " "); first != got {
		t.Errorf("got  %s\nwant %s", first, got)
	}
}
