// Package cloud holds the nodes of the push path's far side: the push
// service (the relay the PBXs' Push objects log in to) and the APNs and FCM
// emulators, each a node (package node) that runs unchanged in a simulated
// world and on real sockets.
//
//	PBX ──wss, mutual TLS──▶ Service ──HTTP/2──▶ Vendor (apns | fcm) ──wss──▶ phone
//
// The Service node carries push.Service: it accepts Push objects on WSS
// (443), classifies the certificate each presents (B02), and relays
// PushNotifyPost as HTTP/2 requests to the vendor's provider API; every
// post gets its result, a vendor it cannot reach (or whose connection breaks
// with requests on it) counting as a 503. A Vendor
// node carries the apns or fcm emulator: it answers the provider API on
// HTTP/2 (443) and keeps a WebSocket per phone (Apple's 5223, Google's
// 5228), on which it delivers pushes (B20). A phone without a live
// connection gets nothing: the vendor records push.dropped {reason:
// vendor_unreachable} when the push would have reached it.
package cloud

import (
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/push/pki"
	"github.com/callwake/callwake/timeline"
)

// PortService is where the service accepts Push objects (wss).
const PortService = 443

// ServiceConfig is the push service node.
type ServiceConfig struct {
	Core push.ServiceConfig
	IP   netip.Addr
	// Security is what the service presents (its server certificate) and
	// the vendor device CAs it checks client certificates against.
	Security *node.Security
	// Port is where it listens (0 = PortService), and Path the URL path
	// Push objects must ask for ("" = any; pushsim serves /push/ws). The
	// path with /legacy appended is the 12r2 endpoint (B06).
	Port uint16
	Path string
	// DeviceIssuers and UnverifiedIssuers are the common names of the
	// vendor's device CAs (B02): a verified client certificate issued by one
	// of them has that role, any other is the customer's own. Empty: the
	// test PKI's names (pki.DeviceCAName, pki.UnverifiedDeviceCAName).
	DeviceIssuers, UnverifiedIssuers []string
	// APNs and FCM are the vendors' provider API addresses (HTTP/2), and
	// VendorSecurity what the service trusts of them.
	APNs, FCM      netip.AddrPort
	VendorSecurity *node.Security
	// Tap, when set, sees every byte the service handles (B07's test).
	Tap Tap
}

// Tap is a diagnostic hook on the push path: hop names where data crossed
// (see the Hop constants); data is a copy.
type Tap func(hop string, data []byte)

// The hops a Tap names. The first six are the untrusted side.
const (
	HopPBXStream   = "pbx>service stream" // a WebSocket message as it arrives
	HopPBXMessage  = "pbx>service"        // each message
	HopServicePBX  = "service>pbx"
	HopVendorReq   = "service>vendor" // an HTTP/2 request, rendered as text
	HopVendorResp  = "vendor>service"
	HopVendorPhone = "vendor>phone" // the payload a vendor delivers
)

func (t Tap) see(hop string, data []byte) {
	if t != nil {
		t(hop, append([]byte(nil), data...))
	}
}

// SetAvailable is a Command: the service is switched on or off.
type SetAvailable struct{ On bool }

// SetRegistration is a Command: the service's operators set the password of
// a 12r2 registration (push.Service.SetRegistration, B06).
type SetRegistration struct{ Registration push.Registration }

// Service is the push service node.
type Service struct {
	cfg  ServiceConfig
	core *push.Service
	out  []node.Effect

	pbxs    map[node.ConnID]push.ConnID // Push objects' connections
	conns   map[push.ConnID]node.ConnID
	nextID  push.ConnID
	vendors map[string]*vendorLink // by platform
}

// vendorLink is the service's HTTP/2 connection to a vendor.
type vendorLink struct {
	platform string
	addr     netip.AddrPort
	conn     node.ConnID
	up       bool
	dialling bool
	ref      uint64
	queued   []push.VendorRequest // waiting for the connection
	inflight []uint64             // sent on it, not answered yet
}

const sockService node.SockID = 1

// NewService builds the push service node.
func NewService(cfg ServiceConfig, rnd interface{ Read([]byte) (int, error) }) (*Service, error) {
	if !cfg.IP.IsValid() {
		return nil, errors.New("cloud: the push service needs an address")
	}
	core, err := push.NewService(cfg.Core, rnd)
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, core: core, pbxs: map[node.ConnID]push.ConnID{}, conns: map[push.ConnID]node.ConnID{},
		vendors: map[string]*vendorLink{
			push.PlatformAPNs: {platform: push.PlatformAPNs, addr: cfg.APNs, ref: 1},
			push.PlatformFCM:  {platform: push.PlatformFCM, addr: cfg.FCM, ref: 2},
		}}
	return s, nil
}

