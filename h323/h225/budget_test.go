package h225

import (
	"errors"
	"reflect"
	"runtime"
	"testing"

	"github.com/callwake/callwake/asn1per"
)

// heldBytes is what a decoded value keeps reachable on the heap: the targets of its pointers,
// the backing arrays of its slices (whole capacity) and the bytes of its strings, each pointer
// target and array counted once. It is the quantity the allocation budget bounds.
func heldBytes(v any) int {
	seen := map[uintptr]bool{}
	rv := reflect.ValueOf(v)
	return walkHeld(rv, seen)
}

func walkHeld(v reflect.Value, seen map[uintptr]bool) int {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return 0
		}
		seen[v.Pointer()] = true
		return int(v.Type().Elem().Size()) + walkHeld(v.Elem(), seen)
	case reflect.Slice:
		if v.IsNil() {
			return 0
		}
		n := 0
		if v.Cap() > 0 && !seen[v.Pointer()] {
			seen[v.Pointer()] = true
			n = v.Cap() * int(v.Type().Elem().Size())
		}
		for i := range v.Len() {
			n += walkHeld(v.Index(i), seen)
		}
		return n
	case reflect.String:
		return v.Len()
	case reflect.Struct:
		n := 0
		for i := range v.NumField() {
			n += walkHeld(v.Field(i), seen)
		}
		return n
	case reflect.Array:
		n := 0
		for i := range v.Len() {
			n += walkHeld(v.Index(i), seen)
		}
		return n
	}
	return 0
}

// budgetOf is the allocation budget of an input of n octets.
func budgetOf(n int) int { return asn1per.AllocFactor*n + asn1per.AllocSlack }

// allocatedPerRun returns the heap bytes f allocates per run.
func allocatedPerRun(runs int, f func()) int {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return int((after.TotalAlloc - before.TotalAlloc) / uint64(runs))
}

func repeat[T any](n int, v T) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// amplifiers are RAS messages built so that few input octets become many bytes of Go values:
// lists of elements that encode in a few bits but are large structs, lists of CHOICEs whose
// alternatives are pointers, lists inside lists inside open types, and many unknown extension
// additions. Each is built at a size of about 20 KB.
func amplifiers() map[string]*RasMessage {
	acf := func(alternates []Endpoint) *RasMessage {
		return &RasMessage{Choice: RasMessageAdmissionConfirm, AdmissionConfirm: &AdmissionConfirm{
			RequestSeqNum: 1, BandWidth: 1280, CallModel: CallModel{Choice: CallModelDirect},
			DestCallSignalAddress: ipv4Address(10, 0, 0, 1, 1720), AlternateEndpoints: alternates}}
	}
	transportAlias := AliasAddress{Choice: AliasAddressTransportID, TransportID: &TransportAddress{
		Choice: TransportAddressIpAddress, IpAddress: &TransportAddressIpAddressType{Ip: []byte{1, 2, 3, 4}, Port: 1}}}
	rrq := sampleRRQ()
	rrq.RegistrationRequest.TerminalAlias = repeat(2500, transportAlias)
	nested := sampleRRQ()
	nested.RegistrationRequest.AlternateEndpoints = repeat(2000, Endpoint{CallSignalAddress: []TransportAddress{}, RasAddress: []TransportAddress{}, AliasAddress: []AliasAddress{}})
	unknown := make([]asn1per.RawExtension, 6000)
	for i := range unknown {
		unknown[i] = asn1per.RawExtension{Index: 12 + i, Data: []byte{0}}
	}
	grq := &RasMessage{Choice: RasMessageGatekeeperRequest, GatekeeperRequest: &GatekeeperRequest{
		RequestSeqNum: 1, ProtocolIdentifier: h2250v7, RasAddress: ipv4Address(10, 0, 0, 2, 1719),
		EndpointType: EndpointType{}, Extensions: unknown}}
	tokens := sampleRRQ()
	tokens.RegistrationRequest.CryptoTokens = repeat(1200, CryptoH323Token{Choice: CryptoH323TokenNestedcryptoToken,
		NestedcryptoToken: &CryptoToken{Choice: CryptoTokenCryptoHashedToken, CryptoHashedToken: &CryptoTokenCryptoHashedTokenType{
			TokenOID: asn1per.ObjectIdentifier{0, 0}, HashedVals: ClearToken{TokenOID: asn1per.ObjectIdentifier{0, 0}},
			Token: HashedEncodedGeneralToken{AlgorithmOID: asn1per.ObjectIdentifier{0, 0}}}}})
	return map[string]*RasMessage{
		"ACF with 16,000 empty alternateEndpoints":         acf(repeat(16000, Endpoint{})),
		"RRQ with 2,500 transportID aliases":               rrq,
		"RRQ with 2,000 alternateEndpoints of empty lists": nested,
		"GRQ with 6,000 unknown extensions":                grq,
		"RRQ with 1,200 hashed tokens":                     tokens,
	}
}

