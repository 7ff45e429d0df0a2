package push

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// The push protocol is the vendor SDK's AppWebsocket protocol (JSON text
// messages, each with an "mt" message type and an optional "src" echoed in
// the answer) plus two push messages. Field order on the wire is the order of
// the struct fields below, so encodings are deterministic.

// Message types.
const (
	MTAppChallenge         = "AppChallenge"
	MTAppChallengeResult   = "AppChallengeResult"
	MTAppLogin             = "AppLogin"
	MTAppLoginResult       = "AppLoginResult"
	MTPushNotifyPost       = "PushNotifyPost"
	MTPushNotifyPostResult = "PushNotifyPostResult"
)

// MaxMessageSize bounds a push-protocol message; anything longer is refused
// before it is parsed, so a peer cannot make us allocate more than this.
const MaxMessageSize = 64 << 10

// Message is one push-protocol message: *AppChallenge, *AppChallengeResult,
// *AppLogin, *AppLoginResult, *PushNotifyPost or *PushNotifyPostResult.
type Message interface {
	// MessageType returns the "mt" value.
	MessageType() string
}

// AppChallenge asks the service for a login challenge.
type AppChallenge struct {
	MT  string `json:"mt"`
	Src string `json:"src,omitempty"`
}

// AppChallengeResult carries the challenge, a random string that goes into
// the login digest so that a recorded login cannot be replayed.
type AppChallengeResult struct {
	MT        string `json:"mt"`
	Src       string `json:"src,omitempty"`
	Challenge string `json:"challenge"`
}

// AppLogin proves knowledge of the password: Digest is LoginDigest over the
// other fields, the challenge and the password. Domain is the PBX system
// name (the account), SIP and DN the Push object's names.
type AppLogin struct {
	MT     string          `json:"mt"`
	Src    string          `json:"src,omitempty"`
	App    string          `json:"app"`
	Domain string          `json:"domain"`
	SIP    string          `json:"sip"`
	GUID   string          `json:"guid"`
	DN     string          `json:"dn"`
	Digest string          `json:"digest"`
	PbxObj string          `json:"pbxObj,omitempty"`
	Info   json.RawMessage `json:"info,omitempty"`
}

// AppLoginResult answers a login: OK, or Error with a reason (model choice:
// the reason is one of the LoginError* strings).
type AppLoginResult struct {
	MT    string `json:"mt"`
	Src   string `json:"src,omitempty"`
	OK    bool   `json:"ok,omitempty"`
	Error string `json:"error,omitempty"`
}

// Login error reasons a service answers (model choice).
const (
	LoginErrorDigest        = "digest"         // wrong password
	LoginErrorNotRegistered = "not_registered" // 12r2: system name has no registration
	LoginErrorNoChallenge   = "no_challenge"   // AppLogin before AppChallenge
	LoginErrorMalformed     = "malformed"      // required fields missing
)

// PushNotifyPost asks for one push to the device with Token. The SDK message
// has {mt, src, token}; the model adds Platform ("apns" or "fcm": which
// vendor the token belongs to), Type (the notification type in clear, B07)
// and Enc (the encrypted details, absent without a key, B08).
type PushNotifyPost struct {
	MT       string `json:"mt"`
	Src      string `json:"src,omitempty"`
	Token    string `json:"token"`
	Platform string `json:"platform,omitempty"`
	Type     string `json:"type,omitempty"`
	// Call names the call a push announces (the hex callIdentifier the
	// PBX's Setup will carry), in clear: it tells nothing of the caller and
	// lets the phone match the Setup to the push (model choice).
	Call string  `json:"call,omitempty"`
	Enc  *Sealed `json:"enc,omitempty"`
}

// PushNotifyPostResult answers a PushNotifyPost with the same Src; Err is
// present only on failure (the vendor's reason, or a service reason).
type PushNotifyPostResult struct {
	MT   string `json:"mt"`
	Src  string `json:"src,omitempty"`
	Err  string `json:"err,omitempty"`
	Info string `json:"info,omitempty"`
}

func (*AppChallenge) MessageType() string         { return MTAppChallenge }
func (*AppChallengeResult) MessageType() string   { return MTAppChallengeResult }
func (*AppLogin) MessageType() string             { return MTAppLogin }
func (*AppLoginResult) MessageType() string       { return MTAppLoginResult }
func (*PushNotifyPost) MessageType() string       { return MTPushNotifyPost }
func (*PushNotifyPostResult) MessageType() string { return MTPushNotifyPostResult }

