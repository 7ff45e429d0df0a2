package golden

import (
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/internal/tsharktest"
)

var update = flag.Bool("update", false, "rewrite the golden hex files and the shipped capture")

// Where the vectors live, relative to this package's directory.
var (
	rasDir         = filepath.Join("..", "..", "testdata", "golden", "ras")
	q931Dir        = filepath.Join("..", "..", "testdata", "golden", "q931")
	shippedCapture = filepath.Join("..", "..", "testdata", "call-cause18.pcap")
)

func itoa(n int) string { return strconv.Itoa(n) }

// guidString is the dissector's text form of a GUID: the 16 octets in wire
// order as 8-4-4-4-12 hexadecimal digits.
func guidString(g h225.GloballyUniqueID) string {
	h := hex.EncodeToString(g)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// formatHex is a vector file: one comment line, then the octets as hex, 32
// per line.
func formatHex(comment string, b []byte) []byte {
	var out bytes.Buffer
	fmt.Fprintf(&out, "# %s\n", comment)
	for len(b) > 0 {
		n := min(32, len(b))
		out.WriteString(hex.EncodeToString(b[:n]))
		out.WriteByte('\n')
		b = b[n:]
	}
	return out.Bytes()
}

// parseHex reads a vector file: lines starting with '#' are comments.
func parseHex(text []byte) ([]byte, error) {
	var digits strings.Builder
	for _, line := range strings.Split(string(text), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		digits.WriteString(strings.ReplaceAll(line, " ", ""))
	}
	return hex.DecodeString(digits.String())
}

// checkGolden compares got with the vector file, or rewrites the file with
// -update.
func checkGolden(t *testing.T, dir, name, comment string, got []byte) {
	t.Helper()
	path := filepath.Join(dir, name+".hex")
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, formatHex(comment, got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	want, err := parseHex(text)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: encoding differs from the golden vector\ngot  %x\nwant %x", name, got, want)
	}
}

func TestRASVectors(t *testing.T) {
	vectors, err := rasVectors()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			enc, err := v.msg.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, rasDir, v.name, v.comment, enc)
			back, err := h225.UnmarshalRasMessage(enc)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, v.msg) {
				t.Errorf("decode(encode(v)) differs from v:\n got %+v\nwant %+v", back, v.msg)
			}
		})
	}
}

func TestQ931Vectors(t *testing.T) {
	for _, c := range calls() {
		for _, v := range c.messages {
			t.Run(v.name, func(t *testing.T) {
				enc, err := v.encode()
				if err != nil {
					t.Fatal(err)
				}
				checkGolden(t, q931Dir, v.name, v.comment, enc)
				msg, err := q931.Decode(enc)
				if err != nil {
					t.Fatal(err)
				}
				uu, err := msg.UserUser()
				if err != nil {
					t.Fatal(err)
				}
				if uu.ProtocolDiscriminator != q931.UserUserX208 {
					t.Errorf("user-user protocol discriminator %d", uu.ProtocolDiscriminator)
				}
				body, err := h225.UnmarshalH323UserInformation(uu.Data)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(body, v.uu) {
					t.Errorf("H323-UserInformation: decode(encode(v)) differs from v:\n got %+v\nwant %+v", body, v.uu)
				}
				// The message without its User-user element is what the
				// vector built.
				msg.Elements = msg.Elements[:len(msg.Elements)-1]
				if len(msg.Elements) == 0 {
					msg.Elements = nil // a message built without elements has none
				}
				if !reflect.DeepEqual(msg, v.msg) {
					t.Errorf("Q.931: decode(encode(v)) differs from v:\n got %+v\nwant %+v", msg, v.msg)
				}
			})
		}
	}
}

