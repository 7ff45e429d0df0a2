package realnet

import (
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/h323/q931"
)

// WritePcap writes the messages of a run as a pcap file: RAS as UDP
// datagrams, Q.931 in TPKT on one TCP stream per connection (the side whose
// message came first is the client, as the caller sends the Setup), with
// timestamps epoch + the event's time. The streams are closed at the time
// of the last event. Events without wire bytes are skipped.
func WritePcap(w io.Writer, epoch time.Time, events []TraceEvent) error {
	pw, err := capture.NewWriter(w, epoch)
	if err != nil {
		return err
	}
	type pair struct{ a, b netip.AddrPort }
	streams := map[pair]*capture.Stream{}
	var order []*capture.Stream // closed in the order they were opened
	var last time.Duration
	for _, e := range events {
		last = max(last, e.At)
		wire := e.Wire
		if wire == nil {
			continue
		}
		switch wire.Transport {
		case "udp":
			if err := pw.WriteUDP(e.At, wire.Src, wire.Dst, wire.Payload); err != nil {
				return fmt.Errorf("%s at %v: %w", e.Name, e.At, err)
			}
		case "tcp":
			key := pair{wire.Src, wire.Dst}
			s, ok := streams[key]
			if !ok {
				s, ok = streams[pair{wire.Dst, wire.Src}]
			}
			if !ok {
				if s, err = pw.OpenTCP(e.At, wire.Src, wire.Dst); err != nil {
					return fmt.Errorf("%s at %v: %w", e.Name, e.At, err)
				}
				streams[key] = s
				order = append(order, s)
			}
			frame, err := q931.Frame(wire.Payload)
			if err != nil {
				return err
			}
			if err := s.Write(e.At, s.Client() == wire.Src, frame); err != nil {
				return fmt.Errorf("%s at %v: %w", e.Name, e.At, err)
			}
		}
	}
	for _, s := range order {
		if err := s.Close(last); err != nil {
			return err
		}
	}
	return nil
}
