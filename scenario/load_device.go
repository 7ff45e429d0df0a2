package scenario

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"

	"github.com/callwake/callwake/phone"
)

var deviceKeys = []string{"name", "user", "kind", "os", "transport", "app", "default_softphone",
	"websocket_session", "wake", "suspend_after", "connection", "ttl", "password", "answer", "ios", "android",
	"gatekeeper_id", "clock_skew", "h235", "h245", "display"}

// appOnlyKeys are the device keys that make sense only for a mobile app.
var appOnlyKeys = []string{"os", "app", "default_softphone", "websocket_session", "wake", "suspend_after", "connection", "ios", "android"}

var (
	kindWords       = []string{string(KindMyApps), string(KindMyPBX), string(KindDeskphone)}
	osWords         = []string{string(OSIOS), string(OSAndroid)}
	transportWords  = []string{string(TransportH323), string(TransportH323TCP), string(TransportH323TLS), string(TransportH323DTLS)}
	appWords        = []string{string(AppForeground), string(AppBackground), string(AppClosed), string(AppLoggedOut)}
	connectionWords = []string{string(ConnectionWiFi), string(ConnectionMobileData)}
)

// device reads one device. Kind-specific defaults: apps start in the
// background, are the default softphone, wake after 1.5s (iOS) or 2s
// (Android); myapps keeps a WebSocket session, mypbx does not. Desk phones
// take none of the app keys.
func (l *loader) device(n ast.Node, reg *registry) (Device, bool) {
	m, ok := l.readMapping(n, "a device", deviceKeys)
	if !ok {
		return Device{}, false
	}
	d := Device{
		Pos:       m.pos,
		Transport: TransportH323,
		TTL:       DefaultTTL,
		Answer:    Answer{Mode: AnswerNever},
		H235:      H235HMAC,
		H245:      H245Tunnel,
		IOS:       IOSSettings{NotificationsAllowed: true, VendorPortOpen: true},
		Android: AndroidSettings{Push: "auto", StartAutomatically: true, NotificationsAllowed: true,
			CallingAccount: true, BackgroundData: true, Overlay: true, VendorPortOpen: true},
	}
	complete := l.require(m, "name", "user", "kind")
	if f, ok := m.get("name"); ok {
		if v, ok := l.name(f); ok {
			d.Name = v
			reg.define(l, "device", reg.devices, v, l.valuePos(f, f.value))
		}
	}
	if f, ok := m.get("user"); ok {
		if v, ok := l.name(f); ok {
			d.User = v
			reg.refer("user", v, l.valuePos(f, f.value))
		}
	}
	if f, ok := m.get("kind"); ok {
		if v, ok := l.enum(f, kindWords...); ok {
			d.Kind = DeviceKind(v)
			reg.deviceKinds[d.Name] = d.Kind
		}
	}
	// Keys common to every kind are checked even when the kind is missing
	// or wrong, so that one pass reports them too.
	l.optDuration(m, "ttl", &d.TTL)
	if f, ok := m.get("transport"); ok {
		if v, ok := l.enum(f, transportWords...); ok {
			d.Transport = Transport(v)
		}
	}
	if f, ok := m.get("password"); ok {
		if v, ok := l.text(f); ok {
			d.Password, d.passwordSet = v, true
		}
	}
	if f, ok := m.get("answer"); ok {
		d.Answer, _ = l.answer(f)
	}
	if f, ok := m.get("gatekeeper_id"); ok {
		if v, ok := l.text(f); ok {
			// H.225.0 GatekeeperIdentifier: BMPString (SIZE(1..128)).
			if n := utf8.RuneCountInString(v); n == 0 || n > 128 || strings.ContainsFunc(v, func(r rune) bool { return r > 0xFFFF }) {
				l.errorf(l.valuePos(f, f.value), "gatekeeper_id must be 1 to 128 characters of the Basic Multilingual Plane (H.225.0 GatekeeperIdentifier); drop the key to ask for any gatekeeper")
			} else {
				d.GatekeeperID = v
			}
		}
	}
	l.optDuration(m, "clock_skew", &d.ClockSkew)
	l.optText(m, "display", &d.Display)
	if f, ok := m.get("h245"); ok {
		if v, ok := l.enum(f, string(H245Tunnel), string(H245Separate), string(H245Off)); ok {
			d.H245 = H245Mode(v)
		}
	}
	if f, ok := m.get("h235"); ok {
		if v, ok := l.enum(f, string(H235HMAC), string(H235MD5)); ok {
			d.H235 = H235Method(v)
		}
	}
	if !complete || d.Kind == "" {
		return Device{}, false
	}
	if !d.Kind.IsApp() {
		for _, key := range appOnlyKeys {
			if f, ok := m.get(key); ok {
				l.errorf(f.pos, "%q does not apply to a %s (only to myapps and mypbx)", key, d.Kind)
			}
		}
		return d, true
	}

	d.App, d.DefaultSoftphone, d.WebsocketSession = AppBackground, true, d.Kind == KindMyApps
	if !l.require(m, "os") {
		return d, true
	}
	f, _ := m.get("os")
	osName, ok := l.enum(f, osWords...)
	if !ok {
		return d, true
	}
	d.OS = OS(osName)
	wake := DefaultIOSWake
	if d.OS == OSAndroid {
		wake = DefaultAndroidWake
	}
	d.Wake = Wake{Min: wake, Max: wake}
	d.Suspend = phone.DefaultSuspend(phone.Kind(d.Kind), phone.OS(d.OS))
	d.Connection = ConnectionWiFi
	if f, ok := m.get("suspend_after"); ok {
		if d.Kind == KindMyPBX && d.OS == OSAndroid {
			l.errorf(f.pos, `"suspend_after" does not apply to mypbx on android: in push mode on or active it ends itself after 10s idle, in auto and off it keeps its registration (B24)`)
		} else if v, ok := l.suspendAfter(f); ok {
			d.Suspend = v
		}
	}
	if f, ok := m.get("connection"); ok {
		if v, ok := l.enum(f, connectionWords...); ok {
			d.Connection = Connection(v)
		}
	}
	if f, ok := m.get("app"); ok {
		if v, ok := l.enum(f, appWords...); ok {
			d.App = AppState(v)
		}
	}
	l.optBool(m, "default_softphone", &d.DefaultSoftphone)
	l.optBool(m, "websocket_session", &d.WebsocketSession)
	if f, ok := m.get("wake"); ok {
		if w, ok := l.wake(f); ok {
			d.Wake = w
		}
	}
	other := map[OS]string{OSIOS: "android", OSAndroid: "ios"}[d.OS]
	if f, ok := m.get(other); ok {
		l.errorf(f.pos, "%q does not apply to an %s device", other, d.OS)
	}
	if f, ok := m.get("ios"); ok && d.OS == OSIOS {
		if im, ok := l.readMapping(f.value, "ios", []string{"notifications", "vendor_port"}); ok {
			l.optChoice(im, "notifications", "allowed", "denied", &d.IOS.NotificationsAllowed)
			l.optChoice(im, "vendor_port", "open", "blocked", &d.IOS.VendorPortOpen)
		}
	}
	if f, ok := m.get("android"); ok && d.OS == OSAndroid {
		am, ok := l.readMapping(f.value, "android", []string{"push", "start_automatically", "notifications",
			"calling_account", "background_data", "overlay", "hms_stale", "vendor_port"})
		if ok {
			if pf, ok := am.get("push"); ok {
				if v, ok := l.enum(pf, "auto", "on", "off", "active"); ok {
					d.Android.Push = v
				}
			}
			l.optChoice(am, "start_automatically", "always", "never", &d.Android.StartAutomatically)
			l.optChoice(am, "notifications", "allowed", "denied", &d.Android.NotificationsAllowed)
			l.optBool(am, "calling_account", &d.Android.CallingAccount)
			l.optBool(am, "background_data", &d.Android.BackgroundData)
			l.optBool(am, "overlay", &d.Android.Overlay)
			l.optBool(am, "hms_stale", &d.Android.HMSStale)
			l.optChoice(am, "vendor_port", "open", "blocked", &d.Android.VendorPortOpen)
		}
	}
	return d, true
}

