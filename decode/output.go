package decode

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// TimeFormat is the time of day printed in text output (UTC, microseconds);
// the JSON output carries the full timestamp.
const TimeFormat = "15:04:05.000000"

// WriteText writes one line per message and a summary line.
func WriteText(w io.Writer, r Result) error {
	var b strings.Builder
	for _, m := range r.Messages {
		b.Reset()
		fmt.Fprintf(&b, "%5d %s", m.Packet, m.Time.UTC().Format(TimeFormat))
		if m.Source != "" {
			fmt.Fprintf(&b, " %s → %s", m.Source, m.Destination)
		}
		if m.Protocol != "" {
			b.WriteString(" " + m.Protocol)
		}
		if m.Type != "" {
			b.WriteString(" " + m.Type)
		}
		if m.Body != "" {
			b.WriteString(" [" + m.Body + "]")
		}
		for _, kv := range m.Fields.pairs() {
			b.WriteString(" " + kv[0] + "=" + kv[1])
		}
		switch {
		case m.Error != "":
			b.WriteString(" ERROR: " + m.Error)
		case m.Mismatch != "":
			b.WriteString(" MISMATCH: " + m.Mismatch)
		case m.Verified:
			b.WriteString(" (verified)")
		}
		b.WriteByte('\n')
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	summary := fmt.Sprintf("%d packets, %d messages decoded, %d failed", r.Packets, r.Decoded, r.Failed)
	if r.Verified {
		summary += " (verified: re-encoded byte for byte unless reported)"
	}
	_, err := fmt.Fprintln(w, summary)
	return err
}

// WriteJSON writes the result as one indented JSON document; the field
// order is the declaration order of Result, Message and Fields.
func WriteJSON(w io.Writer, r Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// pairs lists the fields present, in a fixed order, as key and text.
func (f Fields) pairs() [][2]string {
	var out [][2]string
	add := func(k, v string) {
		if v != "" {
			out = append(out, [2]string{k, v})
		}
	}
	list := func(v []string) string { return strings.Join(v, ",") }
	if f.RequestSeqNum != nil {
		add("seq", strconv.FormatInt(*f.RequestSeqNum, 10))
	}
	if f.CallReference != nil {
		add("cr", strconv.Itoa(int(*f.CallReference)))
	}
	add("aliases", list(f.Aliases))
	add("dest", list(f.Destination))
	add("calling", f.CallingNumber)
	add("called", f.CalledNumber)
	if f.Display != "" {
		add("display", strconv.Quote(f.Display))
	}
	if f.Cause != nil {
		add("cause", strconv.Itoa(*f.Cause))
	}
	add("callId", f.CallIdentifier)
	add("epid", f.EndpointIdentifier)
	add("gkid", f.GatekeeperIdentifier)
	add("rejectReason", f.RejectReason)
	add("reason", f.Reason)
	if f.TimeToLive != nil {
		add("ttl", strconv.FormatInt(*f.TimeToLive, 10))
	}
	if f.KeepAlive {
		add("keepAlive", "true")
	}
	add("csa", list(f.CallSignalAddress))
	add("ras", list(f.RASAddress))
	return out
}