// Handle implements node.Node.
func (s *Service) Handle(now time.Time, in node.Input) []node.Effect {
	s.out = s.out[:0]
	s.core.SetTime(now) // provider tokens carry their time (APNs)
	switch in := in.(type) {
	case node.Start:
		port := s.cfg.Port
		if port == 0 {
			port = PortService
		}
		s.out = append(s.out, node.Listen{Sock: sockService, Addr: netip.AddrPortFrom(s.cfg.IP, port),
			Transport: node.WSS, Path: s.cfg.Path, Security: s.cfg.Security, Protocol: push.ProtocolPush})
	case node.Stop:
		s.out = append(s.out, node.Done{})
	case node.Accepted:
		s.accepted(in)
	case node.Dialled:
		s.dialled(in)
	case node.Message:
		s.message(in)
	case node.Closed:
		s.closed(in)
	case node.Command:
		switch c := in.Cmd.(type) {
		case SetAvailable:
			s.apply(s.core.SetAvailable(c.On))
		case SetRegistration:
			s.core.SetRegistration(c.Registration)
		}
	}
	return s.out
}

// roleOf classifies a presented certificate (B02): a vendor device CA's,
// or anything else. The chain was verified against the device CAs by the
// driver (Peer.Verified); the issuer's name says which of them.
func (s *Service) roleOf(p node.Peer) (pki.Role, string) {
	if p.Identity == nil {
		return pki.RoleNone, ""
	}
	if p.Verified {
		device, unverified := s.cfg.DeviceIssuers, s.cfg.UnverifiedIssuers
		if len(device) == 0 && len(unverified) == 0 {
			device, unverified = []string{pki.DeviceCAName}, []string{pki.UnverifiedDeviceCAName}
		}
		switch {
		case slices.Contains(device, p.Identity.Issuer):
			return pki.RoleDevice, p.Identity.Serial
		case slices.Contains(unverified, p.Identity.Issuer):
			return pki.RoleUnverifiedDevice, p.Identity.Serial
		}
	}
	return pki.RoleOwn, p.Identity.Serial
}

func (s *Service) accepted(in node.Accepted) {
	s.nextID++
	id := s.nextID
	s.pbxs[in.Conn], s.conns[id] = id, in.Conn
	role, serial := s.roleOf(in.Peer)
	legacy := strings.HasSuffix(in.Path, "/legacy")
	s.apply(s.core.Accept(id, push.Peer{Certificate: role, Serial: serial, Legacy: legacy}))
}

func (s *Service) message(in node.Message) {
	if id, ok := s.pbxs[in.Conn]; ok {
		s.cfg.Tap.see(HopPBXStream, in.Payload)
		s.cfg.Tap.see(HopPBXMessage, in.Payload)
		s.apply(s.core.Receive(id, in.Payload))
		return
	}
	for _, v := range s.vendors {
		if v.up && v.conn == in.Conn && in.HTTP != nil {
			resp := push.HTTPResponse{Status: in.HTTP.Status, Body: in.HTTP.Body}
			for _, f := range in.HTTP.Header {
				resp.Header = append(resp.Header, push.HeaderField{Name: f.Name, Value: f.Value})
			}
			s.cfg.Tap.see(HopVendorResp, tapResponse(resp))
			v.inflight = slices.DeleteFunc(v.inflight, func(id uint64) bool { return id == uint64(in.HTTP.Stream) })
			s.vendorAnswer(v, uint64(in.HTTP.Stream), resp)
			return
		}
	}
}

func (s *Service) closed(in node.Closed) {
	if id, ok := s.pbxs[in.Conn]; ok {
		delete(s.pbxs, in.Conn)
		delete(s.conns, id)
		s.apply(s.core.Closed(id))
		return
	}
	for _, v := range s.vendors {
		if v.up && v.conn == in.Conn {
			// Its open requests fail with it, as a reset HTTP/2
			// connection's streams do: each post still gets its result.
			lost := v.inflight
			v.up, v.conn, v.inflight = false, 0, nil
			for _, id := range lost {
				s.vendorAnswer(v, id, push.HTTPResponse{Status: 503})
			}
		}
	}
}

// apply carries out the service core's effects.
func (s *Service) apply(effects []push.Effect) {
	for i, e := range effects {
		switch e := e.(type) {
		case push.SendTo:
			if c, ok := s.conns[e.Conn]; ok {
				s.cfg.Tap.see(HopServicePBX, e.Data)
				s.out = append(s.out, node.Send{Conn: c, Payload: e.Data})
			}
		case push.CloseConn:
			if c, ok := s.conns[e.Conn]; ok {
				delete(s.conns, e.Conn)
				delete(s.pbxs, c)
				s.out = append(s.out, node.Close{Conn: c, Reason: e.Reason})
				s.core.Closed(e.Conn)
			}
		case push.VendorRequest:
			s.toVendor(e)
		case push.Event:
			s.event(e, effects[i+1:])
		}
	}
}

