package push

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// Two more conversations of the push path travel as JSON messages, like the
// push protocol:
//
//   - the phone's connection to its vendor's push service (Apple's TCP
//     5223, Google's 5228, B20), on which the vendor delivers pushes. The
//     real services speak their own binary protocols there; callwake
//     models the connection as a WebSocket carrying DeviceMessages: the
//     phone says which token it holds (Hello), the vendor hands it pushes
//     (Push).
//   - the myApps app's WebSocket session with its PBX (B08): the app tells
//     the PBX its push token (PushRegister) and ends its session
//     (Logout); the PBX hands the app its push key (PushKey).

// DropVendorUnreachable is push.dropped's reason for a push the vendor
// could not hand to the phone: it holds no connection (B20).
const DropVendorUnreachable = "vendor_unreachable"

// Device message types.
const (
	MTHello = "Hello"
	MTPush  = "Push"
)

// DeviceMessage is one message on a phone's vendor connection.
type DeviceMessage struct {
	MT      string          `json:"mt"`
	Token   string          `json:"token,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"` // Push: the PhonePayload
}

// Session message types.
const (
	MTPushRegister = "PushRegister"
	MTPushKey      = "PushKey"
	MTLogout       = "Logout"
)

// SessionMessage is one message of an app's session with its PBX.
type SessionMessage struct {
	MT       string `json:"mt"`
	Device   string `json:"device,omitempty"`   // PushRegister: the app's device name at the PBX
	Token    string `json:"token,omitempty"`    // PushRegister
	Platform string `json:"platform,omitempty"` // PushRegister: apns or fcm
	KeyID    string `json:"kid,omitempty"`      // PushKey
	Secret   string `json:"secret,omitempty"`   // PushKey: base64 of the 32-octet key
}

// EncodeJSON renders a device or session message.
func EncodeJSON(m any) []byte {
	b, _ := json.Marshal(m) // structs of strings and raw JSON cannot fail
	return b
}

// DecodeDevice parses a vendor-connection message.
func DecodeDevice(b []byte) (DeviceMessage, error) {
	var m DeviceMessage
	if len(b) > MaxMessageSize {
		return m, errors.New("push: device message too long")
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("push: device message: %w", err)
	}
	return m, nil
}

// DecodeSession parses a session message.
func DecodeSession(b []byte) (SessionMessage, error) {
	var m SessionMessage
	if len(b) > MaxMessageSize {
		return m, errors.New("push: session message too long")
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("push: session message: %w", err)
	}
	return m, nil
}

// KeyMessage is the PushKey message that hands key to an app.
func KeyMessage(k Key) SessionMessage {
	return SessionMessage{MT: MTPushKey, KeyID: k.ID, Secret: base64.StdEncoding.EncodeToString(k.Secret[:])}
}

// Key returns the key a PushKey message carries.
func (m *SessionMessage) Key() (Key, error) {
	k := Key{ID: m.KeyID}
	b, err := base64.StdEncoding.DecodeString(m.Secret)
	if err != nil || len(b) != len(k.Secret) || k.ID == "" {
		return Key{}, errors.New("push: PushKey without a valid key")
	}
	copy(k.Secret[:], b)
	return k, nil
}
