package decode

import (
	"bytes"
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

// Writer is an output format: one Message at a time as decoding finds
// them, then the Summary. Nothing is held between messages, so a capture
// of any size streams through.
type Writer interface {
	Message(Message) error
	Close(Summary) error
}

// TextWriter writes one line per message, the endpoints and a summary line.
type TextWriter struct {
	w io.Writer
	b strings.Builder
}

// NewTextWriter returns a Writer of the text output.
func NewTextWriter(w io.Writer) *TextWriter { return &TextWriter{w: w} }

// Message writes the message's line.
func (t *TextWriter) Message(m Message) error {
	b := &t.b
	b.Reset()
	fmt.Fprintf(b, "%5d %s", m.Packet, m.Time.UTC().Format(TimeFormat))
	if m.Source != "" {
		fmt.Fprintf(b, " %s → %s", m.Source, m.Destination)
	}
	if m.Protocol != "" {
		b.WriteString(" " + m.Protocol)
	}
	if m.Transport == TransportH46017 {
		b.WriteString(" (H.460.17)")
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
	_, err := io.WriteString(t.w, b.String())
	return err
}

// Close writes the endpoints and the summary.
func (t *TextWriter) Close(s Summary) error {
	var b strings.Builder
	for _, e := range s.Endpoints {
		fmt.Fprintf(&b, "endpoint %s", e.Address)
		if len(e.Aliases) > 0 {
			b.WriteString(" " + strings.Join(e.Aliases, ","))
		}
		b.WriteString(": " + e.Vendor.String() + "\n")
	}
	b.WriteString(SummaryText(s))
	_, err := io.WriteString(t.w, b.String())
	return err
}

// WriteText writes a whole result as text.
func WriteText(w io.Writer, r Result) error { return writeAll(NewTextWriter(w), r) }

// WriteJSON writes a whole result as one indented JSON document.
func WriteJSON(w io.Writer, r Result) error { return writeAll(NewJSONWriter(w), r) }

func writeAll(wr Writer, r Result) error {
	for _, m := range r.Messages {
		if err := wr.Message(m); err != nil {
			return err
		}
	}
	return wr.Close(r.Summary)
}

// JSONWriter writes one indented JSON document, the one a Result encodes
// to ({"messages": [...], then the summary's fields}), a message at a time.
type JSONWriter struct {
	w     io.Writer
	buf   bytes.Buffer
	count int
}

// NewJSONWriter returns a Writer of the JSON output.
func NewJSONWriter(w io.Writer) *JSONWriter { return &JSONWriter{w: w} }

// encode renders v as the indented JSON the document has at that depth.
func (j *JSONWriter) encode(v any, prefix string) ([]byte, error) {
	j.buf.Reset()
	enc := json.NewEncoder(&j.buf)
	enc.SetIndent(prefix, "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(j.buf.Bytes(), []byte("\n")), nil
}

// Message writes the message as the next element of "messages".
func (j *JSONWriter) Message(m Message) error {
	head := ",\n    "
	if j.count == 0 {
		head = "{\n  \"messages\": [\n    "
	}
	j.count++
	b, err := j.encode(m, "    ")
	if err != nil {
		return err
	}
	_, err = io.WriteString(j.w, head+string(b))
	return err
}

// Close ends "messages" and writes the summary's fields.
func (j *JSONWriter) Close(s Summary) error {
	head := "\n  ],"
	if j.count == 0 {
		head = "{\n  \"messages\": [],"
	}
	b, err := j.encode(s, "")
	if err != nil {
		return err
	}
	// The summary's object, opened already: its fields follow messages.
	_, err = io.WriteString(j.w, head+string(b[1:])+"\n")
	return err
}

// SummaryText is the closing text of the text output, one or two lines
// each ending in a newline:
//
//   - an empty capture: "0 packets: the capture holds no packets, nothing to
//     decode" (not a failure: the file is a valid capture);
//   - otherwise "P packets, M H.225.0 messages (per transport), D decoded,
//     F failed", where every message is counted once (a message that
//     decoded but did not verify is failed, not decoded), followed by
//     ", S skipped (by cause)" when some packets carried no H.225.0;
//   - and, for a capture with packets but no H.225.0 message, a second line
//     with Problem.
func SummaryText(s Summary) string {
	if s.Packets == 0 {
		return "0 packets: the capture holds no packets, nothing to decode\n"
	}
	text := fmt.Sprintf("%d packets, %d H.225.0 messages", s.Packets, s.Found.H225())
	if t := s.Found.text(); t != "" {
		text += " (" + t + ")"
	}
	text += fmt.Sprintf(", %d decoded, %d failed", s.Decoded, s.Failed)
	if s.Skipped > 0 {
		text += fmt.Sprintf(", %d skipped (%s)", s.Skipped, s.skipReasons())
	}
	if s.Verified {
		text += " (verified: re-encoded byte for byte unless reported)"
	}
	text += "\n"
	if p := s.Problem(); p != "" {
		text += p + "\n"
	}
	return text
}

// text lists the non-zero transport counts.
func (f Found) text() string {
	var parts []string
	add := func(n int, what string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(f.RASOverUDP, "RAS over UDP")
	add(f.RASOverH46017, "RAS over H.460.17")
	add(f.SignallingOverTCP, "call signalling over TCP")
	add(f.H245Tunnelled, "tunnelled H.245")
	add(f.TPKTKeepAlives, "TPKT keep-alives")
	return strings.Join(parts, ", ")
}

// Problem says why a capture that holds packets yielded no H.225.0 message,
// or is empty when it yielded one or holds none.
func (s Summary) Problem() string {
	if !s.NothingFound() {
		return ""
	}
	p := fmt.Sprintf("no H.225.0 message found (RAS on UDP %d or announced ports, call signalling on TCP %d, announced ports or any TPKT stream carrying Q.931) in %d packets",
		RASPort, SignallingPort, s.Packets)
	if s.Skipped > 0 {
		p += fmt.Sprintf(": %d skipped (%s)", s.Skipped, s.skipReasons())
	}
	return p
}

// skipReasons says why packets were skipped, cause by cause.
func (s Summary) skipReasons() string {
	var parts []string
	add := func(n int, what string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, what))
		}
	}
	k := s.Skips
	add(k.NoPayload, "TCP segments without data")
	add(k.OtherUDP, "UDP datagrams on other ports")
	add(k.OtherTCP, "TCP segments of other streams")
	add(k.NotIP, "frames that are not IP")
	add(k.OtherIP, "IP packets neither UDP nor TCP")
	if k.LinkType > 0 {
		parts = append(parts, fmt.Sprintf("%d of an unsupported link type%s", k.LinkType, linkTypesText(s.LinkTypes)))
	}
	return strings.Join(parts, ", ")
}

// linkTypesText names the file's link types: "; the file's link type: 147".
func linkTypesText(lts []int) string {
	if len(lts) == 0 {
		return ""
	}
	var types []string
	for _, lt := range lts {
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
	return label + strings.Join(types, ", ")
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
	if f.AnswerCall {
		add("answerCall", "true")
	}
	add("csa", list(f.CallSignalAddress))
	add("destCsa", f.DestCallSignalAddress)
	add("ras", list(f.RASAddress))
	add("auth", list(f.Authentication))
	var algs []string
	for _, a := range f.Algorithms {
		algs = append(algs, shortOID(a))
	}
	add("algorithms", list(algs))
	var tokens []string
	for _, t := range f.Tokens {
		tokens = append(tokens, tokenText(t))
	}
	add("tokens", list(tokens))
	if f.Vendor != nil {
		add("vendor", strconv.Quote(f.Vendor.String()))
	}
	add("h245", list(f.H245))
	if f.FastStart > 0 {
		add("fastStart", strconv.Itoa(f.FastStart))
	}
	add("h245Address", f.H245Address)
	if f.TunnelledRAS > 0 {
		add("tunnelledRAS", strconv.Itoa(f.TunnelledRAS))
	}
	return out
}
