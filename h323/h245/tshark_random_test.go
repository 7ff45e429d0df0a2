package h245

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/asn1per"
	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/internal/tsharktest"
)

// randomOracleCount is how many random MultimediaSystemControlMessage values the tshark oracle
// checks: enough to reach every request, response, command and indication several times, while
// one tshark run stays around a second or two.
const randomOracleCount = 1000

// TestTsharkRandomMessages encodes random valid MultimediaSystemControlMessage values and
// requires that tshark, an independent H.245 decoder, reads each of them without a malformed
// packet or an expert warning or error, and as the message we encoded. Each message travels
// tunnelled, the way H.323 endpoints carry H.245 in call signalling: the only h245Control octet
// string of an H.225.0 Facility (body empty, h245Tunnelling true) in a TPKT frame on TCP 1720,
// which tshark hands to its H.245 dissector.
func TestTsharkRandomMessages(t *testing.T) {
	tsharktest.Require(t)
	r := rand.New(rand.NewPCG(0x6832_3435, 0x7473))

	type sent struct {
		body   string // the message we encoded, for failure reports
		pdu    int    // MultimediaSystemControlMessage alternative (0-based)
		inner  int    // the request/response/command/indication alternative (0-based)
		extIdx int    // >= 0: the inner alternative is an unknown extension with this index
	}
	var packets []sent
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf, capture.DefaultEpoch)
	if err != nil {
		t.Fatal(err)
	}
	const step = time.Millisecond
	at := step
	caller, callee := netip.MustParseAddrPort("192.0.2.10:40000"), netip.MustParseAddrPort("192.0.2.20:1720")
	conn, err := w.OpenTCP(at, caller, callee)
	if err != nil {
		t.Fatal(err)
	}
	for i := range randomOracleCount + 1 {
		var per []byte
		var v MultimediaSystemControlMessage
		switch {
		case i == 0:
			// The known-answer capability set comes first, so that tshark reads it too.
			v = *sampleTCS()
			if per, err = v.Marshal(); err != nil {
				t.Fatal(err)
			}
		case i < randomOracleCount:
			per = drawForTshark(t, &v, func() { v = randomMultimediaSystemControlMessage(r, 0) })
		default:
			// Control: the last message is a terminal capability set cut short, which tshark
			// must flag; a check that flagged nothing there would be blind.
			full, err := sampleTCS().Marshal()
			if err != nil {
				t.Fatal(err)
			}
			per = full[:len(full)/2]
		}
		if i == 0 {
			if got := fmt.Sprintf("%x", per); got != sampleTCSHex {
				t.Fatalf("sample capability set encodes as %s, not the known answer", got)
			}
		}
		framed := tunnelled(t, uint16(1+i), i%2 == 1, per)
		at += step
		if err := conn.Write(at, i%2 == 0, framed); err != nil {
			t.Fatal(err)
		}
		if i < randomOracleCount {
			pdu, inner, ext := alternatives(&v)
			packets = append(packets, sent{fmt.Sprintf("%x", per), pdu, inner, ext})
		}
	}
	if err := conn.Close(at + step); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "random-h245.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	decoded := tsharktest.FieldValues(t, path, "h225", "h245.pdu_type", "h245.request", "h245.response", "h245.command", "h245.indication", "_ws.expert")
	if len(decoded) != len(packets)+1 {
		t.Fatalf("tshark decoded %d H.225.0 messages, want %d and the control", len(decoded), len(packets))
	}
	controlFrame := "frame " + decoded[len(decoded)-1]["frame.number"][0] + " "
	decoded = decoded[:len(packets)]
	controlFlagged := false
	for _, p := range tsharktest.Problems(t, path, tsharktest.CheckChecksums...) {
		if strings.HasPrefix(p, controlFrame) {
			controlFlagged = true
			continue
		}
		t.Error(p)
	}
	if !controlFlagged {
		t.Error("tshark flagged nothing in the truncated control message; the check is blind")
	}
	innerFields := []string{"h245.request", "h245.response", "h245.command", "h245.indication"}
	seen := map[string]int{}
	for i, p := range decoded {
		want := packets[i]
		frame := p["frame.number"][0]
		if got := p["h245.pdu_type"]; len(got) == 0 || got[0] != strconv.Itoa(want.pdu) {
			t.Errorf("frame %s: tshark reads H.245 PDU type %v, we sent %d: %s", frame, got, want.pdu, want.body)
			continue
		}
		field := innerFields[want.pdu]
		got := p[field]
		if want.extIdx >= 0 {
			note := fmt.Sprintf("Choice no. %d in extension", want.extIdx)
			if !slices.ContainsFunc(p["_ws.expert"], func(e string) bool { return strings.HasSuffix(e, note) }) {
				t.Errorf("frame %s: tshark has no %q for our unknown %s alternative: %s", frame, note, field, want.body)
			}
			continue
		}
		if len(got) == 0 || got[0] != strconv.Itoa(want.inner) {
			t.Errorf("frame %s: tshark reads %s %v, we sent %d: %s", frame, field, got, want.inner, want.body)
			continue
		}
		seen[fmt.Sprintf("%s/%d", field, want.inner)]++
	}
	// Every alternative of the four message classes (16 requests, 25 responses, 13 commands,
	// 24 indications) must have been read as sent at least once.
	if len(seen) != 16+25+13+24 {
		t.Errorf("tshark read %d distinct message alternatives as sent, want all 78", len(seen))
	}
}

