package h245

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"testing"

	"github.com/callwake/callwake/asn1per"
)

// sampleTCS is a terminal capability set as an audio-only H.323 terminal sends it: H.225.0
// multiplex capability, G.711 A-law and µ-law receive capabilities (20 frames a packet) and one
// descriptor offering either.
func sampleTCS() *MultimediaSystemControlMessage {
	mp := MultipointCapability{MediaDistributionCapability: []MediaDistributionCapability{{}}}
	alaw := Capability{Choice: CapabilityReceiveAudioCapability, ReceiveAudioCapability: &AudioCapability{Choice: AudioCapabilityG711Alaw64k, G711Alaw64k: 20}}
	ulaw := Capability{Choice: CapabilityReceiveAudioCapability, ReceiveAudioCapability: &AudioCapability{Choice: AudioCapabilityG711Ulaw64k, G711Ulaw64k: 20}}
	return &MultimediaSystemControlMessage{
		Choice: MultimediaSystemControlMessageRequest,
		Request: &RequestMessage{
			Choice: RequestMessageTerminalCapabilitySet,
			TerminalCapabilitySet: &TerminalCapabilitySet{
				SequenceNumber:     1,
				ProtocolIdentifier: asn1per.ObjectIdentifier{0, 0, 8, 245, 0, 15},
				MultiplexCapability: &MultiplexCapability{Choice: MultiplexCapabilityH2250Capability, H2250Capability: &H2250Capability{
					MaximumAudioDelayJitter:                60,
					ReceiveMultipointCapability:            mp,
					TransmitMultipointCapability:           mp,
					ReceiveAndTransmitMultipointCapability: mp,
				}},
				CapabilityTable: []CapabilityTableEntry{
					{CapabilityTableEntryNumber: 1, Capability: &alaw},
					{CapabilityTableEntryNumber: 2, Capability: &ulaw},
				},
				CapabilityDescriptors: []CapabilityDescriptor{{
					CapabilityDescriptorNumber: 0,
					SimultaneousCapabilities:   []AlternativeCapabilitySet{{1, 2}},
				}},
			},
		},
	}
}

// TestKnownAnswers checks encodings worked out by hand from X.691 (the capability set: read back
// by tshark, see sampleTCSHex): the octets, and decoding them back to the value.
func TestKnownAnswers(t *testing.T) {
	tests := []struct {
		name string
		v    *MultimediaSystemControlMessage
		hex  string
	}{
		{
			// indication (index 3 of 4, extensible: 0 11), userInput (13 of 14: 0 1101),
			// alphanumeric (1 of 2: 0 1), then the GeneralString as an octet string: aligned
			// length 1 and "5".
			name: "userInput alphanumeric",
			v: &MultimediaSystemControlMessage{Choice: MultimediaSystemControlMessageIndication, Indication: &IndicationMessage{
				Choice: IndicationMessageUserInput, UserInput: &UserInputIndication{Choice: UserInputIndicationAlphanumeric, Alphanumeric: "5"},
			}},
			hex: "6d400135",
		},
		{
			// request (0 00), masterSlaveDetermination (1 of 11: 0 0001), no extensions (0),
			// terminalType 50 in an aligned octet, statusDeterminationNumber 0x123456 in
			// 0..16777215: a two-bit octet count (3 octets: 10), aligned, the three octets.
			name: "masterSlaveDetermination",
			v: &MultimediaSystemControlMessage{Choice: MultimediaSystemControlMessageRequest, Request: &RequestMessage{
				Choice: RequestMessageMasterSlaveDetermination, MasterSlaveDetermination: &MasterSlaveDetermination{TerminalType: 50, StatusDeterminationNumber: 0x123456},
			}},
			hex: "01003280123456",
		},
		{
			name: "terminalCapabilitySet G.711",
			v:    sampleTCS(),
			hex:  sampleTCSHex,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.v.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(b); got != tc.hex {
				t.Fatalf("encoding\n got %s\nwant %s", got, tc.hex)
			}
			want, _ := hex.DecodeString(tc.hex)
			back, err := UnmarshalMultimediaSystemControlMessage(want)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tc.v) {
				t.Fatalf("decoded\n got %+v\nwant %+v", back, tc.v)
			}
			again, _ := back.Marshal()
			if !bytes.Equal(again, want) {
				t.Fatalf("re-encoding % x", again)
			}
		})
	}
}

// sampleTCSHex is sampleTCS as our encoder writes it; tshark reads it back as written (it is
// the first message TestTsharkRandomMessages sends).
const sampleTCSHex = "0270010600088175000f800d00003c000100000100000100000180000020401380000120c013008000000100000001"
