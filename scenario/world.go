package scenario

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"strconv"
	"time"

	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/pbx"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/push/apns"
	"github.com/callwake/callwake/push/cloud"
	"github.com/callwake/callwake/push/fcm"
	"github.com/callwake/callwake/push/pki"
)

// A world is what a file describes, as nodes (package node) and what a
// driver does to them over time: every PBX, the push service, the APNs and
// FCM emulators and every device is a node with its own address; the
// file's network becomes link settings; calls and actions become commands
// at their times. The world is built the same way for every driver — the
// simulated one (world_sim.go) and the real one (world_real.go) — and
// holds no protocol logic: that is in the nodes.
//
// Model choices the world makes (docs/behaviours.md):
//   - A registration names the device among its user's by a further
//     h323-ID alias: the device's name (pbx's device directory).
//   - An app that has a key path at the start (its WebSocket session, or a
//     secure transport) holds its push key from before the run (B08): the
//     PBX's directory and the app's node both start with it, and the app
//     records app.key_received at 0s.
//   - The vendors issued each app's token before the run; it is derived
//     from the device's name.
//   - B20: a blocked vendor port on a Wi-Fi without cellular data is a
//     firewall on the device's side: its connection to the vendor never
//     comes up, so the vendor cannot deliver. A vendor_port or connection
//     action changes that block at the driver and tells the phone what the
//     network did to it (phone.VendorCut, phone.NetworkMoved).
//   - Actions that change a Push object or an app's network change what
//     earlier actions left; world_actions.go works those states out in time
//     order and hands the PBX the whole new Push object (pbx.SetPushObject).

// Actor names of the push path.
const (
	actorPush = "push"
	actorAPNs = "apns"
	actorFCM  = "fcm"
)

// grantedTTL is the registration time to live this PBX grants (B30).
const grantedTTL = 120 * time.Second

// Identities of the simulated vendor accounts. They exist only inside the
// simulation: nothing here is a real bundle, project or credential.
const (
	appBundle      = "test.callwake.softphone"
	fcmProject     = "callwake-sim"
	fcmAccessToken = "sim-access-token"
	apnsKeyID      = "SIMKEY0001" // kid and iss of the simulated APNs provider token
	apnsTeamID     = "SIMTEAM001"
)

// actor is one node of a world and where it lives.
type actor struct {
	name string
	ip   netip.Addr
	node node.Node
}

// timed is a command to an actor at a time, or (actor -1) a change of the
// network the driver makes.
type timed struct {
	at    time.Duration
	actor int
	cmd   any
}

// world is a file turned into nodes and timed commands.
type world struct {
	file   *File
	actors []actor
	index  map[string]int // actor index by name (lookups only)
	// users maps a user's name to its PBX's index and its definition.
	users map[string]userRef
	ips   map[string]netip.Addr // every actor's address, by name
	// links are the network's settings between two actors; blocked the
	// ports a device cannot reach (B20).
	links   []linkSetting
	blocked []outBlock
	timed   []timed // in file order: actions at 0s first, then calls and actions
}

type userRef struct {
	pbx  int
	user *User
}

// link is a path's profile as the file gives it.
type link struct {
	Latency, Jitter time.Duration
	Loss            float64
	Down            bool
}

type linkSetting struct {
	a, b int // actor indices
	link link
}

type outBlock struct {
	actor int
	port  uint16
}

// netChange is a timed change of the network: the default link (device
// "") or one device's link to its PBX.
type netChange struct {
	device string
	change *NetworkChange
}

// linkEnds are the two actors whose link a change applies to: a device
// and its PBX, or the two it names; ok is false for the whole network.
func (w *world) linkEnds(c netChange) (a, b netip.Addr, ok bool) {
	if len(c.change.Between) == 2 {
		return w.actors[w.index[c.change.Between[0]]].ip, w.actors[w.index[c.change.Between[1]]].ip, true
	}
	if c.device == "" {
		return a, b, false
	}
	d := w.file.Device(c.device)
	return w.actors[w.index[c.device]].ip, w.actors[w.index[w.file.PBXs[w.users[d.User].pbx].Name]].ip, true
}

// pushLatency is a timed change of the PBXs' links to the push service.
type pushLatency struct{ latency time.Duration }

