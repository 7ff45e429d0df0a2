package push

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Notification types, sent in clear (B07).
const (
	TypeCall         = "call"
	TypeNotification = "notification"
)

// Key is the payload key a phone receives from its PBX over its WebSocket
// session or secure H.323 (B08). AES-256-GCM.
type Key struct {
	ID     string
	Secret [32]byte
}

// NewKey draws a key's secret from rnd (the world's seeded random).
func NewKey(id string, rnd io.Reader) (Key, error) {
	k := Key{ID: id}
	if _, err := io.ReadFull(rnd, k.Secret[:]); err != nil {
		return Key{}, fmt.Errorf("push: key %s: %w", id, err)
	}
	return k, nil
}

// Details are the encrypted part of a push: for a call Number, Name and
// Callflow; for a notification Title and Content.
type Details struct {
	Number   string `json:"number,omitempty"`
	Name     string `json:"name,omitempty"`
	Callflow string `json:"callflow,omitempty"`
	Title    string `json:"title,omitempty"`
	Content  string `json:"content,omitempty"`
}

// Sealed is the encrypted details as they travel: key id, nonce and
// ciphertext (with the GCM tag), the last two base64 (standard, padded).
type Sealed struct {
	KeyID      string `json:"kid"`
	Nonce      string `json:"nonce"`
	Ciphertext string `json:"ct"`
}

// maxSealed bounds the ciphertext we accept; pushes are small (APNs VoIP
// payloads are at most 5120 bytes).
const maxSealed = 8 << 10

func (s *Sealed) validate() error {
	if s.KeyID == "" || s.Nonce == "" || s.Ciphertext == "" {
		return errors.New("push: sealed details need kid, nonce and ct")
	}
	if len(s.Ciphertext) > maxSealed {
		return errors.New("push: sealed details too long")
	}
	return nil
}

// additionalData binds the clear type and the key id to the ciphertext, so
// a relay cannot turn a sealed call into a "notification" unnoticed.
func additionalData(typ, keyID string) []byte {
	return []byte("callwake-push-v1:" + typ + ":" + keyID)
}

// Seal encrypts d under key with a 12-byte nonce read from rnd.
func Seal(key Key, typ string, d Details, rnd io.Reader) (*Sealed, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := io.ReadFull(rnd, nonce); err != nil {
		return nil, fmt.Errorf("push: nonce: %w", err)
	}
	plain, err := json.Marshal(&d)
	if err != nil {
		return nil, err
	}
	ct := aead.Seal(nil, nonce, plain, additionalData(typ, key.ID))
	return &Sealed{
		KeyID:      key.ID,
		Nonce:      base64.StdEncoding.EncodeToString(nonce),
		Ciphertext: base64.StdEncoding.EncodeToString(ct),
	}, nil
}

// Open decrypts sealed details of type typ with key: the phone side.
func Open(key Key, typ string, s *Sealed) (Details, error) {
	if s == nil {
		return Details{}, errors.New("push: nothing sealed")
	}
	if err := s.validate(); err != nil {
		return Details{}, err
	}
	if s.KeyID != key.ID {
		return Details{}, fmt.Errorf("push: sealed under key %q, have %q", s.KeyID, key.ID)
	}
	aead, err := newAEAD(key)
	if err != nil {
		return Details{}, err
	}
	nonce, err := base64.StdEncoding.DecodeString(s.Nonce)
	if err != nil || len(nonce) != aead.NonceSize() {
		return Details{}, errors.New("push: bad nonce")
	}
	ct, err := base64.StdEncoding.DecodeString(s.Ciphertext)
	if err != nil {
		return Details{}, errors.New("push: bad ciphertext encoding")
	}
	plain, err := aead.Open(nil, nonce, ct, additionalData(typ, key.ID))
	if err != nil {
		return Details{}, errors.New("push: details do not authenticate (wrong key or tampered)")
	}
	var d Details
	if err := json.Unmarshal(plain, &d); err != nil {
		return Details{}, fmt.Errorf("push: decrypted details: %w", err)
	}
	return d, nil
}

func newAEAD(key Key) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key.Secret[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// PhonePayload is what reaches the phone through APNs (the request body) or
// FCM (the message's data object): the clear type and, with a key, the
// sealed details as flat string fields. Both vendors' payloads decode with
// DecodePhonePayload.
type PhonePayload struct {
	Type       string `json:"type"`
	Call       string `json:"call,omitempty"` // the call's identifier (PushNotifyPost.Call)
	KeyID      string `json:"kid,omitempty"`
	Nonce      string `json:"nonce,omitempty"`
	Ciphertext string `json:"ct,omitempty"`
}

// Sealed returns the payload's sealed details, nil without any.
func (p *PhonePayload) Sealed() *Sealed {
	if p.KeyID == "" && p.Nonce == "" && p.Ciphertext == "" {
		return nil
	}
	return &Sealed{KeyID: p.KeyID, Nonce: p.Nonce, Ciphertext: p.Ciphertext}
}

// DecodePhonePayload parses the payload a vendor delivered to a phone.
func DecodePhonePayload(b []byte) (PhonePayload, error) {
	if len(b) > MaxMessageSize {
		return PhonePayload{}, errors.New("push: phone payload too long")
	}
	var p PhonePayload
	if err := json.Unmarshal(b, &p); err != nil {
		return PhonePayload{}, fmt.Errorf("push: phone payload: %w", err)
	}
	if p.Type == "" {
		return PhonePayload{}, errors.New("push: phone payload without type")
	}
	return p, nil
}

// OpenPhonePayload decodes a delivered payload and, when it carries sealed
// details and key is given, decrypts them. Without details (no key at the
// PBX, B08) it returns the type and empty details.
func OpenPhonePayload(b []byte, key *Key) (string, Details, error) {
	p, err := DecodePhonePayload(b)
	if err != nil {
		return "", Details{}, err
	}
	s := p.Sealed()
	if s == nil || key == nil {
		return p.Type, Details{}, nil
	}
	d, err := Open(*key, p.Type, s)
	return p.Type, d, err
}