// event records a service event; push.rejected names the PBX refused: the
// one the effects are about, except for "replaced", which is about the
// older connection the service closes next.
func (s *Service) event(e push.Event, rest []push.Effect) {
	r := node.Record{Name: e.Name, Attrs: withoutEnds(e.Attrs)}
	if e.Name == push.EventRejected {
		for _, next := range rest {
			if cc, ok := next.(push.CloseConn); ok {
				if c, ok := s.conns[cc.Conn]; ok {
					r.About = &node.About{Conn: c, Sent: true}
				}
				break
			}
			if st, ok := next.(push.SendTo); ok {
				if c, ok := s.conns[st.Conn]; ok {
					r.About = &node.About{Conn: c, Sent: true}
				}
				break
			}
		}
	}
	s.out = append(s.out, r)
}

// withoutEnds drops from and to: the driver names a message's ends.
func withoutEnds(attrs []timeline.Attr) []timeline.Attr {
	out := make([]timeline.Attr, 0, len(attrs))
	for _, a := range attrs {
		if a.Key != "from" && a.Key != "to" {
			out = append(out, a)
		}
	}
	return out
}

// toVendor sends a request on the vendor's HTTP/2 connection, dialling it
// first when it is not up.
func (s *Service) toVendor(req push.VendorRequest) {
	v := s.vendors[req.Platform]
	if v == nil || !v.addr.IsValid() {
		s.vendorAnswer(nil, req.ID, push.HTTPResponse{Status: 400})
		return
	}
	s.cfg.Tap.see(HopVendorReq, tapRequest(req.Request))
	if !v.up {
		v.queued = append(v.queued, req)
		if !v.dialling {
			v.dialling = true
			sec := s.cfg.VendorSecurity
			if sec != nil {
				c := *sec
				c.ServerName = req.Request.Authority
				sec = &c
			}
			s.out = append(s.out, node.Dial{Ref: v.ref, From: s.cfg.IP, To: v.addr, Transport: node.HTTP2, Security: sec, Protocol: req.Platform})
		}
		return
	}
	s.send(v, req)
}

func (s *Service) send(v *vendorLink, req push.VendorRequest) {
	h := &node.HTTP{Stream: uint32(req.ID), Method: req.Request.Method, Authority: req.Request.Authority,
		Path: req.Request.Path, Body: req.Request.Body}
	for _, f := range req.Request.Header {
		h.Header = append(h.Header, node.HeaderField{Name: f.Name, Value: f.Value})
	}
	v.inflight = append(v.inflight, req.ID)
	s.out = append(s.out, node.Send{Conn: v.conn, HTTP: h})
}

func (s *Service) dialled(in node.Dialled) {
	for _, v := range s.vendors {
		if v.ref != in.Ref {
			continue
		}
		v.dialling = false
		queued := v.queued
		v.queued = nil
		if in.Err != nil {
			for _, req := range queued {
				s.vendorAnswer(v, req.ID, push.HTTPResponse{Status: 503})
			}
			return
		}
		v.conn, v.up = in.Conn, true
		for _, req := range queued {
			s.send(v, req)
		}
	}
}

// vendorAnswer hands the vendor's answer to the core: push.forwarded, and
// the result to the PBX.
func (s *Service) vendorAnswer(v *vendorLink, id uint64, resp push.HTTPResponse) {
	for _, e := range s.core.VendorResponse(id, resp) {
		ev, ok := e.(push.Event)
		if !ok || ev.Name != push.EventForwarded || v == nil {
			s.apply([]push.Effect{e})
			continue
		}
		s.out = append(s.out, node.Record{Name: ev.Name, Attrs: withoutEnds(ev.Attrs),
			About: &node.About{Conn: v.conn, Protocol: ev.Protocol, Payload: ev.Payload, Sent: true}})
	}
}

// tapRequest renders a vendor request for the tap: request line, header
// fields and body, each on its own line.
func tapRequest(r push.HTTPRequest) []byte {
	out := []byte(r.Method + " " + r.Authority + r.Path + "\n")
	return tapMessage(out, r.Header, r.Body)
}

func tapResponse(r push.HTTPResponse) []byte {
	return tapMessage([]byte(strconv.Itoa(r.Status)+"\n"), r.Header, r.Body)
}

func tapMessage(out []byte, header []push.HeaderField, body []byte) []byte {
	for _, f := range header {
		out = append(out, f.Name+": "+f.Value+"\n"...)
	}
	return append(append(out, '\n'), body...)
}