// buildOptions are what a driver decides about the nodes.
type buildOptions struct {
	// addr gives each actor its address.
	addr func(name string, infrastructure bool) (netip.Addr, error)
	// random gives each actor its random source.
	random func(name string) io.Reader
	// wake gives each device its wake-latency draws.
	wake func(name string) phone.Rand
	tap  pushTap
	// webPort is where the push service, the vendors' provider APIs and the
	// PBXs' myApps sessions listen (443; a real run may move it above
	// 1024).
	webPort uint16
	// credential gives the certificate of an identity: in a simulated
	// world the identity alone; on real sockets a certificate issued by
	// the test PKI (server: for a listener named host).
	credential func(id node.Identity, server bool, host string) (*node.Credential, error)
	// roots gives the CA pool of a trust list (nil in a simulated world).
	roots func(issuers ...string) *x509.CertPool
	// noDTLS: the driver runs no DTLS.
	noDTLS bool
}

// modelledCredential is the credential of a simulated world: the identity.
func modelledCredential(id node.Identity, _ bool, _ string) (*node.Credential, error) {
	return &node.Credential{Identity: id}, nil
}

// trust is a trust list of issuers, with their pool when there is one.
func (o *buildOptions) trust(issuers ...string) *node.Security {
	sec := &node.Security{Trust: issuers}
	if o.roots != nil {
		sec.Roots = o.roots(issuers...)
	}
	return sec
}

// pushTap sees every byte the push service and the vendors handle, and
// what each app decrypted (hop tapApp): B07's test.
type pushTap func(hop string, data []byte)

const tapApp = "app" // the app's decrypted type and details

func buildWorld(f *File, o buildOptions) (*world, error) {
	w := &world{file: f, index: map[string]int{}, users: map[string]userRef{}}
	for _, name := range []string{actorPush, actorAPNs, actorFCM} {
		for i := range f.PBXs {
			if f.PBXs[i].Name == name {
				return nil, fmt.Errorf("%s: the name %q is taken by the push service actors", f.PBXs[i].Pos, name)
			}
		}
		if d := f.Device(name); d != nil {
			return nil, fmt.Errorf("%s: the name %q is taken by the push service actors", d.Pos, name)
		}
	}
	for i := range f.PBXs {
		for j := range f.PBXs[i].Users {
			u := &f.PBXs[i].Users[j]
			w.users[u.Name] = userRef{pbx: i, user: u}
		}
	}
	// Addresses in file order: PBXs, then the push path, then devices.
	ips := map[string]netip.Addr{}
	for i := range f.PBXs {
		ip, err := o.addr(f.PBXs[i].Name, true)
		if err != nil {
			return nil, err
		}
		ips[f.PBXs[i].Name] = ip
	}
	for _, name := range []string{actorPush, actorAPNs, actorFCM} {
		ip, err := o.addr(name, true)
		if err != nil {
			return nil, err
		}
		ips[name] = ip
	}
	for i := range f.Devices {
		ip, err := o.addr(f.Devices[i].Name, false)
		if err != nil {
			return nil, err
		}
		ips[f.Devices[i].Name] = ip
	}
	w.ips = ips
	keys := map[string]push.Key{}
	for i := range f.Devices {
		d := &f.Devices[i]
		k, err := push.NewKey(d.Name, o.random("key/"+d.Name))
		if err != nil {
			return nil, err
		}
		keys[d.Name] = k
	}
	for i := range f.PBXs {
		n, err := w.pbxNode(i, ips, keys, o)
		if err != nil {
			return nil, err
		}
		w.add(f.PBXs[i].Name, ips[f.PBXs[i].Name], n)
	}
	if err := w.pushNodes(ips, o); err != nil {
		return nil, err
	}
	for i := range f.Devices {
		n, err := w.deviceNode(i, ips, keys, o)
		if err != nil {
			return nil, err
		}
		w.add(f.Devices[i].Name, ips[f.Devices[i].Name], n)
	}
	w.network()
	if err := w.schedule(o); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *world) add(name string, ip netip.Addr, n node.Node) {
	w.index[name] = len(w.actors)
	w.actors = append(w.actors, actor{name: name, ip: ip, node: n})
}