// tunnelled frames one H.245 message the way a tunnelling endpoint sends it: the h245Control
// of a Facility whose body is empty, in a TPKT frame.
func tunnelled(t *testing.T, ref uint16, fromDestination bool, per []byte) []byte {
	t.Helper()
	tunnelling := true
	uu := h225.H323UserInformation{H323UuPdu: h225.H323UUPDU{
		H323MessageBody: h225.H323UUPDUH323MessageBody{Choice: h225.H323UUPDUH323MessageBodyEmpty},
		H245Tunnelling:  &tunnelling,
		H245Control:     [][]byte{per},
	}}
	b, err := uu.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	msg := q931.Message{Type: q931.Facility, CallReference: ref, FromDestination: fromDestination}
	if err := msg.Add(q931.H225UserUser(b)); err != nil {
		t.Fatal(err)
	}
	encoded, err := msg.Encode()
	if err != nil {
		t.Fatal(err)
	}
	framed, err := q931.Frame(encoded)
	if err != nil {
		t.Fatal(err)
	}
	return framed
}

// alternatives returns the 0-based PER indexes of v's alternative and of the alternative of the
// request, response, command or indication inside it, and for an unknown (raw) inner
// alternative its extension index (else -1).
func alternatives(v *MultimediaSystemControlMessage) (pdu, inner, ext int) {
	var choice int
	var raw *asn1per.RawExtension
	var roots int
	switch v.Choice {
	case MultimediaSystemControlMessageRequest:
		choice, raw, roots = int(v.Request.Choice), v.Request.Raw, requestRoots
	case MultimediaSystemControlMessageResponse:
		choice, raw, roots = int(v.Response.Choice), v.Response.Raw, responseRoots
	case MultimediaSystemControlMessageCommand:
		choice, raw, roots = int(v.Command.Choice), v.Command.Raw, commandRoots
	case MultimediaSystemControlMessageIndication:
		choice, raw, roots = int(v.Indication.Choice), v.Indication.Raw, indicationRoots
	}
	if choice == 0 && raw != nil {
		return int(v.Choice) - 1, roots + raw.Index, raw.Index
	}
	return int(v.Choice) - 1, choice - 1, -1
}

// Root alternatives (before the extension marker) of the four message classes.
const (
	requestRoots    = 11
	responseRoots   = 19
	commandRoots    = 7
	indicationRoots = 14
)

// drawForTshark draws random values with draw until one passes restrictForTshark and encodes,
// and returns its encoding. Restrictions rarely reject, so a long run of rejections is a fault.
func drawForTshark(t *testing.T, v *MultimediaSystemControlMessage, draw func()) []byte {
	t.Helper()
	for range 1000 {
		draw()
		if v.Choice == 0 { // an unknown top-level alternative: nothing for the oracle to name
			continue
		}
		if tsharkPruner.Prune(reflect.ValueOf(v).Elem()) {
			continue
		}
		if b, err := v.Marshal(); err == nil {
			return b
		}
	}
	t.Fatal("no random value passes the tshark restrictions in 1000 draws")
	return nil
}

// subDissectedFields (type.field) hold values that tshark hands to another dissector, so random
// values there are malformed for it, not a fault of our encoding: tshark reads
// FunctionNotSupported.returnedFunction as an H.245 message, and EncryptionSync.genericParameter
// (H.235.7/H.235.8 key material) as MIKEY.
var subDissectedFields = map[string]bool{
	"FunctionNotSupported.ReturnedFunction": true, "EncryptionSync.GenericParameter": true,
}

// tsharkPruner restricts random values to what tshark can read even when our encoding is right;
// every restriction names the dissector limitation behind it (those of tshark's PER dissector
// in general are tsharktest.Pruner's).
var tsharkPruner = tsharktest.Pruner{
	Value: func(v reflect.Value) bool {
		if v.Type() == reflect.TypeFor[MaxRedundancy]() {
			// MaxRedundancy, INTEGER(1..MAX), is H.245's only semi-constrained whole number
			// (X.691 10.7: an aligned length octet, then the value's octets). tshark 4.0 reads
			// it as a constrained one with an upper bound "NO_BOUND" (a two-bit octet count, as
			// for its BMPString lengths) and so misreads the value and everything after it.
			return true
		}
		if v.Kind() != reflect.Struct {
			return false
		}
		switch x := v.Addr().Interface().(type) {
		case *DialingInformationNumber:
			// networkAddress, NumericString(SIZE (0..40)), is the only string of H.245 that
			// may be empty. Our encoder writes no padding for the empty field that follows its
			// length (asn1per's ia5-empty vector, as H323Plus encodes it); tshark 4.0 aligns
			// there anyway and misreads the rest.
			if x.NetworkAddress == "" {
				x.NetworkAddress = "0"
			}
		case *VendorIdentification:
			tsharktest.SpaceNULs(v, "ProductNumber", "VersionNumber")
		}
		return false
	},
	Clear: func(t reflect.Type, f reflect.StructField) bool { return subDissectedFields[t.Name()+"."+f.Name] },
}
