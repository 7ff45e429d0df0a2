// Package nodetest holds what the nodes' table tests share (phone, pbx,
// push/cloud): they hand a node node.Input values and look through the
// node.Effect values it returns — the effects of one type, the records of
// one name and their attributes, the Q.931 message sent on a connection —
// and show the effects readably when a check fails.
package nodetest

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/node"
)

// All returns the effects of type T, in order.
func All[T node.Effect](effs []node.Effect) []T {
	var out []T
	for _, e := range effs {
		if x, ok := e.(T); ok {
			out = append(out, x)
		}
	}
	return out
}

// One returns the only effect of type T, and fails the test unless there
// is exactly one.
func One[T node.Effect](t testing.TB, effs []node.Effect) T {
	t.Helper()
	xs := All[T](effs)
	if len(xs) != 1 {
		var zero T
		t.Fatalf("want exactly one %T, got %d in %s", zero, len(xs), Show(effs))
	}
	return xs[0]
}

// Records returns the records named name.
func Records(effs []node.Effect, name string) []node.Record {
	var out []node.Record
	for _, r := range All[node.Record](effs) {
		if r.Name == name {
			out = append(out, r)
		}
	}
	return out
}

// Record returns the only record named name.
func Record(t testing.TB, effs []node.Effect, name string) node.Record {
	t.Helper()
	rs := Records(effs, name)
	if len(rs) != 1 {
		t.Fatalf("want one record %s, got %d in %s", name, len(rs), Show(effs))
	}
	return rs[0]
}

// Absent is what Attr returns for an attribute a record does not have.
const Absent = "<absent>"

// Attr returns the value of a record's attribute, or Absent.
func Attr(r node.Record, key string) string {
	for _, a := range r.Attrs {
		if a.Key == key {
			return a.Value
		}
	}
	return Absent
}

// WantAttrs checks a record's attributes: kv alternates keys and values.
func WantAttrs(t testing.TB, r node.Record, kv ...string) {
	t.Helper()
	for i := 0; i+1 < len(kv); i += 2 {
		if got := Attr(r, kv[i]); got != kv[i+1] {
			t.Errorf("%s %s = %q, want %q", r.Name, kv[i], got, kv[i+1])
		}
	}
}

// DialTo returns the only Dial to addr.
func DialTo(t testing.TB, effs []node.Effect, addr netip.AddrPort) node.Dial {
	t.Helper()
	var found []node.Dial
	for _, d := range All[node.Dial](effs) {
		if d.To == addr {
			found = append(found, d)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one Dial to %v, got %d in %s", addr, len(found), Show(effs))
	}
	return found[0]
}

// SentQ931 finds the only message of type typ sent on conn (its event
// names it, with protocol q931) and returns it decoded, and as sent.
func SentQ931(t testing.TB, effs []node.Effect, conn node.ConnID, typ q931.MessageType) (q931.Message, []byte) {
	t.Helper()
	var found []node.Send
	for _, s := range All[node.Send](effs) {
		if s.Conn == conn && s.Event.Name == typ.EventName() {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %s on conn %d, got %d in %s", typ.EventName(), conn, len(found), Show(effs))
	}
	if found[0].Event.Protocol != "q931" {
		t.Errorf("%s: protocol %q, want q931", typ.EventName(), found[0].Event.Protocol)
	}
	m, err := q931.Decode(found[0].Payload)
	if err != nil || m.Type != typ {
		t.Fatalf("the event %s carries %v (%v)", typ.EventName(), m.Type, err)
	}
	return m, found[0].Payload
}

// ReleaseCause returns the cause of the only Release Complete sent on conn.
func ReleaseCause(t testing.TB, effs []node.Effect, conn node.ConnID) int {
	t.Helper()
	m, _ := SentQ931(t, effs, conn, q931.ReleaseComplete)
	c, err := m.Cause()
	if err != nil {
		t.Fatalf("Release Complete without a cause: %v", err)
	}
	return int(c.Value)
}

// Show renders effects one a line, for failure messages.
func Show(effs []node.Effect) string {
	var b strings.Builder
	for _, e := range effs {
		b.WriteString("\n\t")
		switch e := e.(type) {
		case node.Listen:
			fmt.Fprintf(&b, "Listen %d %v %v%s", e.Sock, e.Addr, e.Transport, e.Path)
		case node.Dial:
			fmt.Fprintf(&b, "Dial %d %v %v%s", e.Ref, e.To, e.Transport, e.Path)
		case node.SendTo:
			fmt.Fprintf(&b, "SendTo %s on %d to %v", e.Event.Name, e.Sock, e.To)
		case node.Send:
			switch {
			case e.HTTP != nil:
				fmt.Fprintf(&b, "Send on %d HTTP %s %s %d", e.Conn, e.HTTP.Method, e.HTTP.Path, e.HTTP.Status)
			case e.Event.Protocol == "ras" || e.Event.Protocol == "q931":
				fmt.Fprintf(&b, "Send on %d %s", e.Conn, e.Event.Name)
			default:
				fmt.Fprintf(&b, "Send on %d %s %s", e.Conn, e.Event.Name, e.Payload)
			}
		case node.Close:
			fmt.Fprintf(&b, "Close %d %s", e.Conn, e.Reason)
		case node.SetTimer:
			fmt.Fprintf(&b, "SetTimer %+v after %v", e.ID, e.After)
		case node.CancelTimer:
			fmt.Fprintf(&b, "CancelTimer %+v", e.ID)
		case node.Record:
			b.WriteString("Record " + e.Name)
			for _, a := range e.Attrs {
				b.WriteString(" " + a.Key + "=" + a.Value)
			}
		default:
			fmt.Fprintf(&b, "%T", e)
		}
	}
	return b.String()
}
