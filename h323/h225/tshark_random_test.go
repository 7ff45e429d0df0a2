package h225

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
	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/internal/tsharktest"
)

// randomOracleCount is how many random values of each root type the tshark oracle checks: enough
// to reach every RAS message and every H.225.0 call-signalling body several times, while one
// tshark run over one capture stays around a second or two.
const randomOracleCount = 200

// TestTsharkRandomMessages encodes random valid RasMessage and H323-UserInformation values and
// requires that tshark, an independent H.225.0 decoder, reads each of them without a malformed
// packet or an expert warning or error, and as the message we encoded. RAS messages travel in
// UDP datagrams to port 1719; call-signalling messages in the User-user element of a Q.931
// message whose type matches the body, framed with TPKT on a TCP connection to port 1720.
func TestTsharkRandomMessages(t *testing.T) {
	tsharktest.Require(t)
	r := rand.New(rand.NewPCG(0x7473_6861, 0x726b))

	type sent struct {
		what string // "ras" or "q931"
		body string // the message we encoded, for failure reports
		kind int    // RasMessage choice index, or H323-UU-PDU body choice index (0-based)
	}
	var packets []sent
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf, capture.DefaultEpoch)
	if err != nil {
		t.Fatal(err)
	}
	const step = time.Millisecond
	at := step
	endpoint, gatekeeper := netip.MustParseAddrPort("192.0.2.10:1719"), netip.MustParseAddrPort("192.0.2.1:1719")
	for i := range randomOracleCount {
		var v RasMessage
		b := drawForTshark(t, &v, func() { v = randomRasMessage(r, 0) })
		src, dst := endpoint, gatekeeper
		if i%2 == 1 {
			src, dst = dst, src
		}
		if err := w.WriteUDP(at, src, dst, b); err != nil {
			t.Fatal(err)
		}
		at += step
		packets = append(packets, sent{"ras", fmt.Sprintf("%x", b), alternativeIndex(int(v.Choice), v.Raw, rasRootAlternatives)})
	}

	caller, callee := netip.MustParseAddrPort("192.0.2.10:40000"), netip.MustParseAddrPort("192.0.2.20:1720")
	conn, err := w.OpenTCP(at, caller, callee)
	if err != nil {
		t.Fatal(err)
	}
	for i := range randomOracleCount {
		var v H323UserInformation
		per := drawForTshark(t, &v, func() { v = randomH323UserInformation(r, 0) })
		msg := q931.Message{Type: q931TypeFor(v.H323UuPdu.H323MessageBody.Choice), CallReference: uint16(1 + i), FromDestination: i%2 == 1}
		if err := msg.Add(q931.H225UserUser(per)); err != nil {
			t.Fatal(err)
		}
		encoded, err := msg.Encode()
		if err != nil {
			t.Fatal(err)
		}
		framed, err := q931.Frame(encoded)
		if err != nil {
			t.Fatalf("H323-UserInformation %d (%d octets): %v", i, len(per), err)
		}
		at += step
		if err := conn.Write(at, i%2 == 0, framed); err != nil {
			t.Fatal(err)
		}
		body := v.H323UuPdu.H323MessageBody
		packets = append(packets, sent{"q931", fmt.Sprintf("%x", per), alternativeIndex(int(body.Choice), body.Raw, bodyRootAlternatives)})
	}
	if err := conn.Close(at + step); err != nil {
		t.Fatal(err)
	}
	// Control: the last datagram is an RRQ cut short inside its call signalling address, which
	// tshark must flag; a check that flagged nothing there would be blind.
	control, err := sampleRRQ().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteUDP(at+2*step, endpoint, gatekeeper, control[:12]); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "random.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	// Every message must be read as the message we sent: the same alternative, or, for an
	// extension alternative tshark's module does not have, its note naming the same index.
	decoded := tsharktest.FieldValues(t, path, "h225", "h225.RasMessage", "h225.h323_message_body", "_ws.expert")
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
		t.Error("tshark flagged nothing in the truncated control RRQ; the check is blind")
	}
	for i, p := range decoded {
		want := packets[i]
		field, roots := "h225.RasMessage", rasRootAlternatives
		if want.what == "q931" {
			field, roots = "h225.h323_message_body", bodyRootAlternatives
		}
		got := p[field]
		if len(got) > 0 {
			if got[0] != strconv.Itoa(want.kind) {
				t.Errorf("frame %s: tshark reads %s alternative %s, we sent %d: %s", p["frame.number"][0], field, got[0], want.kind, want.body)
			}
			continue
		}
		note := fmt.Sprintf("Choice no. %d in extension", want.kind-roots)
		if want.kind < roots || !slices.ContainsFunc(p["_ws.expert"], func(e string) bool { return strings.HasSuffix(e, note) }) {
			t.Errorf("frame %s: tshark reads no %s and no %q; we sent alternative %d: %s", p["frame.number"][0], field, note, want.kind, want.body)
		}
	}
}