func systemName(p *PBX) string {
	if p.SystemName != "" {
		return p.SystemName
	}
	return p.Name
}

// pushToken derives a device's vendor token from its name: an APNs token is
// 64 hex digits, an FCM token a longer string of token characters.
func pushToken(device string, os OS) string {
	sum := sha256.Sum256([]byte(device))
	h := hex.EncodeToString(sum[:])
	if os == OSIOS {
		return h
	}
	return "fcm:" + h[:48]
}

func platformOf(os OS) string {
	if os == OSIOS {
		return push.PlatformAPNs
	}
	return push.PlatformFCM
}

func (d *Device) secure() bool {
	return d.Transport == TransportH323TLS || d.Transport == TransportH323DTLS
}

// initialKeyPath says whether an app has a key path at the start (B08).
func (d *Device) initialKeyPath() bool {
	return d.Kind.IsApp() && d.App != AppLoggedOut && (d.WebsocketSession || d.secure())
}

func (w *world) pbxNode(index int, ips map[string]netip.Addr, keys map[string]push.Key, o buildOptions) (node.Node, error) {
	nc, err := w.pbxNodeConfig(index, ips, keys, o)
	if err != nil {
		return nil, err
	}
	return pbx.NewNode(nc)
}

// pbxNodeConfig is the PBX index of the file as a node's configuration
// (pbxNode; ServePBX changes where and how it listens).
func (w *world) pbxNodeConfig(index int, ips map[string]netip.Addr, keys map[string]push.Key, o buildOptions) (pbx.NodeConfig, error) {
	f := w.file
	spec := &f.PBXs[index]
	cfg := pbx.Config{
		Version:             spec.Version,
		Quirks:              spec.Quirks,
		SystemName:          systemName(spec),
		RegistrationTimeout: spec.RegistrationTimeout,
		NameLookup:          spec.NameLookup,
		NoAnswerTimeout:     spec.NoAnswerTimeout,
	}
	if spec.Push != nil {
		cfg.Push = &pbx.PushObject{Name: spec.Push.Name}
	}
	cfg.Users = make([]pbx.User, 0, len(spec.Users))
	for _, u := range spec.Users {
		pu := pbx.User{Name: u.Name, Display: u.Display, Number: u.Number, Password: u.Password, Push: u.Push,
			Presence: pbx.Presence(u.Presence), Forks: u.Forks}
		if u.CFNR != nil {
			pu.CFNR = &pbx.Forward{To: u.CFNR.To, After: u.CFNR.After}
		}
		if u.CFB != nil {
			pu.CFB = &pbx.Forward{To: u.CFB.To}
		}
		if u.CFU != nil {
			pu.CFU = &pbx.Forward{To: u.CFU.To}
		}
		cfg.Users = append(cfg.Users, pu)
	}
	cfg.Devices = make([]pbx.Device, 0, len(f.Devices))
	dir := make([]pbx.DeviceEntry, 0, len(f.Devices))
	for i := range f.Devices {
		d := &f.Devices[i]
		if w.users[d.User].pbx != index {
			continue
		}
		pd := pbx.Device{Name: d.Name, User: d.User, Display: d.Display, Kind: pbx.DeviceKind(d.Kind), Platform: pbx.Platform(d.OS)}
		pd.PushToken = d.Kind.IsApp() && d.App != AppLoggedOut &&
			!(d.Kind == KindMyPBX && d.OS == OSAndroid && d.Android.Push == "off")
		cfg.Devices = append(cfg.Devices, pd)
		e := pbx.DeviceEntry{Name: d.Name, Key: keys[d.Name], KeyHeld: d.initialKeyPath(), Secure: d.secure()}
		if d.Kind.IsApp() {
			e.Token, e.Platform = pushToken(d.Name, d.OS), platformOf(d.OS)
		}
		dir = append(dir, e)
	}
	ip := ips[spec.Name]
	nc := pbx.NodeConfig{Core: cfg, Name: spec.Name, IP: ip, TimeToLive: grantedTTL,
		Directory: dir, Random: o.random("pbx/" + spec.Name),
		Listen: pbx.Addrs{Session: netip.AddrPortFrom(ip, o.webPort)}, NoDTLS: o.noDTLS}
	// The PBX's secure listeners (TLS 1300, DTLS, the myApps session)
	// present its own server certificate; phones do not check it (model
	// choice: no behaviour row says what they trust).
	sess, err := o.credential(node.Identity{Subject: systemName(spec), Issuer: pki.DeviceCAName, Serial: "1"}, true, systemName(spec))
	if err != nil {
		return nc, err
	}
	nc.Security = &node.Security{Own: sess}
	if spec.Push != nil {
		if nc.Push, err = w.pushConfig(index, spec.Push, o); err != nil {
			return nc, err
		}
	}
	return nc, nil
}

