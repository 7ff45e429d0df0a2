package h225

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// h2250v7 is the protocol identifier of H.225.0 version 7.
var h2250v7 = ProtocolIdentifier{0, 0, 8, 2250, 0, 7}

func ipv4Address(a, b, c, d byte, port int64) TransportAddress {
	return TransportAddress{
		Choice:    TransportAddressIpAddress,
		IpAddress: &TransportAddressIpAddressType{Ip: []byte{a, b, c, d}, Port: port},
	}
}

// sampleRRQ is a realistic registration request of a softphone.
func sampleRRQ() *RasMessage {
	return &RasMessage{
		Choice: RasMessageRegistrationRequest,
		RegistrationRequest: &RegistrationRequest{
			RequestSeqNum:      4660,
			ProtocolIdentifier: h2250v7,
			DiscoveryComplete:  false,
			CallSignalAddress:  []TransportAddress{ipv4Address(192, 168, 1, 20, 1720)},
			RasAddress:         []TransportAddress{ipv4Address(192, 168, 1, 20, 1719)},
			TerminalType:       EndpointType{Terminal: &TerminalInfo{}},
			TerminalAlias: []AliasAddress{
				{Choice: AliasAddressH323ID, H323ID: "alice"},
				{Choice: AliasAddressDialledDigits, DialledDigits: "1001"},
			},
			EndpointVendor: VendorIdentifier{
				Vendor:    H221NonStandard{T35CountryCode: 181, T35Extension: 0, ManufacturerCode: 4660},
				ProductId: []byte("callwake"),
				VersionId: []byte("1.0"),
			},
			TimeToLive:      ptr(TimeToLive(300)),
			KeepAlive:       ptr(false),
			WillSupplyUUIEs: ptr(false),
		},
	}
}

// sampleRCF is the gatekeeper's confirmation of sampleRRQ.
func sampleRCF() *RasMessage {
	return &RasMessage{
		Choice: RasMessageRegistrationConfirm,
		RegistrationConfirm: &RegistrationConfirm{
			RequestSeqNum:        4660,
			ProtocolIdentifier:   h2250v7,
			CallSignalAddress:    []TransportAddress{ipv4Address(10, 0, 0, 1, 1720)},
			TerminalAlias:        []AliasAddress{{Choice: AliasAddressH323ID, H323ID: "alice"}},
			GatekeeperIdentifier: ptr(GatekeeperIdentifier("GK")),
			EndpointIdentifier:   "EP0001",
			TimeToLive:           ptr(TimeToLive(300)),
			WillRespondToIRR:     ptr(false),
			MaintainConnection:   ptr(false),
		},
	}
}

func TestKnownAnswers(t *testing.T) {
	tests := []struct {
		name string
		msg  *RasMessage
		hex  string
	}{
		// Both encodings were checked field by field with tshark (TestKnownAnswersTshark).
		{"RRQ", sampleRRQ(), "0e801233060008914a0007000100c0a8011406b80100c0a8011406b702000240040061006c0069006300650180433460b50012340763616c6c77616b6502312e30348a0000000340012b01000100"},
		{"RCF", sampleRCF(), "12c01233060008914a000701000a00000106b80140040061006c006900630065020047004b0a004500500030003000300031268a00000340012b01000100"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.msg.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(b); got != tc.hex {
				t.Errorf("encoding\n got %s\nwant %s", got, tc.hex)
			}
			back, err := UnmarshalRasMessage(b)
			if err != nil {
				t.Fatal(err)
			}
			again, err := back.Marshal()
			if err != nil || !bytes.Equal(again, b) {
				t.Fatalf("re-encoding % x, %v", again, err)
			}
		})
	}
}