// Encode renders m as compact JSON, setting its "mt" from its type.
func Encode(m Message) ([]byte, error) {
	switch v := m.(type) {
	case *AppChallenge:
		c := *v
		c.MT = MTAppChallenge
		return json.Marshal(&c)
	case *AppChallengeResult:
		c := *v
		c.MT = MTAppChallengeResult
		return json.Marshal(&c)
	case *AppLogin:
		c := *v
		c.MT = MTAppLogin
		if len(c.Info) > 0 && !json.Valid(c.Info) {
			return nil, errors.New("push: AppLogin info is not valid JSON")
		}
		return json.Marshal(&c)
	case *AppLoginResult:
		c := *v
		c.MT = MTAppLoginResult
		return json.Marshal(&c)
	case *PushNotifyPost:
		c := *v
		c.MT = MTPushNotifyPost
		return json.Marshal(&c)
	case *PushNotifyPostResult:
		c := *v
		c.MT = MTPushNotifyPostResult
		return json.Marshal(&c)
	case nil:
		return nil, errors.New("push: encode nil message")
	}
	return nil, fmt.Errorf("push: cannot encode %T", m)
}

// mustEncode is for messages the cores build themselves from valid fields;
// json.Marshal of these plain structs cannot fail.
func mustEncode(m Message) []byte {
	b, err := Encode(m)
	if err != nil {
		panic("push: encoding own message: " + err.Error())
	}
	return b
}

// Decode parses one push-protocol message. Unknown fields are ignored (real
// peers add "api" and others); a missing or unknown "mt", a wrong field type
// or a missing required field is an error.
func Decode(data []byte) (Message, error) {
	if len(data) > MaxMessageSize {
		return nil, fmt.Errorf("push: message of %d bytes exceeds %d", len(data), MaxMessageSize)
	}
	var head struct {
		MT *string `json:"mt"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("push: bad JSON: %w", err)
	}
	if head.MT == nil {
		return nil, errors.New(`push: message has no "mt"`)
	}
	var m Message
	switch *head.MT {
	case MTAppChallenge:
		m = &AppChallenge{}
	case MTAppChallengeResult:
		m = &AppChallengeResult{}
	case MTAppLogin:
		m = &AppLogin{}
	case MTAppLoginResult:
		m = &AppLoginResult{}
	case MTPushNotifyPost:
		m = &PushNotifyPost{}
	case MTPushNotifyPostResult:
		m = &PushNotifyPostResult{}
	default:
		return nil, fmt.Errorf("push: unknown message type %q", *head.MT)
	}
	if err := json.Unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("push: bad %s: %w", *head.MT, err)
	}
	switch v := m.(type) {
	case *AppChallengeResult:
		if v.Challenge == "" {
			return nil, errors.New("push: AppChallengeResult without challenge")
		}
	case *AppLogin:
		if v.Digest == "" {
			return nil, errors.New("push: AppLogin without digest")
		}
		if v.Info != nil && bytes.Equal(bytes.TrimSpace(v.Info), []byte("null")) {
			v.Info = nil
		}
	case *AppLoginResult:
		if !v.OK && v.Error == "" {
			return nil, errors.New("push: AppLoginResult neither ok nor error")
		}
	case *PushNotifyPost:
		if v.Token == "" {
			return nil, errors.New("push: PushNotifyPost without token")
		}
		if v.Enc != nil {
			if err := v.Enc.validate(); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// LoginDigest is the AppLogin digest of the SDK's AppWebsocket protocol: the
// lower-case hex SHA-256 of
//
//	app:domain:sip:guid:dn:info:challenge:password
//
// where info is the info object's JSON text as sent; without info that
// element and its colon are left out. Test vector (SDK): app "pbxadminapi",
// everything else empty, challenge "0123456789abcdef", password "pwd" gives
// a205299ed2ef2786c311e0be1b14db343f2cadd906a6ae7b564eee34bda5e9a1.
func LoginDigest(app, domain, sip, guid, dn string, info []byte, challenge, password string) string {
	h := sha256.New()
	for _, part := range []string{app, domain, sip, guid, dn} {
		h.Write([]byte(part))
		h.Write([]byte{':'})
	}
	if len(info) > 0 {
		h.Write(info)
		h.Write([]byte{':'})
	}
	h.Write([]byte(challenge))
	h.Write([]byte{':'})
	h.Write([]byte(password))
	return hex.EncodeToString(h.Sum(nil))
}

// digestOf computes the digest a login should carry.
func digestOf(l *AppLogin, challenge, password string) string {
	return LoginDigest(l.App, l.Domain, l.SIP, l.GUID, l.DN, l.Info, challenge, password)
}

// digestMatches compares the login's digest with the one expected, in
// constant time: the time a comparison takes must not tell an attacker how
// many leading characters of a guess were right.
func digestMatches(l *AppLogin, challenge, password string) bool {
	return subtle.ConstantTimeCompare([]byte(digestOf(l, challenge, password)), []byte(l.Digest)) == 1
}
