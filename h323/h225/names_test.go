package h225

import (
	"fmt"
	"testing"
)

// TestStringNames checks the generated String methods: the ASN.1 identifiers as H.225.0
// spells them, "" for an unset CHOICE, and the type with the number for unknown values.
func TestStringNames(t *testing.T) {
	tests := []struct {
		value fmt.Stringer
		want  string
	}{
		{RasMessageRegistrationRequest, "registrationRequest"},
		{RasMessageGatekeeperRequest, "gatekeeperRequest"},
		{RasMessageAdmissionConfirmSequence, "admissionConfirmSequence"},
		{RasMessageChoice(0), ""},
		{RasMessageChoice(42), "RasMessageChoice(42)"},
		{RasMessageChoice(-1), "RasMessageChoice(-1)"},
		{RegistrationRejectReasonSecurityDenial, "securityDenial"},
		{RegistrationRejectReasonInvalidRASAddress, "invalidRASAddress"},
		{ReleaseCompleteReasonSecurityDenied, "securityDenied"},
		{ReleaseCompleteReasonInvalidCID, "invalidCID"},
		{H323UUPDUH323MessageBodySetupAcknowledge, "setupAcknowledge"},
		{AliasAddressH323ID, "h323-ID"},
		{ScreeningIndicatorUserProvidedNotScreened, "userProvidedNotScreened"},
		{ScreeningIndicatorNetworkProvided, "networkProvided"},
		{ScreeningIndicator(4), "ScreeningIndicator(4)"},
	}
	for _, tc := range tests {
		if got := tc.value.String(); got != tc.want {
			t.Errorf("%T(%d).String() = %q, want %q", tc.value, tc.value, got, tc.want)
		}
	}
}

// TestStringOfDecodedMessage checks that fmt prints a decoded message's alternative by name.
func TestStringOfDecodedMessage(t *testing.T) {
	in := RasMessage{Choice: RasMessageRegistrationConfirm, RegistrationConfirm: &RegistrationConfirm{
		RequestSeqNum:      7,
		ProtocolIdentifier: ProtocolIdentifier{0, 0, 8, 2250, 0, 4},
		EndpointIdentifier: "ep",
	}}
	b, err := in.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	out, err := UnmarshalRasMessage(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(out.Choice); got != "registrationConfirm" {
		t.Errorf("decoded choice prints %q, want registrationConfirm", got)
	}
}
