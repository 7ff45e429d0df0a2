package decode

import (
	"reflect"
	"strings"

	"github.com/callwake/callwake/asn1per"
	"github.com/callwake/callwake/h323/h225"
)

// Token is what a message's H.235 token shows without giving anything away:
// its kind, the object identifiers that say how it was made, who it names
// and when. Hashes, passwords, keys, random values and certificates are
// never copied out of the message.
type Token struct {
	// Kind is the token's alternative: "clearToken", "cryptoEPPwdHash",
	// "cryptoHashedToken" (a nestedcryptoToken's), ...
	Kind string `json:"kind"`
	// TokenOID identifies the token's purpose (H.235.1's "all fields"
	// 0.0.8.235.0.2.1, a ClearToken's 0.0.8.235.0.2.5).
	TokenOID string `json:"tokenOID,omitempty"`
	// Algorithm is the hash or signature algorithm (HMAC-SHA1-96, MD5).
	Algorithm string `json:"algorithm,omitempty"`
	GeneralID string `json:"generalID,omitempty"`
	SendersID string `json:"sendersID,omitempty"`
	// Alias is the alias a cryptoEPPwdHash is computed for.
	Alias string `json:"alias,omitempty"`
	// Timestamp is the token's time stamp in seconds since 1970 (UTC).
	Timestamp *int64 `json:"timestamp,omitempty"`
}

// oidNames names the H.235 object identifiers seen in practice (CAT is the
// Cisco Access Token some open-source stacks offer).
var oidNames = map[string]string{
	"0.0.8.235.0.2.1":         "H.235.1 all fields",
	"0.0.8.235.0.2.5":         "H.235.1 ClearToken",
	"0.0.8.235.0.2.6":         "HMAC-SHA1-96",
	"1.2.840.113549.2.5":      "MD5",
	"1.2.840.113548.10.1.2.1": "CAT",
}

// OIDName renders an object identifier with its name when it has one:
// "0.0.8.235.0.2.6 (HMAC-SHA1-96)".
func OIDName(oid asn1per.ObjectIdentifier) string {
	s := oid.String()
	if name, ok := oidNames[s]; ok {
		return s + " (" + name + ")"
	}
	return s
}

// tokensOf returns the tokens and cryptoTokens of a RAS message or an
// H.225.0 body alternative. Every message type that carries them names its
// fields Tokens and CryptoTokens, so they are found by name rather than by a
// switch over some forty types.
func tokensOf(alternative any) []Token {
	v := reflect.ValueOf(alternative)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	v = v.Elem()
	var out []Token
	if f := v.FieldByName("Tokens"); f.IsValid() {
		if clear, ok := f.Interface().([]h225.ClearToken); ok {
			for i := range clear {
				out = append(out, clearToken("clearToken", &clear[i]))
			}
		}
	}
	if f := v.FieldByName("CryptoTokens"); f.IsValid() {
		if crypto, ok := f.Interface().([]h225.CryptoH323Token); ok {
			for i := range crypto {
				out = append(out, cryptoToken(&crypto[i]))
			}
		}
	}
	return out
}

func clearToken(kind string, c *h225.ClearToken) Token {
	t := Token{Kind: kind, TokenOID: OIDName(c.TokenOID)}
	if c.GeneralID != nil {
		t.GeneralID = string(*c.GeneralID)
	}
	if c.SendersID != nil {
		t.SendersID = string(*c.SendersID)
	}
	if c.TimeStamp != nil {
		ts := int64(*c.TimeStamp)
		t.Timestamp = &ts
	}
	return t
}

func cryptoToken(c *h225.CryptoH323Token) Token {
	switch {
	case c.Raw != nil:
		return Token{Kind: alternativeName(c.Choice, c.Raw)}
	case c.CryptoEPPwdHash != nil:
		h := c.CryptoEPPwdHash
		ts := int64(h.TimeStamp)
		return Token{Kind: "cryptoEPPwdHash", Algorithm: OIDName(h.Token.AlgorithmOID), Alias: Alias(&h.Alias), Timestamp: &ts}
	case c.CryptoGKPwdHash != nil:
		h := c.CryptoGKPwdHash
		ts := int64(h.TimeStamp)
		return Token{Kind: "cryptoGKPwdHash", Algorithm: OIDName(h.Token.AlgorithmOID), GeneralID: string(h.GatekeeperId), Timestamp: &ts}
	case c.NestedcryptoToken != nil:
		n := c.NestedcryptoToken
		if n.CryptoHashedToken != nil {
			h := n.CryptoHashedToken
			t := clearToken("cryptoHashedToken", &h.HashedVals)
			t.TokenOID = OIDName(h.TokenOID)
			t.Algorithm = OIDName(h.Token.AlgorithmOID)
			return t
		}
		return Token{Kind: alternativeName(n.Choice, n.Raw)}
	}
	return Token{Kind: c.Choice.String()}
}

// tokenText renders a token for the text output: kind, then what is known
// of it, never a secret.
func tokenText(t Token) string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	add("alg", shortOID(t.Algorithm))
	add("oid", shortOID(t.TokenOID))
	add("general", quoteUnprintable(t.GeneralID))
	add("sender", quoteUnprintable(t.SendersID))
	add("alias", quoteUnprintable(t.Alias))
	if t.Timestamp != nil {
		add("ts", formatInt(*t.Timestamp))
	}
	if len(parts) == 0 {
		return t.Kind
	}
	return t.Kind + "(" + strings.Join(parts, ",") + ")"
}

// shortOID keeps an OID's name when it has one, the number otherwise.
func shortOID(s string) string {
	if i := strings.Index(s, " ("); i >= 0 {
		return strings.TrimSuffix(s[i+2:], ")")
	}
	return s
}

// chosen returns the alternative a decoded CHOICE holds: the generated
// types keep it in the one non-nil pointer field besides Raw.
func chosen(choice any) any {
	v := reflect.ValueOf(choice)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return nil
	}
	v = v.Elem()
	t := v.Type()
	for i := range v.NumField() {
		if f := v.Field(i); t.Field(i).Name != "Raw" && f.Kind() == reflect.Pointer && !f.IsNil() {
			return f.Interface()
		}
	}
	return nil
}
