package report

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/timeline"
)

// maxDepth bounds the pretty printer's recursion; the H.225.0 decoder
// already bounds nesting, this keeps the printer safe for any value.
const maxDepth = 64

// DecodeWire renders what a message event carried as indented text: a RAS
// message or a Q.931 message with its H.225.0 user-user data decoded into
// their fields, a push-path message as indented JSON. Bytes that do not
// decode are shown in hex with the decoder's error, never a panic.
func DecodeWire(w *timeline.Wire) string {
	if w == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s over %s, %v -> %v, %d bytes\n", w.Protocol, w.Transport, w.Src, w.Dst, len(w.Payload))
	switch w.Protocol {
	case "ras":
		m, err := h225.UnmarshalRasMessage(w.Payload)
		if err != nil {
			undecodable(&b, err, w.Payload)
			break
		}
		b.WriteString("RasMessage")
		writeValue(&b, reflect.ValueOf(m), 1, 0)
	case "q931":
		describeQ931(&b, w.Payload)
	default:
		var pretty bytes.Buffer
		if json.Valid(w.Payload) && json.Indent(&pretty, w.Payload, "", "  ") == nil {
			b.Write(pretty.Bytes())
		} else if utf8.Valid(w.Payload) {
			b.Write(w.Payload)
		} else {
			b.WriteString(hex.Dump(w.Payload))
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func undecodable(b *strings.Builder, err error, payload []byte) {
	fmt.Fprintf(b, "does not decode: %v\n%s", err, hex.Dump(payload))
}

// describeQ931 renders the message header and each information element, with
// the typed view where this project has one.
func describeQ931(b *strings.Builder, payload []byte) {
	m, err := q931.Decode(payload)
	if err != nil {
		undecodable(b, err, payload)
		return
	}
	side := "from the originating side"
	if m.FromDestination {
		side = "from the destination side"
	}
	fmt.Fprintf(b, "Q.931 %s (0x%02x), call reference %d %s\n", strings.ToUpper(strings.ReplaceAll(m.Type.String(), "_", " ")), uint8(m.Type), m.CallReference, side)
	for _, ie := range m.Elements {
		fmt.Fprintf(b, "  %s (0x%02x)", elementName(ie.ID), ie.ID)
		if len(ie.Contents) > 0 && ie.ID != q931.IEUserUser {
			fmt.Fprintf(b, ": % x", ie.Contents)
		}
		b.WriteByte('\n')
		if typed, err := typedElement(&m, ie); err != nil {
			fmt.Fprintf(b, "    (does not parse: %v)\n", err)
		} else if typed != nil {
			v := reflect.ValueOf(typed)
			b.WriteString("    " + reflect.Indirect(v).Type().Name())
			writeValue(b, v, 3, 0)
		}
	}
}

var elementNames = map[byte]string{
	q931.IEBearerCapability: "Bearer capability", q931.IECause: "Cause", q931.IECallState: "Call state",
	q931.IEFacility: "Facility", q931.IEProgressIndicator: "Progress indicator",
	q931.IENotificationIndicator: "Notification indicator", q931.IEDisplay: "Display",
	q931.IEKeypad: "Keypad facility", q931.IESignal: "Signal",
	q931.IECallingPartyNumber: "Calling party number", q931.IECalledPartyNumber: "Called party number",
	q931.IEUserUser: "User-user", q931.IESendingComplete: "Sending complete",
}

func elementName(id byte) string {
	if id&0xf0 == q931.IEShift {
		return "Shift"
	}
	if name, ok := elementNames[id]; ok {
		return name
	}
	return "Information element"
}

// typedElement parses an element into the q931 package's typed view (the
// User-user element into the decoded H323-UserInformation); nil when the
// project has no typed view of it.
func typedElement(m *q931.Message, ie q931.InformationElement) (any, error) {
	switch ie.ID {
	case q931.IEBearerCapability:
		return q931.ParseBearerCapability(ie.Contents)
	case q931.IECause:
		return q931.ParseCause(ie.Contents)
	case q931.IECallingPartyNumber:
		return q931.ParseCallingPartyNumber(ie.Contents)
	case q931.IECalledPartyNumber:
		return q931.ParseCalledPartyNumber(ie.Contents)
	case q931.IEProgressIndicator:
		return q931.ParseProgressIndicator(ie.Contents)
	case q931.IEDisplay:
		return m.Display()
	case q931.IEUserUser:
		uu, err := q931.ParseUserUser(ie.Contents)
		if err != nil {
			return nil, err
		}
		return h225.UnmarshalH323UserInformation(uu.Data)
	}
	return nil, nil
}

// writeValue is a small reflection-based pretty printer for the decoded
// message types: one field per line, indented by nesting; absent optional
// fields (nil pointers, nil lists, zero values) are left out so the text
// shows what was on the wire. A CHOICE shows its chosen alternative by the
// field that holds it, so its numeric Choice field is left out.
func writeValue(b *strings.Builder, v reflect.Value, indent, depth int) {
	if depth > maxDepth {
		b.WriteString(" …\n")
		return
	}
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			b.WriteString(" (none)\n")
			return
		}
		v = v.Elem()
	}
	if s, ok := scalar(v); ok {
		b.WriteString(": " + s + "\n")
		return
	}
	pad := strings.Repeat("  ", indent)
	switch v.Kind() {
	case reflect.Struct:
		if c := v.FieldByName("Choice"); c.IsValid() && c.CanInt() && c.Int() != 0 && onlyChoice(v) {
			// A CHOICE of a NULL alternative: the generated type keeps no
			// name for it at run time, only its number (counted from 1).
			fmt.Fprintf(b, ": alternative %d\n", c.Int())
			return
		}
		b.WriteString(":\n")
		if v.NumField() > 0 && allZero(v) {
			b.WriteString(pad + "(empty)\n")
			return
		}
		t := v.Type()
		for i := range v.NumField() {
			f, sf := v.Field(i), t.Field(i)
			if !sf.IsExported() || f.IsZero() || skippedField(sf.Name) {
				continue
			}
			b.WriteString(pad + sf.Name)
			writeValue(b, f, indent+1, depth+1)
		}
	case reflect.Slice, reflect.Array:
		b.WriteString(":\n")
		for i := range v.Len() {
			fmt.Fprintf(b, "%s[%d]", pad, i)
			writeValue(b, v.Index(i), indent+1, depth+1)
		}
	default:
		fmt.Fprintf(b, ": %v\n", v.Interface())
	}
}

// skippedField names the generated bookkeeping fields that say nothing
// about the message to a reader.
func skippedField(name string) bool { return name == "Choice" || name == "ExtBitmapLen" }

// onlyChoice reports whether the Choice field is the only one set.
func onlyChoice(v reflect.Value) bool {
	t := v.Type()
	for i := range v.NumField() {
		if t.Field(i).IsExported() && t.Field(i).Name != "Choice" && !v.Field(i).IsZero() {
			return false
		}
	}
	return true
}

func allZero(v reflect.Value) bool {
	for i := range v.NumField() {
		if v.Type().Field(i).IsExported() && !v.Field(i).IsZero() {
			return false
		}
	}
	return true
}

// scalar renders values that fit on one line: numbers, strings, booleans,
// octet strings (hex), object identifiers and other Stringers.
func scalar(v reflect.Value) (string, bool) {
	if v.Kind() != reflect.Struct && v.CanInterface() {
		if s, ok := v.Interface().(fmt.Stringer); ok {
			return s.String(), true
		}
	}
	switch v.Kind() {
	case reflect.String:
		return fmt.Sprintf("%q", v.String()), true
	case reflect.Bool:
		return fmt.Sprint(v.Bool()), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return fmt.Sprint(v.Int()), true
	case reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return fmt.Sprint(v.Uint()), true
	case reflect.Uint8:
		return fmt.Sprintf("%d (0x%02x)", v.Uint(), v.Uint()), true
	case reflect.Float32, reflect.Float64:
		return fmt.Sprint(v.Float()), true
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint32 && v.Len() > 0 {
			// An object identifier under another name (ProtocolIdentifier).
			arcs := make([]string, v.Len())
			for i := range arcs {
				arcs[i] = fmt.Sprint(v.Index(i).Uint())
			}
			return strings.Join(arcs, "."), true
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			raw := make([]byte, v.Len())
			for i := range raw {
				raw[i] = byte(v.Index(i).Uint())
			}
			return hex.EncodeToString(raw), true
		}
	}
	return "", false
}
