package cloud

import (
	"errors"
	"net/netip"
	"time"

	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/timeline"
)

// Ports of the vendor services (B20): the provider API, and where phones
// keep their connection.
const (
	PortAPI        = 443
	PortAPNsDevice = 5223
	PortFCMDevice  = 5228
)

// Emulator is the core of a vendor service: push/apns, or push/fcm
// through Clockless.
type Emulator interface {
	Handle(now time.Time, req push.HTTPRequest) (push.HTTPResponse, []push.Effect)
	SetAvailable(on bool)
}

// Clockless adapts an emulator that needs no time (FCM's: its bearer does
// not expire) to Emulator.
type Clockless struct {
	Core interface {
		Handle(req push.HTTPRequest) (push.HTTPResponse, []push.Effect)
		SetAvailable(on bool)
	}
}

func (c Clockless) Handle(_ time.Time, req push.HTTPRequest) (push.HTTPResponse, []push.Effect) {
	return c.Core.Handle(req)
}

func (c Clockless) SetAvailable(on bool) { c.Core.SetAvailable(on) }

// VendorConfig is an APNs or FCM node.
type VendorConfig struct {
	Name       string // the actor's name ("apns", "fcm")
	Platform   string // push.PlatformAPNs or push.PlatformFCM
	IP         netip.Addr
	APIPort    uint16 // 0 = PortAPI
	DevicePort uint16 // PortAPNsDevice or PortFCMDevice
	// Security is the certificate the vendor presents on both listeners.
	Security *node.Security
	Emulator Emulator
	// Devices are the phones with the app installed: the tokens the vendor
	// issued, by device name.
	Devices []Device
	// Latency is the vendor's hop to the phone: a push it withholds (or
	// cannot deliver) is recorded when it would have arrived.
	Latency time.Duration
	Tap     Tap
	// Enrol, when set, is asked about a phone that says hello with a token
	// the vendor does not know (a standalone emulator learns its devices
	// this way, as the real services issue tokens to any app): it returns
	// the device's name after registering the token with the emulator, or
	// false to ignore the phone.
	Enrol func(token string) (name string, ok bool)
}

// Device is one phone known to a vendor.
type Device struct{ Name, Token string }

// Vendor is an APNs or FCM emulator node.
type Vendor struct {
	cfg     VendorConfig
	out     []node.Effect
	byToken map[string]string      // device name by token (lookups only)
	phones  map[string]node.ConnID // live phone connections by device name
	pending map[uint64]node.Record // drops waiting for their time
	nextID  uint64
}

const (
	sockAPI node.SockID = iota + 1
	sockDevices
)

const timerDrop = node.KindsNode

// NewVendor builds a vendor node.
func NewVendor(cfg VendorConfig) (*Vendor, error) {
	if !cfg.IP.IsValid() || cfg.Emulator == nil {
		return nil, errors.New("cloud: a vendor needs an address and an emulator")
	}
	v := &Vendor{cfg: cfg, byToken: map[string]string{}, phones: map[string]node.ConnID{}, pending: map[uint64]node.Record{}}
	for _, d := range cfg.Devices {
		v.byToken[d.Token] = d.Name
	}
	return v, nil
}

// Handle implements node.Node.
func (v *Vendor) Handle(now time.Time, in node.Input) []node.Effect {
	v.out = v.out[:0]
	switch in := in.(type) {
	case node.Start:
		api := v.cfg.APIPort
		if api == 0 {
			api = PortAPI
		}
		v.out = append(v.out,
			node.Listen{Sock: sockAPI, Addr: netip.AddrPortFrom(v.cfg.IP, api), Transport: node.HTTP2, Security: v.cfg.Security, Protocol: v.cfg.Platform},
			node.Listen{Sock: sockDevices, Addr: netip.AddrPortFrom(v.cfg.IP, v.cfg.DevicePort), Transport: node.WSS, Security: v.cfg.Security, Protocol: v.cfg.Platform})
	case node.Stop:
		v.out = append(v.out, node.Done{})
	case node.Message:
		if in.HTTP != nil {
			v.request(now, in.Conn, in.HTTP)
		} else {
			v.phoneMessage(in)
		}
	case node.Closed:
		for name, c := range v.phones {
			if c == in.Conn {
				delete(v.phones, name)
			}
		}
	case node.TimerFired:
		if r, ok := v.pending[in.ID.Key]; ok && in.ID.Kind == timerDrop {
			delete(v.pending, in.ID.Key)
			v.out = append(v.out, r)
		}
	case node.Command:
		if c, ok := in.Cmd.(SetAvailable); ok {
			v.cfg.Emulator.SetAvailable(c.On)
		}
	}
	return v.out
}