// TestDecodingIsBoundedByItsInput: each amplifying message either decodes holding no more than
// its budget, or is refused with ErrLimit having allocated less than twice its budget; then the
// largest cut of its long list that decodes holds no more than the budget either.
func TestDecodingIsBoundedByItsInput(t *testing.T) {
	for name, m := range amplifiers() {
		t.Run(name, func(t *testing.T) {
			in := mustMarshal(t, m)
			checkBounded(t, in)
			if _, err := UnmarshalRasMessage(in); err == nil {
				return
			}
			cut := largestDecodable(t, m)
			if cut == nil {
				t.Fatal("no cut of the message decodes")
			}
			checkBounded(t, cut)
		})
	}
}

// checkBounded decodes in and checks what it holds (on success) and allocates against its
// budget; an error must be ErrLimit.
func checkBounded(t *testing.T, in []byte) {
	t.Helper()
	v, err := UnmarshalRasMessage(in)
	alloc := allocatedPerRun(5, func() { UnmarshalRasMessage(in) })
	budget := budgetOf(len(in))
	if err != nil {
		if !errors.Is(err, asn1per.ErrLimit) {
			t.Fatalf("%d octets: err = %v, want ErrLimit", len(in), err)
		}
		t.Logf("%d octets refused (ErrLimit) after allocating %d bytes (%.1f× the input; budget %d)", len(in), alloc, float64(alloc)/float64(len(in)), budget)
	} else {
		held := heldBytes(v)
		t.Logf("%d octets decode: hold %d bytes (%.1f×), allocate %d (budget %d)", len(in), held, float64(held)/float64(len(in)), alloc, budget)
		if held > budget {
			t.Errorf("%d octets hold %d bytes, above the budget %d", len(in), held, budget)
		}
	}
	if alloc > 2*budget {
		t.Errorf("%d octets allocate %d bytes, more than twice the budget %d", len(in), alloc, budget)
	}
}

// largestDecodable shortens the one long list of m (by bisection on its length) to the longest
// that still decodes, and returns that encoding.
func largestDecodable(t *testing.T, m *RasMessage) []byte {
	t.Helper()
	list := longestList(reflect.ValueOf(m))
	if !list.IsValid() {
		t.Fatal("no list in the message")
	}
	full := list.Interface()
	defer list.Set(reflect.ValueOf(full))
	lo, hi := 0, list.Len() // lo decodes, hi does not
	var best []byte
	for lo+1 < hi {
		mid := (lo + hi) / 2
		list.Set(reflect.ValueOf(full).Slice(0, mid))
		b := mustMarshal(t, m)
		if _, err := UnmarshalRasMessage(b); err == nil {
			lo, best = mid, b
		} else if errors.Is(err, asn1per.ErrLimit) {
			hi = mid
		} else {
			t.Fatalf("a cut of %d elements: %v", mid, err)
		}
	}
	return best
}

func longestList(v reflect.Value) reflect.Value {
	var best reflect.Value
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i))
			}
		case reflect.Slice:
			if v.Type().Elem().Kind() != reflect.Uint8 && v.Type().Elem().Kind() != reflect.Uint32 && (!best.IsValid() || v.Len() > best.Len()) {
				best = v
			}
		}
	}
	walk(v)
	return best
}

// TestRealMessagesSpendLittleOfTheBudget: the messages of the shared capture and the golden
// vectors hold a small part of their budget, so the limit refuses only what no stack sends.
func TestRealMessagesSpendLittleOfTheBudget(t *testing.T) {
	inputs := append(fuzzGoldenVectors(t, "ras"), mustMarshal(t, sampleRRQ()), mustMarshal(t, sampleRCF()))
	for _, b := range inputs {
		v, err := UnmarshalRasMessage(b)
		if err != nil {
			t.Fatal(err)
		}
		if held := heldBytes(v); held > budgetOf(len(b))/2 {
			t.Errorf("%s of %d octets holds %d bytes, more than half its budget %d", v.Choice, len(b), held, budgetOf(len(b)))
		}
	}
	for _, b := range fuzzGoldenUserUser(t) {
		v, err := UnmarshalH323UserInformation(b)
		if err != nil {
			t.Fatal(err)
		}
		if held := heldBytes(v); held > budgetOf(len(b))/2 {
			t.Errorf("user-user information of %d octets holds %d bytes, more than half its budget %d", len(b), held, budgetOf(len(b)))
		}
	}
}