// vectorFiles lists a vector directory's files in name order.
func vectorFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.hex"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 && !*update {
		t.Fatalf("no golden vectors in %s", dir)
	}
	out := make(map[string][]byte, len(paths))
	for _, p := range paths {
		text, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b, err := parseHex(text)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestGoldenFilesRoundTrip decodes every vector file as it is stored (not as
// the builders make it) and requires the re-encoding to give the same bytes.
func TestGoldenFilesRoundTrip(t *testing.T) {
	ras := vectorFiles(t, rasDir)
	for _, name := range sortedKeys(ras) {
		t.Run("ras/"+name, func(t *testing.T) {
			msg, err := h225.UnmarshalRasMessage(ras[name])
			if err != nil {
				t.Fatal(err)
			}
			again, err := msg.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, ras[name]) {
				t.Errorf("re-encoding differs\n got %x\nwant %x", again, ras[name])
			}
		})
	}
	sig := vectorFiles(t, q931Dir)
	for _, name := range sortedKeys(sig) {
		t.Run("q931/"+name, func(t *testing.T) {
			msg, err := q931.Decode(sig[name])
			if err != nil {
				t.Fatal(err)
			}
			again, err := msg.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, sig[name]) {
				t.Errorf("Q.931 re-encoding differs\n got %x\nwant %x", again, sig[name])
			}
			uu, err := msg.UserUser()
			if err != nil {
				t.Fatal(err)
			}
			body, err := h225.UnmarshalH323UserInformation(uu.Data)
			if err != nil {
				t.Fatal(err)
			}
			per, err := body.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(per, uu.Data) {
				t.Errorf("H323-UserInformation re-encoding differs\n got %x\nwant %x", per, uu.Data)
			}
		})
	}
}

// step is the simulated time between two messages of the capture.
const step = 20 * time.Millisecond

// writeRAS writes the RAS vectors as UDP datagrams from at onwards and
// returns the time after the last.
func writeRAS(w *capture.Writer, at time.Duration, vectors []rasVector) (time.Duration, error) {
	for _, v := range vectors {
		enc, err := v.msg.Marshal()
		if err != nil {
			return at, err
		}
		if err := w.WriteUDP(at, v.src, v.dst, enc); err != nil {
			return at, err
		}
		at += step
	}
	return at, nil
}

// writeCall writes one call as a TCP connection from alice to the PBX, each
// message in a TPKT frame. The cause-18 release comes 10 s after the call
// proceeding, as the PBX waits that long for the woken app.
func writeCall(w *capture.Writer, at time.Duration, c *call) (time.Duration, error) {
	s, err := w.OpenTCP(at, c.client, pbxSignal)
	if err != nil {
		return at, err
	}
	for _, v := range c.messages {
		at += step
		if v.want["q931.cause_value"] != nil && v.want["q931.cause_value"][0] == "18" {
			at += 10 * time.Second
		}
		enc, err := v.encode()
		if err != nil {
			return at, err
		}
		frame, err := q931.Frame(enc)
		if err != nil {
			return at, err
		}
		if err := s.Write(at, v.fromClient, frame); err != nil {
			return at, err
		}
	}
	at += step
	return at + step, s.Close(at)
}

// writeAll writes every vector into one capture: the RAS exchange, then the
// three calls.
func writeAll(t *testing.T, path string) ([]rasVector, []q931Vector) {
	t.Helper()
	vectors, err := rasVectors()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf, capture.DefaultEpoch)
	if err != nil {
		t.Fatal(err)
	}
	at, err := writeRAS(w, 0, vectors)
	if err != nil {
		t.Fatal(err)
	}
	var signalling []q931Vector
	for _, c := range calls() {
		if at, err = writeCall(w, at, c); err != nil {
			t.Fatal(err)
		}
		signalling = append(signalling, c.messages...)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return vectors, signalling
}