// pushConfig is the Push object p of PBX index as the PBX node runs it:
// its client, where the service is, what it presents and trusts.
func (w *world) pushConfig(index int, p *Push, o buildOptions) (*pbx.PushConfig, error) {
	spec := &w.file.PBXs[index]
	ccfg := push.ClientConfig{
		PBX:               spec.Name,
		Name:              p.Name,
		URL:               p.URL,
		SystemName:        systemName(spec),
		Certificate:       pki.Role(p.Certificate),
		CertificateSerial: strconv.FormatInt(p.CertificateSerial, 10),
		DNSFails:          p.DNSFails,
		HTTPProxy:         p.HTTPProxy,
	}
	if spec.Version == pbx.V12r2 {
		ccfg.Auth, ccfg.Password = push.AuthPassword, p.Password
	}
	sec, err := w.pushObjectSecurity(spec, p, o)
	if err != nil {
		return nil, err
	}
	return &pbx.PushConfig{Client: ccfg, Service: netip.AddrPortFrom(w.ips[actorPush], o.webPort), Security: sec}, nil
}

// pushObjectSecurity is what a Push object presents (its device
// certificate, B02) and trusts (B03).
func (w *world) pushObjectSecurity(p *PBX, obj *Push, o buildOptions) (*node.Security, error) {
	sec := o.trust(pki.DeviceCAName)
	if obj.TrustsService {
		sec = o.trust(pki.ServiceCAName)
	}
	sec.ServerName = w.serviceHost()
	issuer := map[Certificate]string{CertificateDevice: pki.DeviceCAName,
		CertificateUnverifiedDevice: pki.UnverifiedDeviceCAName, CertificateOwn: pki.OwnCAName}[obj.Certificate]
	if issuer != "" {
		own, err := o.credential(node.Identity{Subject: systemName(p), Issuer: issuer,
			Serial: strconv.FormatInt(obj.CertificateSerial, 10)}, false, "")
		if err != nil {
			return nil, err
		}
		sec.Own = own
	}
	return sec, nil
}

// serviceHost is the push service's name in the PBXs' URLs.
func (w *world) serviceHost() string {
	for i := range w.file.PBXs {
		if p := w.file.PBXs[i].Push; p != nil {
			if u, err := url.Parse(p.URL); err == nil && u.Hostname() != "" {
				return u.Hostname()
			}
		}
	}
	return "push.test"
}