// TestKnownAnswersTshark has tshark, an independent decoder, read our encodings.
func TestKnownAnswersTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tshark is required in CI")
		}
		t.Skip("tshark not installed")
	}
	tests := []struct {
		name string
		msg  *RasMessage
		want []string
	}{
		{"RRQ", sampleRRQ(), []string{
			"RasMessage: registrationRequest (3)", "requestSeqNum: 4660", "protocolIdentifier: 0.0.8.2250.0.7",
			"discoveryComplete: False", "ip: 192.168.1.20", "port: 1720", "port: 1719",
			"h323-ID: alice", "dialledDigits: 1001", "t35CountryCode: United States (181)",
			"manufacturerCode: 4660", "productId: callwake", "versionId: 1.0",
			"timeToLive: 300", "keepAlive: False", "willSupplyUUIEs: False",
		}},
		{"RCF", sampleRCF(), []string{
			"RasMessage: registrationConfirm (4)", "requestSeqNum: 4660", "ip: 10.0.0.1",
			"h323-ID: alice", "gatekeeperIdentifier: GK", "endpointIdentifier: EP0001", "timeToLive: 300",
			"willRespondToIRR: False", "maintainConnection: False",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.msg.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			out := tsharkDecode(t, tshark, b)
			for _, bad := range []string{"Malformed", "Expert Info"} {
				if strings.Contains(out, bad) {
					t.Errorf("tshark reports %q:\n%s", bad, out)
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("tshark output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// tsharkDecode writes payload as a UDP datagram to port 1719 into a pcap file and returns
// tshark's verbose decoding.
func tsharkDecode(t *testing.T, tshark string, payload []byte) string {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IP{192, 168, 1, 20}, DstIP: net.IP{10, 0, 0, 1}}
	udp := &layers.UDP{SrcPort: 1719, DstPort: 1719}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, eth, ip, udp, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	frame := buf.Bytes()
	var pcap bytes.Buffer
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], uint32(layers.LinkTypeEthernet))
	pcap.Write(hdr)
	rec := make([]byte, 16)
	binary.LittleEndian.PutUint32(rec[8:], uint32(len(frame)))
	binary.LittleEndian.PutUint32(rec[12:], uint32(len(frame)))
	pcap.Write(rec)
	pcap.Write(frame)
	path := filepath.Join(t.TempDir(), "ras.pcap")
	if err := os.WriteFile(path, pcap.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tshark, "-r", path, "-V").CombinedOutput()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	return string(out)
}

var sampleConferenceID = ConferenceIdentifier{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00}

// sampleSetup is a call-signalling Setup to a registered softphone.
func sampleSetup() *H323UserInformation {
	return &H323UserInformation{H323UuPdu: H323UUPDU{
		H323MessageBody: H323UUPDUH323MessageBody{
			Choice: H323UUPDUH323MessageBodySetup,
			Setup: &SetupUUIE{
				ProtocolIdentifier:  h2250v7,
				SourceAddress:       []AliasAddress{{Choice: AliasAddressDialledDigits, DialledDigits: "2002"}},
				SourceInfo:          EndpointType{Gateway: &GatewayInfo{}},
				DestinationAddress:  []AliasAddress{{Choice: AliasAddressH323ID, H323ID: "alice"}},
				ConferenceID:        sampleConferenceID,
				ConferenceGoal:      SetupUUIEConferenceGoal{Choice: SetupUUIEConferenceGoalCreate},
				CallType:            CallType{Choice: CallTypePointToPoint},
				CallIdentifier:      &CallIdentifier{Guid: GloballyUniqueID(sampleConferenceID)},
				MediaWaitForConnect: ptr(false),
				CanOverlapSend:      ptr(false),
			},
		},
		H245Tunnelling: ptr(true),
	}}
}

// sampleReleaseComplete ends a call that was not answered.
func sampleReleaseComplete() *H323UserInformation {
	return &H323UserInformation{H323UuPdu: H323UUPDU{
		H323MessageBody: H323UUPDUH323MessageBody{
			Choice: H323UUPDUH323MessageBodyReleaseComplete,
			ReleaseComplete: &ReleaseCompleteUUIE{
				ProtocolIdentifier: h2250v7,
				Reason:             &ReleaseCompleteReason{Choice: ReleaseCompleteReasonCalledPartyNotRegistered},
				CallIdentifier:     &CallIdentifier{Guid: GloballyUniqueID(sampleConferenceID)},
			},
		},
	}}
}
