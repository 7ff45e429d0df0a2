package scenario

import (
	"crypto/rand"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/pbx"
	"github.com/callwake/callwake/phone"
)

// ServeOptions say where and how a served PBX listens (pbxsim serve).
type ServeOptions struct {
	// IP is the PBX's address (what it dials calls from); Listen its
	// listeners (invalid ones: IP and the well-known ports).
	IP     netip.Addr
	Listen pbx.Addrs
	// Security is what the secure listeners (TLS 1300, DTLS RAS, the
	// myApps session) present and which phone certificates they verify.
	Security *node.Security
	// TimeToLive is what the gatekeeper grants; 0 = the simulator's 120 s.
	TimeToLive time.Duration
	// Push, when set, connects the file's Push object to a real push
	// service; without it the Push object stays disconnected.
	Push *ServePush
}

// ServePush is where a served PBX's Push object finds the push service and
// what it presents (its device certificate, B02) and trusts (B03).
type ServePush struct {
	Service  netip.AddrPort
	Security *node.Security
}

// ServePBX builds the PBX node of a file's pbx: section named name ("" =
// the only one) for real equipment on the real driver: its users, numbers,
// passwords, forwards, forks, presence, version and quirks as the
// simulator builds them. A user without a device in the file gets a desk
// phone named after it, so that a phone registering with the user's
// aliases has a device to be. The Push object stays disconnected: the push
// path does not run here.
func ServePBX(f *File, name string, o ServeOptions) (*pbx.Node, error) {
	index := -1
	for i := range f.PBXs {
		if f.PBXs[i].Name == name || (name == "" && len(f.PBXs) == 1) {
			index = i
		}
	}
	if index < 0 {
		if name == "" {
			return nil, fmt.Errorf("%s: the file has %d PBXs: name the one to serve", f.Pos, len(f.PBXs))
		}
		return nil, fmt.Errorf("%s: no PBX named %q", f.Pos, name)
	}
	w := &world{file: f, index: map[string]int{}, users: map[string]userRef{}}
	for i := range f.PBXs {
		for j := range f.PBXs[i].Users {
			u := &f.PBXs[i].Users[j]
			w.users[u.Name] = userRef{pbx: i, user: u}
		}
	}
	w.ips = map[string]netip.Addr{f.PBXs[index].Name: o.IP}
	bo := buildOptions{
		random:     func(string) io.Reader { return rand.Reader },
		wake:       func(string) phone.Rand { return nil },
		credential: modelledCredential,
	}
	nc, err := w.pbxNodeConfig(index, w.ips, nil, bo)
	if err != nil {
		return nil, err
	}
	has := map[string]bool{}
	for _, d := range nc.Core.Devices {
		has[d.User] = true
	}
	for _, u := range nc.Core.Users {
		if !has[u.Name] {
			nc.Core.Devices = append(nc.Core.Devices, pbx.Device{Name: u.Name, User: u.Name, Kind: pbx.KindDeskphone})
		}
	}
	push := nc.Push
	nc.IP, nc.Listen, nc.Security, nc.Push = o.IP, o.Listen, o.Security, nil
	if push != nil && o.Push != nil {
		// The file's Push object (name, URL, system name, 12r2 password) with
		// the real service's address and the real certificate's serial.
		push.Service, push.Security = o.Push.Service, o.Push.Security
		if own := o.Push.Security.Own; own != nil && own.Identity.Serial != "" {
			push.Client.CertificateSerial = own.Identity.Serial
		}
		nc.Push = push
	}
	nc.TimeToLive = grantedTTL
	if o.TimeToLive > 0 {
		nc.TimeToLive = o.TimeToLive
	}
	return pbx.NewNode(nc)
}
