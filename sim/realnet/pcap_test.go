package realnet

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/phone"
)

// tpktFramer cuts a TCP stream at TPKT frame boundaries.
func tpktFramer(pending []byte) (int, error) {
	if len(pending) < q931.TPKTHeaderLength {
		return 0, nil
	}
	if pending[0] != q931.TPKTVersion {
		return 0, errors.New("not TPKT")
	}
	n := int(pending[2])<<8 | int(pending[3])
	if n < q931.TPKTHeaderLength {
		return 0, errors.New("short TPKT")
	}
	if len(pending) < n {
		return 0, nil
	}
	return n, nil
}

// The messages of a call, written as pcap and read back, are the traced
// messages in order, with their bytes and times.
func TestWritePcapRoundTrip(t *testing.T) {
	caller, _ := callBetween(t, phone.Answer{Mode: phone.AnswerAfter, After: 50 * time.Millisecond})
	var buf bytes.Buffer
	if err := WritePcap(&buf, caller.Started, caller.Events); err != nil {
		t.Fatal(err)
	}
	c, err := capture.Read(&buf, capture.Options{Framer: tpktFramer})
	if err != nil {
		t.Fatal(err)
	}
	var want []TraceEvent
	for _, e := range caller.Events {
		if e.Wire != nil {
			want = append(want, e)
		}
	}
	if len(c.Records) != len(want) {
		t.Fatalf("%d records, want %d", len(c.Records), len(want))
	}
	for i, r := range c.Records {
		w := want[i]
		payload := r.Payload
		if r.Transport == capture.TransportTCP {
			payload = payload[q931.TPKTHeaderLength:]
		}
		if r.Err != nil || r.Transport != w.Wire.Transport || r.Src != w.Wire.Src || r.Dst != w.Wire.Dst || !bytes.Equal(payload, w.Wire.Payload) {
			t.Errorf("record %d (%s): %+v", i, w.Name, r)
		}
		if !r.At.Equal(caller.Started.Add(w.At)) {
			t.Errorf("record %d at %v, want %v", i, r.At, caller.Started.Add(w.At))
		}
	}
}
