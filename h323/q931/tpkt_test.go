package q931

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func mustFrame(t testing.TB, payload []byte) []byte {
	t.Helper()
	f, err := Frame(payload)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFrameKnownAnswer(t *testing.T) {
	got := mustFrame(t, fromHex(t, "08 02 00 01 75"))
	if want := fromHex(t, "03 00 00 09 08 02 00 01 75"); !bytes.Equal(got, want) {
		t.Errorf("got % x, want % x", got, want)
	}
	if got := mustFrame(t, nil); !bytes.Equal(got, []byte{3, 0, 0, 4}) {
		t.Errorf("keep-alive frame % x", got)
	}
	if _, err := Frame(make([]byte, MaxTPKTLength-TPKTHeaderLength+1)); !errors.Is(err, ErrTPKTPayload) {
		t.Errorf("oversized payload: %v", err)
	}
	if _, err := Frame(make([]byte, MaxTPKTLength-TPKTHeaderLength)); err != nil {
		t.Errorf("largest payload: %v", err)
	}
}

// drain collects every payload the reassembler has ready (copied, since
// payloads alias the buffer).
func drain(t *testing.T, r *Reassembler) [][]byte {
	t.Helper()
	var out [][]byte
	for {
		p, ok, err := r.Next()
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if !ok {
			return out
		}
		out = append(out, append([]byte{}, p...))
	}
}

// TestReassembleEverySplit feeds a stream of three messages (one a
// keep-alive) cut in two at every byte boundary, and in one-octet pieces.
func TestReassembleEverySplit(t *testing.T) {
	payloads := [][]byte{fromHex(t, hexSetup), {}, fromHex(t, hexReleaseComplete16)}
	var stream []byte
	for _, p := range payloads {
		stream = append(stream, mustFrame(t, p)...)
	}
	check := func(t *testing.T, got [][]byte) {
		t.Helper()
		if len(got) != len(payloads) {
			t.Fatalf("%d payloads, want %d", len(got), len(payloads))
		}
		for i := range payloads {
			if !bytes.Equal(got[i], payloads[i]) {
				t.Errorf("payload %d: % x, want % x", i, got[i], payloads[i])
			}
		}
	}
	for cut := 0; cut <= len(stream); cut++ {
		var r Reassembler
		r.Feed(stream[:cut])
		got := drain(t, &r)
		r.Feed(stream[cut:])
		got = append(got, drain(t, &r)...)
		check(t, got)
		if r.Buffered() != 0 || r.Offset() != int64(len(stream)) {
			t.Errorf("cut %d: buffered %d offset %d", cut, r.Buffered(), r.Offset())
		}
	}
	var r Reassembler
	var got [][]byte
	for i := range stream {
		r.Feed(stream[i : i+1])
		got = append(got, drain(t, &r)...)
	}
	check(t, got)
}

func TestReassemblerHeaderErrors(t *testing.T) {
	tests := []struct {
		name      string
		max       int
		stream    string
		want      error
		afterSync string // the payload Next returns after Resync
	}{
		{"bad version", 0, "04 00 00 05 aa 03 00 00 05 bb", ErrTPKTVersion, "bb"},
		{"reserved octet set", 0, "03 01 00 05 aa 03 00 00 05 bb", ErrTPKTReserved, "bb"},
		{"length below header", 0, "03 00 00 03 03 00 00 05 cc", ErrTPKTShort, "cc"},
		{"length zero", 0, "03 00 00 00 03 00 00 05 dd", ErrTPKTShort, "dd"},
		{"longer than maximum", 8, "03 00 00 0a 01 02 03 04 05 06 03 00 00 05 ee", ErrTPKTTooLong, "ee"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Reassembler{MaxLength: tt.max}
			r.Feed(fromHex(t, tt.stream))
			_, ok, err := r.Next()
			var te *TPKTError
			if ok || !errors.Is(err, tt.want) || !errors.As(err, &te) || te.Offset != 0 {
				t.Fatalf("Next: ok %v err %v, want %v at offset 0", ok, err, tt.want)
			}
			// Sticky: the same error until Resync, whatever is fed.
			r.Feed(mustFrame(t, []byte{1}))
			if _, _, again := r.Next(); again != err || r.Err() != err {
				t.Fatalf("error not sticky: %v", again)
			}
			r.Resync()
			p, ok, err := r.Next()
			if err != nil || !ok || !bytes.Equal(p, fromHex(t, tt.afterSync)) {
				t.Fatalf("after Resync: % x %v %v", p, ok, err)
			}
			if p, ok, err := r.Next(); err != nil || !ok || !bytes.Equal(p, []byte{1}) {
				t.Fatalf("frame fed after the error: % x %v %v", p, ok, err)
			}
		})
	}
}