func (w *world) pushNodes(ips map[string]netip.Addr, o buildOptions) error {
	f := w.file
	cfg := push.ServiceConfig{
		Available:      f.PushService.Available,
		APNsBundle:     appBundle,
		FCMProject:     fcmProject,
		FCMAccessToken: fcmAccessToken,
	}
	for _, c := range f.PushService.Accepts {
		cfg.Accepts = append(cfg.Accepts, pki.Role(c))
	}
	if cfg.Accepts == nil {
		cfg.Accepts = []pki.Role{}
	}
	// 12r2 Push objects log in with the password of an e-mail verified
	// registration: the first PBX with a system name owns it (B06).
	for i := range f.PBXs {
		p := &f.PBXs[i]
		if p.Push == nil || p.Version != pbx.V12r2 {
			continue
		}
		name := systemName(p)
		known := false
		for _, r := range cfg.Registrations {
			known = known || r.SystemName == name
		}
		if !known {
			cfg.Registrations = append(cfg.Registrations, push.Registration{SystemName: name, Password: p.Push.Password})
		}
		if p.Quirks[pbx.QuirkUniqueSystemName] {
			cfg.UniqueSystemName = true
		}
	}
	// The service authenticates to APNs with a provider token; its key comes
	// from the world's random source (seeded in a simulated world) and the
	// signatures are deterministic, so the requests are the same bytes on
	// every simulated run (their headers reach no timeline).
	providerKey, err := push.NewAPNsProviderKey(o.random("apns-provider"))
	if err != nil {
		return err
	}
	cfg.APNsProvider = &push.APNsProvider{Key: providerKey, KeyID: apnsKeyID, TeamID: apnsTeamID}
	tap := cloud.Tap(o.tap)
	svcCred, err := o.credential(node.Identity{Subject: w.serviceHost(), Issuer: pki.ServiceCAName, Serial: "1"}, true, w.serviceHost())
	if err != nil {
		return err
	}
	svcSec := o.trust(pki.DeviceCAName, pki.UnverifiedDeviceCAName)
	svcSec.Own, svcSec.ClientAuth = svcCred, true
	// The vendors' certificates come from the test PKI's service CA, which
	// the service trusts.
	vendorSec := func(host string) (*node.Security, error) {
		c, err := o.credential(node.Identity{Subject: host, Issuer: pki.ServiceCAName, Serial: "2"}, true, host)
		return &node.Security{Own: c}, err
	}
	apnsSec, err := vendorSec(push.APNsAuthority)
	if err != nil {
		return err
	}
	fcmSec, err := vendorSec(push.FCMAuthority)
	if err != nil {
		return err
	}
	toVendor := o.trust(pki.ServiceCAName)
	svc, err := cloud.NewService(cloud.ServiceConfig{Core: cfg, IP: ips[actorPush], Port: o.webPort, Security: svcSec,
		APNs: netip.AddrPortFrom(ips[actorAPNs], o.webPort), FCM: netip.AddrPortFrom(ips[actorFCM], o.webPort),
		VendorSecurity: toVendor, Tap: tap}, o.random("push"))
	if err != nil {
		return err
	}
	w.add(actorPush, ips[actorPush], svc)
	a, err := apns.New(apns.Config{Topic: appBundle + push.APNsVoIPSuffix, Available: f.PushService.APNs.Available,
		ProviderKey: &providerKey.PublicKey, KeyID: apnsKeyID, TeamID: apnsTeamID})
	if err != nil {
		return err
	}
	g, err := fcm.New(fcm.Config{Project: fcmProject, AccessToken: fcmAccessToken, Available: f.PushService.FCM.Available})
	if err != nil {
		return err
	}
	// The phones at the vendors. The phone decides whether a push gets
	// through once it arrived (B21-B28), so the emulators deliver
	// everything a phone's connection can take.
	var iosDevices, androidDevices []cloud.Device
	for i := range f.Devices {
		d := &f.Devices[i]
		switch {
		case !d.Kind.IsApp():
		case d.OS == OSIOS:
			err = a.Register(apns.Device{Name: d.Name, Token: pushToken(d.Name, OSIOS)})
			iosDevices = append(iosDevices, cloud.Device{Name: d.Name, Token: pushToken(d.Name, OSIOS)})
		default:
			err = g.Register(fcm.Device{Name: d.Name, Token: pushToken(d.Name, OSAndroid)})
			androidDevices = append(androidDevices, cloud.Device{Name: d.Name, Token: pushToken(d.Name, OSAndroid)})
		}
		if err != nil {
			return err
		}
	}
	av, err := cloud.NewVendor(cloud.VendorConfig{Name: actorAPNs, Platform: push.PlatformAPNs, IP: ips[actorAPNs],
		APIPort: o.webPort, DevicePort: cloud.PortAPNsDevice, Security: apnsSec,
		Emulator: a, Devices: iosDevices, Latency: f.PushService.APNs.Latency, Tap: tap})
	if err != nil {
		return err
	}
	w.add(actorAPNs, ips[actorAPNs], av)
	fv, err := cloud.NewVendor(cloud.VendorConfig{Name: actorFCM, Platform: push.PlatformFCM, IP: ips[actorFCM],
		APIPort: o.webPort, DevicePort: cloud.PortFCMDevice, Security: fcmSec,
		Emulator: cloud.Clockless{Core: g}, Devices: androidDevices, Latency: f.PushService.FCM.Latency, Tap: tap})
	if err != nil {
		return err
	}
	w.add(actorFCM, ips[actorFCM], fv)
	return nil
}
