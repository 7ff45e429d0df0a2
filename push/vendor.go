package push

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// Vendor endpoints and limits (BEHAVIOURS.md, "Wire facts").
const (
	APNsAuthority      = "api.push.apple.com"
	FCMAuthority       = "fcm.googleapis.com"
	APNsMaxVoIPPayload = 5120
	APNsVoIPSuffix     = ".voip"
)

// phonePayloadOf is the flat payload the phone receives (see PhonePayload).
func phonePayloadOf(p *PushNotifyPost) PhonePayload {
	pp := PhonePayload{Type: p.Type, Call: p.Call}
	if pp.Type == "" {
		pp.Type = TypeCall
	}
	if p.Enc != nil {
		pp.KeyID, pp.Nonce, pp.Ciphertext = p.Enc.KeyID, p.Enc.Nonce, p.Enc.Ciphertext
	}
	return pp
}

// NewAPNsRequest builds the APNs provider API request for a VoIP push:
// POST /3/device/{token} with apns-push-type voip, apns-topic {bundle}.voip,
// apns-priority 10 (immediate), apns-expiration 0 (deliver now or never: a
// late call wake-up is useless) and apns-id; authorization (the provider
// token, "bearer <JWT>", see providertoken.go) when it is not "", as for a
// provider that authenticates with its TLS certificate instead.
func NewAPNsRequest(bundle, token, apnsID, authorization string, payload PhonePayload) HTTPRequest {
	body, _ := json.Marshal(&payload) // a struct of strings cannot fail
	header := []HeaderField{
		{"apns-push-type", "voip"},
		{"apns-topic", bundle + APNsVoIPSuffix},
		{"apns-priority", "10"},
		{"apns-expiration", "0"},
		{"apns-id", apnsID},
	}
	if authorization != "" {
		header = append(header, HeaderField{"authorization", authorization})
	}
	return HTTPRequest{
		Method:    "POST",
		Authority: APNsAuthority,
		Path:      "/3/device/" + token,
		Header:    header,
		Body:      body,
	}
}

// FCMMessage is the FCM HTTP v1 send request body.
type FCMMessage struct {
	Message struct {
		Token   string        `json:"token"`
		Data    *PhonePayload `json:"data,omitempty"`
		Android *struct {
			Priority string `json:"priority,omitempty"`
		} `json:"android,omitempty"`
	} `json:"message"`
}

// NewFCMRequest builds the FCM HTTP v1 request: POST
// /v1/projects/{project}/messages:send with a high-priority data message.
func NewFCMRequest(project, accessToken, token string, payload PhonePayload) HTTPRequest {
	var m FCMMessage
	m.Message.Token = token
	m.Message.Data = &payload
	m.Message.Android = &struct {
		Priority string `json:"priority,omitempty"`
	}{Priority: "high"}
	body, _ := json.Marshal(&m)
	return HTTPRequest{
		Method:    "POST",
		Authority: FCMAuthority,
		Path:      "/v1/projects/" + project + "/messages:send",
		Header: []HeaderField{
			{"authorization", "Bearer " + accessToken},
			{"content-type", "application/json; charset=UTF-8"},
		},
		Body: body,
	}
}

// newUUID draws a version-4 UUID from rnd (apns-id).
func newUUID(rnd io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32], nil
}

// VendorError maps a vendor response to the PushNotifyPostResult err: ""
// for success, the APNs reason or the FCM error code otherwise, and
// "http_<status>" when the body says nothing we understand.
func VendorError(platform string, resp HTTPResponse) string {
	if resp.Status == 200 {
		return ""
	}
	fallback := "http_" + strconv.Itoa(resp.Status)
	switch platform {
	case PlatformAPNs:
		var e struct {
			Reason string `json:"reason"`
		}
		if json.Unmarshal(resp.Body, &e) == nil && e.Reason != "" {
			return e.Reason
		}
	case PlatformFCM:
		var e struct {
			Error struct {
				Status  string `json:"status"`
				Details []struct {
					ErrorCode string `json:"errorCode"`
				} `json:"details"`
			} `json:"error"`
		}
		if json.Unmarshal(resp.Body, &e) == nil {
			for _, d := range e.Error.Details {
				if d.ErrorCode != "" {
					return d.ErrorCode
				}
			}
			if e.Error.Status != "" {
				return e.Error.Status
			}
		}
	}
	return fallback
}

// buildVendorRequest turns a PushNotifyPost into the vendor request.
func (s *Service) buildVendorRequest(p *PushNotifyPost) (HTTPRequest, error) {
	payload := phonePayloadOf(p)
	switch p.Platform {
	case PlatformAPNs:
		id, err := newUUID(s.rnd)
		if err != nil {
			return HTTPRequest{}, fmt.Errorf("apns-id: %w", err)
		}
		auth := ""
		if s.cfg.APNsProvider != nil {
			if auth, err = s.apnsAuthorization(); err != nil {
				return HTTPRequest{}, err
			}
		}
		return NewAPNsRequest(s.cfg.APNsBundle, p.Token, id, auth, payload), nil
	case PlatformFCM:
		return NewFCMRequest(s.cfg.FCMProject, s.cfg.FCMAccessToken, p.Token, payload), nil
	}
	return HTTPRequest{}, fmt.Errorf("unknown platform %q", p.Platform)
}