// TestResyncSkipsTooLongFrameAcrossFeeds: the oversized frame's body arrives
// after Resync and is skipped without being buffered.
func TestResyncSkipsTooLongFrameAcrossFeeds(t *testing.T) {
	r := Reassembler{MaxLength: 16}
	big := mustFrame(t, bytes.Repeat([]byte{0x03}, 100)) // body looks like headers, must not confuse
	r.Feed(big[:6])
	if _, _, err := r.Next(); !errors.Is(err, ErrTPKTTooLong) {
		t.Fatalf("err %v", err)
	}
	r.Resync()
	r.Feed(big[6:50])
	if _, ok, err := r.Next(); ok || err != nil || r.Buffered() != 0 {
		t.Fatalf("inside skipped frame: ok %v err %v buffered %d", ok, err, r.Buffered())
	}
	r.Feed(append(big[50:], mustFrame(t, []byte{7})...))
	if p, ok, err := r.Next(); err != nil || !ok || !bytes.Equal(p, []byte{7}) {
		t.Fatalf("after skip: % x %v %v", p, ok, err)
	}
	if r.Offset() != int64(len(big)+5) {
		t.Errorf("offset %d", r.Offset())
	}
}

func TestReaderOverSplitStream(t *testing.T) {
	payloads := [][]byte{fromHex(t, hexSetup), fromHex(t, hexAlerting), {}, fromHex(t, hexConnect)}
	var stream []byte
	for _, p := range payloads {
		stream = append(stream, mustFrame(t, p)...)
	}
	for _, src := range []struct {
		name string
		r    io.Reader
	}{
		{"whole", bytes.NewReader(stream)},
		{"one byte reads", iotest.OneByteReader(bytes.NewReader(stream))},
		{"data with EOF", iotest.DataErrReader(bytes.NewReader(stream))},
	} {
		t.Run(src.name, func(t *testing.T) {
			rd := NewReader(src.r, 0)
			for i, want := range payloads {
				got, err := rd.ReadMessage()
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("message %d: % x %v", i, got, err)
				}
			}
			if _, err := rd.ReadMessage(); err != io.EOF {
				t.Fatalf("end: %v, want io.EOF", err)
			}
		})
	}
}

func TestReaderErrors(t *testing.T) {
	framed := mustFrame(t, fromHex(t, hexSetup))
	rd := NewReader(bytes.NewReader(framed[:len(framed)-1]), 0)
	if _, err := rd.ReadMessage(); !errors.Is(err, ErrTPKTTruncate) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated stream: %v", err)
	}
	rd = NewReader(bytes.NewReader(fromHex(t, "05 00 00 08 00 00 00 00")), 0)
	if _, err := rd.ReadMessage(); !errors.Is(err, ErrTPKTVersion) {
		t.Errorf("bad version: %v", err)
	}
	broken := errors.New("connection reset")
	rd = NewReader(iotest.ErrReader(broken), 0)
	if _, err := rd.ReadMessage(); !errors.Is(err, broken) {
		t.Errorf("read error: %v", err)
	}
}
