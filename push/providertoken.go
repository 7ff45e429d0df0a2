package push

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"
)

// APNs provider authentication tokens (Apple, "Establishing a token-based
// connection to APNs"): a JSON Web Token signed with ES256 (ECDSA P-256,
// SHA-256) whose header names the algorithm (alg "ES256") and the 10-character
// key identifier (kid), and whose claims name the 10-character team (iss) and
// the time it was issued (iat, seconds since 1970). It travels in every
// request as "authorization: bearer <JWT>". APNs refuses a token issued more
// than an hour ago (403 ExpiredProviderToken) and a provider that changes its
// token more often than every 20 minutes (429 TooManyProviderTokenUpdates), so
// a provider keeps one token for between 20 and 60 minutes.
//
// Signatures are deterministic (RFC 6979): the same key, identifiers and iat
// give the same token, so a simulated run that signs with a key drawn from its
// seed and its virtual clock stays reproducible.

// APNsProvider is a provider's token-signing key and its identifiers.
type APNsProvider struct {
	Key    *ecdsa.PrivateKey // P-256
	KeyID  string            // kid, 10 characters
	TeamID string            // iss, 10 characters
}

// Limits of provider tokens as APNs documents them.
const (
	// APNsTokenLifetime: a token issued longer ago than this is expired.
	APNsTokenLifetime = time.Hour
	// APNsTokenMinRefresh: a provider may not change its token more often.
	APNsTokenMinRefresh = 20 * time.Minute
	// APNsTokenRefresh is when the service signs a new token: within Apple's
	// 20-to-60-minute window, with room for a clock that runs a little fast.
	APNsTokenRefresh = 50 * time.Minute
	// maxProviderToken bounds the authorization value the emulator parses.
	maxProviderToken = 2048
)

// ErrProviderToken is wrapped by VerifyProviderToken's errors.
var ErrProviderToken = errors.New("push: invalid provider token")

// NewAPNsProviderKey derives a P-256 signing key from rnd (32 bytes at a
// time until one is a valid scalar), so that a simulation's key follows its
// seed; ecdsa.GenerateKey ignores the reader it is given.
func NewAPNsProviderKey(rnd io.Reader) (*ecdsa.PrivateKey, error) {
	var b [32]byte
	for range 64 {
		if _, err := io.ReadFull(rnd, b[:]); err != nil {
			return nil, err
		}
		if k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), b[:]); err == nil {
			return k, nil
		}
	}
	return nil, errors.New("push: no valid P-256 scalar in 64 draws")
}

type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

type jwtClaims struct {
	Iss string `json:"iss"`
	Iat *int64 `json:"iat"`
}

var b64 = base64.RawURLEncoding

// NewProviderToken signs the provider token of p issued at iat (truncated to
// the second).
func NewProviderToken(p APNsProvider, iat time.Time) (string, error) {
	if p.Key == nil || p.Key.Curve != elliptic.P256() {
		return "", errors.New("push: APNs provider key must be ECDSA P-256")
	}
	header, _ := json.Marshal(jwtHeader{Alg: "ES256", Kid: p.KeyID})
	sec := iat.Unix()
	claims, _ := json.Marshal(jwtClaims{Iss: p.TeamID, Iat: &sec})
	input := b64.EncodeToString(header) + "." + b64.EncodeToString(claims)
	digest := sha256.Sum256([]byte(input))
	der, err := p.Key.Sign(nil, digest[:], crypto.SHA256) // nil: deterministic (RFC 6979)
	if err != nil {
		return "", fmt.Errorf("push: signing the provider token: %w", err)
	}
	var sig struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &sig); err != nil {
		return "", fmt.Errorf("push: signing the provider token: %w", err)
	}
	// JWS carries the signature as R and S, 32 octets each (RFC 7518 3.4).
	raw := make([]byte, 64)
	sig.R.FillBytes(raw[:32])
	sig.S.FillBytes(raw[32:])
	return input + "." + b64.EncodeToString(raw), nil
}

// ProviderClaims is what a verified provider token says.
type ProviderClaims struct {
	KeyID, TeamID string
	IssuedAt      time.Time
}

// VerifyProviderToken checks token's form and ES256 signature against key
// and returns its claims; the caller checks them (identifiers, age).
func VerifyProviderToken(token string, key *ecdsa.PublicKey) (ProviderClaims, error) {
	fail := func(why string) (ProviderClaims, error) {
		return ProviderClaims{}, fmt.Errorf("%w: %s", ErrProviderToken, why)
	}
	if key == nil {
		return fail("no key to verify it with")
	}
	if len(token) > maxProviderToken {
		return fail("too long")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return fail("not three dot-separated parts")
	}
	var header jwtHeader
	var claims jwtClaims
	if err := decodePart(parts[0], &header); err != nil {
		return fail("header: " + err.Error())
	}
	if header.Alg != "ES256" {
		return fail("alg is not ES256")
	}
	if err := decodePart(parts[1], &claims); err != nil {
		return fail("claims: " + err.Error())
	}
	if claims.Iat == nil || claims.Iss == "" || header.Kid == "" {
		return fail("kid, iss or iat missing")
	}
	sig, err := b64.Strict().DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return fail("signature is not 64 octets of base64url")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(key, digest[:], r, s) {
		return fail("signature does not verify")
	}
	return ProviderClaims{KeyID: header.Kid, TeamID: claims.Iss, IssuedAt: time.Unix(*claims.Iat, 0)}, nil
}

func decodePart(s string, v any) error {
	b, err := b64.Strict().DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// providerTokens is the service's current APNs token and the time of the
// input it handles.
type providerTokens struct {
	now    time.Time
	jwt    string
	issued time.Time
}

// SetTime tells the service the time of the input it is about to handle: the
// APNs provider tokens it signs are issued then (iat). A core reads no clock,
// so drivers call it before each input; a service without APNsProvider does
// not need it.
func (s *Service) SetTime(now time.Time) { s.tokens.now = now }

// apnsAuthorization returns the authorization header value for APNs: the
// current token, signed anew when it is APNsTokenRefresh old.
func (s *Service) apnsAuthorization() (string, error) {
	p, t := s.cfg.APNsProvider, &s.tokens
	if t.now.IsZero() {
		return "", errors.New("push: no time for the APNs provider token (the driver must call SetTime)")
	}
	if t.jwt == "" || t.now.Sub(t.issued) >= APNsTokenRefresh || t.now.Before(t.issued) {
		jwt, err := NewProviderToken(*p, t.now)
		if err != nil {
			return "", err
		}
		t.jwt, t.issued = jwt, t.now
	}
	return "bearer " + t.jwt, nil
}