// TestShippedCapture keeps testdata/call-cause18.pcap, the capture README
// decodes, equal to what the vectors produce: alice registers (GRQ, GCF,
// secured RRQ, RCF) and calls bob, whose app never wakes (Setup, Call
// Proceeding, Release Complete cause 18).
func TestShippedCapture(t *testing.T) {
	vectors, err := rasVectors()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf, capture.DefaultEpoch)
	if err != nil {
		t.Fatal(err)
	}
	registration := []rasVector{vectors[0], vectors[1], vectors[3], vectors[4]}
	at, err := writeRAS(w, 0, registration)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := writeCall(w, at, calls()[2]); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(shippedCapture, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	shipped, err := os.ReadFile(shippedCapture)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(shipped, buf.Bytes()) {
		t.Errorf("%s differs from what the golden vectors give; rerun with -update after checking why", shippedCapture)
	}
	if problems := tsharktest.Problems(t, shippedCapture, tsharktest.CheckChecksums...); len(problems) > 0 {
		t.Errorf("dissector problems in the shipped capture:\n%s", strings.Join(problems, "\n"))
	}
}

// TestDissectorReadsVectors is the oracle: tshark must read every vector as
// the message meant, with its key fields, and find nothing wrong.
func TestDissectorReadsVectors(t *testing.T) {
	tsharktest.Require(t)
	path := filepath.Join(t.TempDir(), "golden.pcap")
	ras, signalling := writeAll(t, path)

	if problems := tsharktest.Problems(t, path, tsharktest.CheckChecksums...); len(problems) > 0 {
		t.Errorf("dissector problems:\n%s", strings.Join(problems, "\n"))
	}

	t.Run("ras", func(t *testing.T) {
		var wants []map[string][]string
		var shows []map[string]string
		for _, v := range ras {
			wants, shows = append(wants, v.want), append(shows, v.wantShow)
		}
		checkFields(t, path, "h225.RasMessage", names(ras, func(v rasVector) string { return v.name }), wants, shows, nil)
	})
	t.Run("q931", func(t *testing.T) {
		var wants []map[string][]string
		var shows []map[string]string
		var absent [][]string
		for _, v := range signalling {
			wants, shows, absent = append(wants, v.want), append(shows, v.wantShow), append(absent, v.absent)
		}
		checkFields(t, path, "q931", names(signalling, func(v q931Vector) string { return v.name }), wants, shows, absent)
	})
}

func names[T any](vs []T, name func(T) string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = name(v)
	}
	return out
}

// checkFields runs the dissector over the frames matching filter (one per
// vector, in order) and compares each with its vector's expectations.
func checkFields(t *testing.T, path, filter string, vectorNames []string, wants []map[string][]string, shows []map[string]string, absent [][]string) {
	t.Helper()
	fieldSet := map[string]bool{}
	for i := range wants {
		for f := range wants[i] {
			fieldSet[f] = true
		}
		if absent != nil {
			for _, f := range absent[i] {
				fieldSet[f] = true
			}
		}
	}
	showSet := map[string]bool{}
	for _, s := range shows {
		for f := range s {
			showSet[f] = true
		}
	}
	packets := tsharktest.FieldValues(t, path, filter, sortedSet(fieldSet)...)
	shown := tsharktest.Shownames(t, path, filter, sortedSet(showSet)...)
	if len(packets) != len(wants) || len(shown) != len(wants) {
		t.Fatalf("dissector found %d (%d) %s frames, want %d", len(packets), len(shown), filter, len(wants))
	}
	for i, name := range vectorNames {
		frame := strings.Join(packets[i]["frame.number"], ",")
		for f, want := range wants[i] {
			if got := packets[i][f]; !reflect.DeepEqual(got, want) {
				t.Errorf("%s (frame %s): %s = %q, want %q", name, frame, f, got, want)
			}
		}
		for f, want := range shows[i] {
			got := strings.Join(shown[i][f], " | ")
			if !strings.Contains(got, want) {
				t.Errorf("%s (frame %s): %s shows %q, want it to contain %q", name, frame, f, got, want)
			}
		}
		if absent != nil {
			for _, f := range absent[i] {
				if got, ok := packets[i][f]; ok {
					t.Errorf("%s (frame %s): %s present (%q), want it absent", name, frame, f, got)
				}
			}
		}
	}
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
