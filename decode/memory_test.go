package decode

import (
	"bufio"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/h323/q931"
)

// writeCallCapture writes a capture of calls to path until it holds at
// least size bytes: for each call, an ARQ/ACF exchange and a TCP
// connection carrying Setup, Call Proceeding, Alerting, Connect and
// Release Complete, then closed. It returns the number of H.225.0 messages
// written.
func writeCallCapture(t testing.TB, path string, size int64) int {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<16)
	w, err := capture.NewWriter(bw, capture.DefaultEpoch)
	if err != nil {
		t.Fatal(err)
	}
	arq, acf := golden(t, "ras/08-arq.hex"), golden(t, "ras/09-acf.hex")
	var frames [][]byte
	for _, name := range []string{"01-setup", "02-call-proceeding", "04-alerting", "05-connect", "07-release-complete-16"} {
		fr, err := q931.Frame(golden(t, "q931/"+name+".hex"))
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, fr)
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	at, messages := time.Duration(0), 0
	var written int64
	for call := 0; written < size; call++ {
		ep := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(call >> 8), byte(call)}), 1719)
		at += time.Millisecond
		must(w.WriteUDP(at, ep, gkRAS, arq))
		must(w.WriteUDP(at, gkRAS, ep, acf))
		s, err := w.OpenTCP(at, netip.AddrPortFrom(ep.Addr(), uint16(40000+call%20000)), pbxSignal)
		must(err)
		for i, fr := range frames {
			at += time.Millisecond
			must(s.Write(at, i == 0 || i == len(frames)-1, fr))
		}
		must(s.Close(at))
		messages += 2 + len(frames)
		if call%256 == 0 {
			must(bw.Flush())
			if written, err = f.Seek(0, 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	must(bw.Flush())
	return messages
}

// TestStreamMemoryFollowsOpenStreams decodes a capture of several megabytes
// a message at a time and samples the heap as it goes: the decoder must hold
// the open connections only, not what it already passed on. (Decoding the
// same capture whole, the way decode.File collects it, holds every message:
// the bound below fails for it.)
func TestStreamMemoryFollowsOpenStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a capture of 16 MB")
	}
	path := filepath.Join(t.TempDir(), "calls.pcap")
	const size = 16 << 20
	want := writeCallCapture(t, path, size)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	peak, n := uint64(0), 0
	sum, err := Stream(path, Options{Verify: true}, func(m Message) error {
		if m.Failed() {
			t.Fatalf("message failed: %+v", m)
		}
		if n++; n%4000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Found.H225() != want || n != want {
		t.Fatalf("found %d messages (%d passed on), want %d", sum.Found.H225(), n, want)
	}
	grown := peak - min(peak, base)
	t.Logf("heap grew by %d bytes at most while streaming a %d-byte capture of %d messages", grown, size, want)
	const limit = 4 << 20
	if grown > limit {
		t.Errorf("heap grew by %d bytes streaming a %d-byte capture; the bound is %d", grown, size, limit)
	}

	// The control: collecting the messages, as File does, must break the
	// bound, or the measurement above could not tell.
	res, err := File(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	whole := ms.HeapAlloc - min(ms.HeapAlloc, base)
	t.Logf("holding the %d messages takes %d bytes", len(res.Messages), whole)
	if whole <= limit {
		t.Errorf("collecting every message grew the heap by %d bytes only: the bound of %d cannot tell streaming from holding", whole, limit)
	}
	runtime.KeepAlive(res)
}
