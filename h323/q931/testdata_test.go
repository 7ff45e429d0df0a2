package q931

import (
	"encoding/hex"
	"strings"
	"testing"
)

// fromHex decodes spaced hex, failing the test on a typo.
func fromHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// Minimal aligned-PER H323-UserInformation values, computed by hand from the
// H.225.0 ASN.1 with no extension additions (root components only), so a
// reference decoder accepts them. protocolIdentifier is 0.0.8.2250.0.4.
const (
	perProtocolID = "06 00 08 91 4a 00 04"
	conferenceID  = "00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff"

	// setup: choice index 0; Setup-UUIE ext + 7 optional bits all clear;
	// sourceInfo EndpointType (9 bits) + activeMC, padded; conferenceID;
	// conferenceGoal create + callType pointToPoint (6 bits).
	perSetup = "00 00 " + perProtocolID + " 00 00 " + conferenceID + " 00"
	// callProceeding: index 1; destinationInfo EndpointType.
	perCallProceeding = "01 00 " + perProtocolID + " 00 00"
	// connect: index 2; destinationInfo, conferenceID.
	perConnect = "02 00 " + perProtocolID + " 00 00 " + conferenceID
	// alerting: index 3; destinationInfo.
	perAlerting = "03 00 " + perProtocolID + " 00 00"
	// releaseComplete: index 5; no reason.
	perReleaseComplete = "05 00 " + perProtocolID
	// empty: the extension alternative "empty" (NULL): choice extension bit,
	// normally small number 1, then an open type of one zero octet.
	perFacilityEmpty = "08 10 01 00"
)

// Known-answer messages. Each is checked field by field in message_test.go
// and the four main ones by tshark in tshark_test.go.
var (
	// Setup, call reference 1 from the originator: bearer capability
	// 88 90 a5, display "Alice", calling 1001 (national, E.164, presentation
	// allowed, network provided), called 2002 (national, E.164), user-user.
	hexSetup = "08 02 00 01 05" +
		" 04 03 88 90 a5" +
		" 28 05 41 6c 69 63 65" +
		" 6c 06 21 83 31 30 30 31" +
		" 70 05 a1 32 30 30 32" +
		" 7e 00 1d 05 " + perSetup
	hexCallProceeding = "08 02 80 01 02 7e 00 0c 05 " + perCallProceeding
	// Alerting with progress indicator "in-band information available".
	hexAlerting = "08 02 80 01 01 1e 02 81 88 7e 00 0c 05 " + perAlerting
	// Connect with display "Bob".
	hexConnect = "08 02 80 01 07 28 03 42 6f 62 7e 00 1c 05 " + perConnect
	// Release Complete from the destination side, cause 16, location user.
	hexReleaseComplete16 = "08 02 80 01 5a 08 02 80 90 7e 00 0a 05 " + perReleaseComplete
	// Release Complete from the originator, cause 17, private network
	// serving the local user.
	hexReleaseComplete17 = "08 02 00 01 5a 08 02 81 91 7e 00 0a 05 " + perReleaseComplete
	// Release Complete, cause 18, with octet 3a (recommendation Q.931) and a
	// diagnostic octet.
	// Facility with the "empty" body, as H.225.0 uses for supplementary
	// services before version 4.
	hexFacilityEmpty     = "08 02 00 05 62 7e 00 05 05 " + perFacilityEmpty
	hexReleaseComplete18 = "08 02 7f ff 5a 08 04 01 80 92 aa 7e 00 0a 05 " + perReleaseComplete
)
