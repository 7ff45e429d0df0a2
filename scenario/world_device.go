package scenario

import (
	"net/netip"
	"strings"

	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/pbx"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/push/cloud"
	"github.com/callwake/callwake/push/pki"
)

func (w *world) deviceNode(index int, ips map[string]netip.Addr, keys map[string]push.Key, o buildOptions) (node.Node, error) {
	spec := &w.file.Devices[index]
	ref := w.users[spec.User]
	p := &w.file.PBXs[ref.pbx]
	pbxIP := ips[p.Name]
	quirks, err := pbx.Resolve(p.Version, p.Quirks)
	if err != nil {
		return nil, err
	}
	display := spec.Display
	if display == "" {
		display = ref.user.Display
	}
	cfg := phone.NodeConfig{
		Core:  phoneConfig(spec, ref.user, quirks[pbx.QuirkDNDClosedStopsWake]),
		Alias: ref.user.Name, Number: ref.user.Number, DeviceAlias: spec.Name, Display: display,
		Password: spec.Password, Authentication: rasAuthMethod(spec.H235),
		GatekeeperID: spec.GatekeeperID, ClockSkew: spec.ClockSkew, Discover: true,
		IP: ips[spec.Name], RASPort: pbx.PortRAS, SignalPort: pbx.PortSignalling,
		Gatekeeper: netip.AddrPortFrom(pbxIP, pbx.PortRAS), PBXSignal: netip.AddrPortFrom(pbxIP, pbx.PortSignalling),
		PBX:               p.Name,
		SetupTimeout:      phone.DefaultSetupTimeout,
		ProceedingTimeout: phone.DefaultProceedingTimeout,
		// A lost registration comes back (a PBX restart, a keep-alive that
		// timed out), as a real phone's does: model choice, docs/behaviours.md.
		Reregister: DefaultReregister, ReregisterBackoff: true,
		Random: o.random("device/" + spec.Name),
		Wake:   o.wake(spec.Name),
	}
	switch spec.H245 {
	case H245Separate:
		cfg.H245 = phone.H245Separate
	case H245Off:
		cfg.H245 = phone.H245Off
	}
	switch spec.Transport {
	case TransportH323TCP:
		cfg.Transport = phone.H460TCP
	case TransportH323TLS:
		cfg.Transport = phone.H460TLS
	case TransportH323DTLS:
		cfg.Transport = phone.DTLS
		cfg.Gatekeeper = netip.AddrPortFrom(pbxIP, pbx.PortSecure)
	}
	if spec.secure() {
		cfg.SignalPort = pbx.PortSecure
		cfg.PBXSignal = netip.AddrPortFrom(pbxIP, pbx.PortSecure)
		own, err := o.credential(node.Identity{Subject: spec.Name, Issuer: pki.DeviceCAName, Serial: "1"}, true, spec.Name)
		if err != nil {
			return nil, err
		}
		cfg.Security = &node.Security{Own: own}
	}
	if spec.Kind.IsApp() {
		cfg.Platform, cfg.Token = platformOf(spec.OS), pushToken(spec.Name, spec.OS)
		cfg.Vendor = netip.AddrPortFrom(ips[actorFCM], cloud.PortFCMDevice)
		if spec.OS == OSIOS {
			cfg.Vendor = netip.AddrPortFrom(ips[actorAPNs], cloud.PortAPNsDevice)
		}
		cfg.Session = netip.AddrPortFrom(pbxIP, o.webPort)
		if spec.initialKeyPath() {
			k := keys[spec.Name]
			cfg.Key = &k
		}
		if o.tap != nil {
			tap := o.tap
			cfg.Decrypted = func(typ string, d push.Details) {
				tap(tapApp, []byte(strings.Join([]string{typ, d.Number, d.Name, d.Callflow, d.Title, d.Content}, "\n")))
			}
		}
	}
	return phone.NewNode(cfg)
}