// suspendAfter reads `suspend_after: D` (positive) or `never` (0).
func (l *loader) suspendAfter(f field) (time.Duration, bool) {
	if n, ok := l.unwrap(f.value); ok {
		s, _ := scalarText(n)
		if s == "never" {
			return 0, true
		}
		if _, err := time.ParseDuration(s); err != nil && s != "" {
			l.errorf(l.valuePos(f, n), "expected a duration like 30s or never for suspend_after, got %q%s", s, didYouMean(s, []string{"never"}))
			return 0, false
		}
	}
	d, ok := l.duration(f)
	if ok && d == 0 {
		l.errorf(l.valuePos(f, f.value), "suspend_after must be positive (the app would be suspended as it registers); write never to keep it awake")
		return 0, false
	}
	return d, ok
}

// wake reads `wake: D` or `wake: {min: D, max: D}`.
func (l *loader) wake(f field) (Wake, bool) {
	n, ok := l.unwrap(f.value)
	if !ok {
		return Wake{}, false
	}
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		m, ok := l.readMapping(n, "wake", []string{"min", "max"})
		if !ok || !l.require(m, "min", "max") {
			return Wake{}, false
		}
		minField, _ := m.get("min")
		maxField, _ := m.get("max")
		lo, okMin := l.duration(minField)
		hi, okMax := l.duration(maxField)
		if !okMin || !okMax {
			return Wake{}, false
		}
		if hi < lo {
			l.errorf(maxField.pos, "wake max %s is less than min %s", hi, lo)
			return Wake{}, false
		}
		return Wake{Min: lo, Max: hi}, true
	}
	if _, isScalar := scalarText(n); !isScalar {
		l.errorf(l.valuePos(f, n), "expected a duration like 1.5s or {min: 1s, max: 3s} for wake, got %s", describe(n))
		return Wake{}, false
	}
	d, ok := l.duration(f)
	return Wake{Min: d, Max: d}, ok
}

// answer reads `{after: D}`, `never` or `{reject: busy}`.
func (l *loader) answer(f field) (Answer, bool) {
	n, ok := l.unwrap(f.value)
	if !ok {
		return Answer{}, false
	}
	if s, isScalar := scalarText(n); isScalar {
		if s == "never" {
			return Answer{Mode: AnswerNever}, true
		}
		l.errorf(l.valuePos(f, n), "expected {after: D}, never or {reject: busy|declined} for answer, got %q%s", s, didYouMean(s, []string{"never"}))
		return Answer{}, false
	}
	m, ok := l.readMapping(n, "answer", []string{"after", "reject"})
	if !ok {
		return Answer{}, false
	}
	after, hasAfter := m.get("after")
	reject, hasReject := m.get("reject")
	switch {
	case hasAfter && hasReject:
		l.errorf(reject.pos, "answer takes either after or reject, not both")
	case hasAfter:
		if d, ok := l.duration(after); ok {
			return Answer{Mode: AnswerAfter, After: d}, true
		}
	case hasReject:
		if v, ok := l.enum(reject, "busy", "declined"); ok {
			return Answer{Mode: AnswerReject, Reject: v}, true
		}
	default:
		l.errorf(l.valuePos(f, n), "expected {after: D}, never or {reject: busy|declined} for answer, got %s", describe(n))
	}
	return Answer{}, false
}
