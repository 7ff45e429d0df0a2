package decode

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gopacket/gopacket/layers"
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
	_, err := io.WriteString(w, Summary(r))
	return err
}

// Summary is the closing text of the text output, one or two lines each
// ending in a newline:
//
//   - an empty capture: "0 packets: the capture holds no packets, nothing to
//     decode" (not a failure: the file is a valid capture);
//   - otherwise "P packets, D messages decoded, F failed", where every
//     message is counted once (a message that decoded but did not verify is
//     failed, not decoded), followed by ", S skipped (...)" when the reader
//     could not use some packets, naming the file's link types;
//   - and, for a capture with packets but no H.225.0 message, a second line
//     with Problem.
func Summary(r Result) string {
	if r.Packets == 0 {
		return "0 packets: the capture holds no packets, nothing to decode\n"
	}
	summary := fmt.Sprintf("%d packets, %d messages decoded, %d failed", r.Packets, r.Decoded, r.Failed)
	if r.Skipped > 0 {
		summary += fmt.Sprintf(", %d skipped (%s)", r.Skipped, r.skipReason())
	}
	if r.Verified {
		summary += " (verified: re-encoded byte for byte unless reported)"
	}
	summary += "\n"
	if p := r.Problem(); p != "" {
		summary += p + "\n"
	}
	return summary
}

// Problem says why a capture that holds packets yielded no H.225.0 message,
// or is empty when it yielded one or holds none.
func (r Result) Problem() string {
	if !r.NothingFound() {
		return ""
	}
	p := fmt.Sprintf("no H.225.0 message found (RAS on UDP %d, call signalling on TCP %d) in %d packets", RASPort, SignallingPort, r.Packets)
	if r.Skipped > 0 {
		p += fmt.Sprintf(": %d skipped (%s)", r.Skipped, r.skipReason())
	}
	return p
}

// skipReason is what can be said of skipped packets: the reader does not
// tell why it skipped each one (a frame that is not IP, a protocol other
// than UDP and TCP, a bare TCP control segment, or a link type it does not
// support), so the file's link types are named for the reader to judge.
func (r Result) skipReason() string {
	const reason = "not IP/UDP/TCP, no payload, or unsupported link type"
	if len(r.LinkTypes) == 0 {
		return reason
	}
	var types []string
	for _, lt := range r.LinkTypes {
		t := strconv.Itoa(lt)
		if name := layers.LinkType(lt).String(); name != "UnknownLinkType" {
			t += " (" + name + ")"
		}
		types = append(types, t)
	}
	label := "; the file's link type: "
	if len(types) > 1 {
		label = "; the file's link types: "
	}
	return reason + label + strings.Join(types, ", ")
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