// phoneMessage: a phone says which token it holds; its pushes go on this
// connection from now on.
func (v *Vendor) phoneMessage(in node.Message) {
	m, err := push.DecodeDevice(in.Payload)
	if err != nil || m.MT != push.MTHello {
		return
	}
	name, ok := v.byToken[m.Token]
	if !ok && v.cfg.Enrol != nil {
		if name, ok = v.cfg.Enrol(m.Token); ok {
			v.byToken[m.Token] = name
		}
	}
	if ok {
		v.phones[name] = in.Conn
	}
}

// request answers one provider API request and delivers what it accepted.
func (v *Vendor) request(now time.Time, conn node.ConnID, h *node.HTTP) {
	req := push.HTTPRequest{Method: h.Method, Authority: h.Authority, Path: h.Path, Body: h.Body}
	for _, f := range h.Header {
		req.Header = append(req.Header, push.HeaderField{Name: f.Name, Value: f.Value})
	}
	resp, effects := v.cfg.Emulator.Handle(now, req)
	answer := &node.HTTP{Stream: h.Stream, Status: resp.Status, Body: resp.Body}
	for _, f := range resp.Header {
		answer.Header = append(answer.Header, node.HeaderField{Name: f.Name, Value: f.Value})
	}
	v.out = append(v.out, node.Send{Conn: conn, HTTP: answer})
	for _, e := range effects {
		switch e := e.(type) {
		case push.Deliver:
			v.deliver(e)
		case push.Event:
			// The emulator's own push.delivered is not recorded: the phone
			// decides whether the push arrives, and records that.
			if e.Name == push.EventDropped {
				v.drop(deviceOf(e.Attrs), reasonOf(e.Attrs))
			}
		}
	}
}

// deliver hands a push to the phone's connection; without one the push is
// lost (B20).
func (v *Vendor) deliver(d push.Deliver) {
	c, ok := v.phones[d.Device]
	if !ok {
		v.drop(d.Device, push.DropVendorUnreachable)
		return
	}
	v.cfg.Tap.see(HopVendorPhone, d.Payload)
	v.out = append(v.out, node.Send{Conn: c, Payload: push.EncodeJSON(push.DeviceMessage{MT: push.MTPush, Payload: d.Payload})})
}

// drop records push.dropped for a push the vendor did not hand to the
// phone, at the time it would have arrived.
func (v *Vendor) drop(device, reason string) {
	if device == "" {
		return
	}
	v.nextID++
	v.pending[v.nextID] = node.Record{Name: push.EventDropped, Attrs: []timeline.Attr{
		timeline.A("from", v.cfg.Name), timeline.A("to", device), timeline.A("device", device), timeline.A("reason", reason)}}
	v.out = append(v.out, node.SetTimer{ID: node.TimerID{Kind: timerDrop, Key: v.nextID}, After: v.cfg.Latency})
}

func deviceOf(attrs []timeline.Attr) string {
	for _, a := range attrs {
		if a.Key == "device" {
			return a.Value
		}
	}
	return ""
}

func reasonOf(attrs []timeline.Attr) string {
	for _, a := range attrs {
		if a.Key == "reason" {
			return a.Value
		}
	}
	return ""
}
