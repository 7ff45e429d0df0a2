package ras

import (
	"testing"

	"github.com/callwake/callwake/asn1per"
	"github.com/callwake/callwake/h323/h225"
)

// TestRejectReason checks the reason names after a wire round trip, including a reason
// added by a later version of H.225.0 (an unknown extension alternative).
func TestRejectReason(t *testing.T) {
	later := NewRRJ(5, "pbx", 0)
	later.RegistrationReject.RejectReason.Raw = &asn1per.RawExtension{Index: 40, Data: []byte{0}}
	tests := []struct {
		name     string
		msg      *h225.RasMessage
		want     string
		rejected bool
	}{
		{"rrj", NewRRJ(1, "pbx", h225.RegistrationRejectReasonInvalidRASAddress), "invalidRASAddress", true},
		{"grj", NewGRJ(2, "pbx", h225.GatekeeperRejectReasonSecurityDenial), "securityDenial", true},
		{"arj", NewARJ(3, h225.AdmissionRejectReasonSecurityDHmismatch), "securityDHmismatch", true},
		{"later version", later, "unknownReason", true},
		{"not a reject", NewUCF(4), "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := wireRoundTrip(t, tc.msg)
			got, rejected := RejectReason(m)
			if got != tc.want || rejected != tc.rejected {
				t.Errorf("RejectReason = %q, %v; want %q, %v", got, rejected, tc.want, tc.rejected)
			}
		})
	}
}

// wireRoundTrip encodes msg and decodes the encoding, returning both.
func wireRoundTrip(t *testing.T, msg *h225.RasMessage) (*h225.RasMessage, []byte) {
	t.Helper()
	b, err := Encode(msg)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return m, b
}