// Root alternatives (before the extension marker) of RasMessage and of H323-UU-PDU's
// h323-message-body; tshark knows all of them, and names later ones by extension index.
const (
	rasRootAlternatives  = 25
	bodyRootAlternatives = 7
)

// drawForTshark draws random values with draw until one passes restrictForTshark and encodes,
// and returns its encoding. Restrictions rarely reject, so a long run of rejections is a fault.
func drawForTshark(t *testing.T, v interface{ Marshal() ([]byte, error) }, draw func()) []byte {
	t.Helper()
	for range 1000 {
		draw()
		if !restrictForTshark(v) {
			continue
		}
		if b, err := v.Marshal(); err == nil {
			return b
		}
	}
	t.Fatal("no random value passes the tshark restrictions in 1000 draws")
	return nil
}

// alternativeIndex is the PER index of a CHOICE alternative: choice-1 for a known one, the root
// count plus the extension index for an unknown (raw) one.
func alternativeIndex(choice int, raw *asn1per.RawExtension, roots int) int {
	if choice == 0 && raw != nil {
		return roots + raw.Index
	}
	return choice - 1
}

// q931TypeFor is the Q.931 message type that carries an H.225.0 body of the given kind.
func q931TypeFor(c H323UUPDUH323MessageBodyChoice) q931.MessageType {
	switch c {
	case H323UUPDUH323MessageBodySetup:
		return q931.Setup
	case H323UUPDUH323MessageBodyCallProceeding:
		return q931.CallProceeding
	case H323UUPDUH323MessageBodyConnect:
		return q931.Connect
	case H323UUPDUH323MessageBodyAlerting:
		return q931.Alerting
	case H323UUPDUH323MessageBodyInformation:
		return q931.Information
	case H323UUPDUH323MessageBodyReleaseComplete:
		return q931.ReleaseComplete
	case H323UUPDUH323MessageBodyProgress:
		return q931.Progress
	case H323UUPDUH323MessageBodyStatus:
		return q931.Status
	case H323UUPDUH323MessageBodyStatusInquiry:
		return q931.StatusEnquiry
	case H323UUPDUH323MessageBodySetupAcknowledge:
		return q931.SetupAcknowledge
	case H323UUPDUH323MessageBodyNotify:
		return q931.Notify
	}
	return q931.Facility // facility, empty and unknown extension alternatives
}

// restrictForTshark removes from a random value what tshark's dissector cannot read even when
// our encoding is right, and reports false when what remains is not a valid value any more (the
// caller then draws another one). Every restriction names the dissector limitation behind it;
// the ones of tshark's PER dissector in general are tsharktest.Pruner's.
func restrictForTshark(v any) bool {
	return !tsharkPruner.Prune(reflect.ValueOf(v).Elem())
}

// subDissectedFields hold octets that tshark hands to another protocol's dissector, so random
// octets there are malformed H.245 (fastStart, h245Control, parallelH245Control carry H.245
// messages) or H.450 (h4501SupplementaryService) for tshark, not a fault of our encoding.
var subDissectedFields = map[string]bool{
	"FastStart": true, "H245Control": true, "ParallelH245Control": true, "H4501SupplementaryService": true,
}

// subDissectedTypes are OCTET STRING types tshark decodes as H.248 descriptors.
var subDissectedTypes = map[string]bool{"H248PackagesDescriptor": true, "H248SignalsDescriptor": true}

var tsharkPruner = tsharktest.Pruner{
	Value: func(v reflect.Value) bool {
		switch v.Kind() {
		case reflect.Slice:
			return v.Type().Elem().Kind() == reflect.Uint8 && subDissectedTypes[v.Type().Name()]
		case reflect.Struct:
			// tshark's H.235 dissector does not decode SIGNED{}: its toBeSigned component is a
			// placeholder that reports "something unknown here [ToBeSigned]" and gives up.
			if _, signed := v.Type().FieldByName("ToBeSigned"); signed {
				return true
			}
			// tshark 4.0 reads the length of an unconstrained BMPString as a constrained whole
			// number with a two-bit octet count (dissect_per_BMPString passes "no upper bound"
			// on to dissect_per_constrained_integer), not as the length determinant X.691 10.9
			// prescribes; H.235's Element.name is the only such string here.
			if e, ok := v.Addr().Interface().(*Element); ok && e.Choice == ElementName {
				return true
			}
			tsharktest.SpaceNULs(v, "ProductId", "VersionId")
		}
		return false
	},
	Clear: func(_ reflect.Type, f reflect.StructField) bool { return subDissectedFields[f.Name] },
}