// phoneConfig maps the scenario's device onto the phone core's settings
// (phone's "For the world builder"). The network it sits on is the
// driver's: a blocked vendor port is a knob of the world (B20).
func phoneConfig(s *Device, u *User, dndClosedStopsWake bool) phone.Config {
	cfg := phone.Defaults(s.Name, phone.Kind(s.Kind), phone.OS(s.OS))
	if s.Kind.IsApp() {
		cfg.App = phone.AppState(s.App)
	}
	cfg.DefaultSoftphone = s.DefaultSoftphone
	cfg.WebSocketSession = s.WebsocketSession
	cfg.SecureSignalling = s.secure()
	cfg.Wake = phone.Latency{Min: s.Wake.Min, Max: s.Wake.Max}
	cfg.Suspend = s.Suspend
	cfg.TTL = s.TTL
	switch s.Answer.Mode {
	case AnswerAfter:
		cfg.Answer = phone.Answer{Mode: phone.AnswerAfter, After: s.Answer.After}
	case AnswerReject:
		cfg.Answer = phone.Answer{Mode: phone.AnswerRejectBusy}
		if s.Answer.Reject == "declined" {
			cfg.Answer = phone.Answer{Mode: phone.AnswerDecline}
		}
	default:
		cfg.Answer = phone.Answer{Mode: phone.AnswerNever}
	}
	cfg.IOS.NotificationsAllowed = s.IOS.NotificationsAllowed
	if s.Android.Push != "" {
		cfg.Android.Push = phone.PushMode(s.Android.Push)
	}
	cfg.Android.StartAutomatically = phone.StartNever
	if s.Android.StartAutomatically {
		cfg.Android.StartAutomatically = phone.StartAlways
	}
	cfg.Android.Notifications = s.Android.NotificationsAllowed
	cfg.Android.CallingAccount = s.Android.CallingAccount
	cfg.Android.BackgroundData = s.Android.BackgroundData
	cfg.Android.Overlay = s.Android.Overlay
	cfg.Android.HMSStale = s.Android.HMSStale
	cfg.Presence = phone.Available
	if u.Presence == PresenceDND {
		cfg.Presence = phone.DND
	}
	cfg.DNDClosedStopsWake = dndClosedStopsWake
	return cfg
}

// vendorPort is the port an app reaches its vendor's push service on (B20):
// Apple's 5223, or FCM's.
func vendorPort(d *Device) (uint16, bool) {
	switch {
	case !d.Kind.IsApp():
		return 0, false
	case d.OS == OSIOS:
		return cloud.PortAPNsDevice, true
	}
	return cloud.PortFCMDevice, true
}

// vendorBlocked: B20 — the format's vendor_port: blocked is a Wi-Fi whose
// firewall blocks the vendor's port; on mobile data nothing blocks it.
func vendorBlocked(d *Device) (uint16, bool) {
	port, ok := vendorPort(d)
	return port, ok && netOf(d).blocked()
}

// rasAuthMethod maps the device's h235 key onto the phone's token method.
func rasAuthMethod(m H235Method) phone.AuthMethod {
	if m == H235MD5 {
		return phone.AuthMD5
	}
	return phone.AuthHMACSHA1
}

// network turns the file's network into link settings and blocked ports.
func (w *world) network() {
	f := w.file
	pushIdx := w.index[actorPush]
	for i := range f.PBXs {
		p := &f.PBXs[i]
		// The PBX's link to the push service carries push_service.latency;
		// it is down when the Push object cannot reach the service (B04).
		w.links = append(w.links, linkSetting{a: w.index[p.Name], b: pushIdx,
			link: link{Latency: f.PushService.Latency, Down: p.Push != nil && !p.Push.Reachable}})
	}
	// The hop from the service to the vendors takes no time (its share is
	// on the PBX's link); the vendors reach the phones after their latency.
	w.links = append(w.links, linkSetting{a: pushIdx, b: w.index[actorAPNs]}, linkSetting{a: pushIdx, b: w.index[actorFCM]})
	for i := range f.Devices {
		d := &f.Devices[i]
		if !d.Kind.IsApp() {
			continue
		}
		vendor, latency := actorFCM, f.PushService.FCM.Latency
		if d.OS == OSIOS {
			vendor, latency = actorAPNs, f.PushService.APNs.Latency
		}
		w.links = append(w.links, linkSetting{a: w.index[d.Name], b: w.index[vendor], link: link{Latency: latency}})
		if port, blocked := vendorBlocked(d); blocked {
			w.blocked = append(w.blocked, outBlock{actor: w.index[d.Name], port: port})
		}
	}
	for _, l := range f.Network.Links {
		d := f.Device(l.Device)
		p := w.users[d.User].pbx
		w.links = append(w.links, linkSetting{a: w.index[l.Device], b: w.index[f.PBXs[p].Name],
			link: link{Latency: l.Latency, Jitter: l.Jitter, Loss: l.Loss}})
	}
}
