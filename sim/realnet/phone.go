package realnet

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/timeline"

	"github.com/rs/zerolog"
)

// Timeouts of the phone's way out and of its calls.
const (
	// UnregisterGrace bounds the wait for the UCF after the run ends (one
	// RAS request timeout: the URQ's retransmissions are not waited for).
	UnregisterGrace = ras.RequestTimeout
	// DialTimeout bounds the TCP connection to the ACF's address.
	DialTimeout = 5 * time.Second
)

// causeNormalClearing (Q.850 16) is what a phone sends when it hangs up.
const causeNormalClearing = 16

// PhoneConfig is one phone on real sockets.
type PhoneConfig struct {
	Alias, Number, Password string
	Gatekeeper              netip.AddrPort // RAS address of the gatekeeper (UDP 1719)
	GatekeeperID            string         // asked for in the GRQ; "" = any
	TTL                     time.Duration  // time to live asked for; 0 = none
	Discover                bool           // send GRQ before RRQ
	// Listen is the call-signalling address (TCP). An unspecified IP is
	// bound as given and announced as the local address of the route to the
	// gatekeeper.
	Listen netip.AddrPort
	// RASListen is the RAS UDP address; zero = Listen's IP, port 0.
	RASListen netip.AddrPort
	Answer    phone.Answer // what the simulated user does with incoming calls
	// AnswerAdmission says when an incoming call is admitted (ARQ with
	// answerCall) before the phone rings and answers it.
	AnswerAdmission AnswerAdmission

	// Call, when set, places one call to these digits after registering:
	// ARQ, Setup to the ACF's call-signalling address, progress until
	// Release Complete; the run then ends.
	Call string
	// HangupAfter ends a placed call with Release Complete 16 this long
	// after its Connect; 0 = the caller holds until the run ends.
	HangupAfter time.Duration
	// SetupTimeout (Q.931 T303) and ProceedingTimeout (T310) clear a placed
	// call with cause 102 "recovery on timer expiry" when its Setup has no
	// answer that long, or its Call Proceeding no Alerting, Connect or
	// Progress; 0 = wait for ever.
	SetupTimeout, ProceedingTimeout time.Duration
	// Duration ends the run; 0 = until ctx ends (or, with Call, the call).
	Duration time.Duration

	Out io.Writer      // trace lines; nil = none
	Log zerolog.Logger // socket errors and the like
	// Random supplies call and conference identifiers; nil = crypto/rand.
	Random io.Reader
}

// AnswerAdmission says whether the phone asks its gatekeeper for admission
// (ARQ with answerCall) before it answers an incoming call.
type AnswerAdmission int

const (
	// AnswerAdmissionAuto asks unless the RCF pre-granted answering
	// (preGrantedARQ answerCall), as H.323 endpoints do.
	AnswerAdmissionAuto AnswerAdmission = iota
	// AnswerAdmissionAlways asks even when answering was pre-granted.
	AnswerAdmissionAlways
	// AnswerAdmissionNever never asks, for gatekeepers that route calls
	// without admitting the called side.
	AnswerAdmissionNever
)

// PhoneResult is what a run did.
type PhoneResult struct {
	Registered bool   // a registration was confirmed
	Failure    string // why registration failed ("securityDenial", "timeout", ...); "" = it did not
	// CallFailure says why a placed call did not happen ("" = it did or none
	// was asked for): the ARJ reason, "dial: ...", "notRegistered".
	CallFailure  string
	Connected    bool   // the placed call was answered
	ReleaseCause int    // cause of the placed call's Release Complete (sent or received); 0 = none
	Unregistered string // how the registration ended: "urq", "timeout", ... ; "" = still registered
	Events       []TraceEvent
	Started      time.Time // the epoch of the events' times (for WritePcap)
	// RASAddress and SignalAddress are the bound addresses.
	RASAddress, SignalAddress netip.AddrPort
}

// ErrRegistration is wrapped by RunPhone's error when registration failed.
var ErrRegistration = errors.New("registration failed")

// driverTimer names the driver's own timers (not a core's).
type driverTimer int

const (
	timerRunEnd driverTimer = iota + 1
	timerHangup
	timerT303 // the placed call's Setup waits for an answer
	timerT310 // the placed call's Call Proceeding waits for progress
	timerUnregisterGrace
)

// phoneNode is the phone's state on the loop goroutine.
type phoneNode struct {
	cfg   PhoneConfig
	loop  *Loop
	trace *Trace
	core  *phone.Phone
	ep    *ras.Endpoint
	udp   *UDPSocket
	tcp   *Listener

	coreTimers   *Timers[phone.TimerID]
	rasTimers    *Timers[ras.TimerID]
	driverTimers *Timers[driverTimer]

	nextRef   phone.CallRef
	incoming  []*incomingLeg // live incoming legs, in arrival order
	out       *outgoingCall
	rcfSignal netip.AddrPort // the gatekeeper's call-signalling address from the RCF

	result   PhoneResult
	finished bool
	stop     context.CancelFunc
}

type incomingLeg struct {
	ref  phone.CallRef
	crv  uint16 // the Setup's call reference value
	leg  *h323.Leg
	conn *Conn
	done bool
	// info is the call as an answer ARQ names it; admitted once its ACF
	// came (a DRQ then follows the end of the call).
	info     ras.CallInfo
	admitted bool
	// waiting is the call for the phone core while its admission is asked:
	// the core sees it only once the ACF came.
	waiting *phone.IncomingCall
}

type outgoingCall struct {
	info ras.CallInfo
	leg  *h323.Leg
	conn *Conn
	done bool
}

// RunPhone runs a phone until ctx ends, cfg.Duration passes, registration
// fails or (with cfg.Call) the call ends; then it releases calls,
// unregisters (waiting up to UnregisterGrace for the UCF) and closes its
// sockets. All its goroutines have ended when it returns. The error wraps
// ErrRegistration when registration failed; socket setup errors are
// returned as they are.
func RunPhone(ctx context.Context, cfg PhoneConfig) (PhoneResult, error) {
	if cfg.Random == nil {
		cfg.Random = rand.Reader
	}
	loop := NewLoop(cfg.Log)
	n := &phoneNode{cfg: cfg, loop: loop, trace: NewTrace(loop, cfg.Out),
		coreTimers: NewTimers[phone.TimerID](loop), rasTimers: NewTimers[ras.TimerID](loop), driverTimers: NewTimers[driverTimer](loop)}
	pcfg := phone.Defaults(cfg.Alias, phone.KindDeskphone, "")
	pcfg.TTL, pcfg.Answer = cfg.TTL, cfg.Answer
	var err error
	if n.core, err = phone.New(pcfg, nil); err != nil {
		return n.result, err
	}
	if err := runNode(ctx, loop, n.open, func(stop context.CancelFunc) { n.stop = stop }, n.start, n.finish); err != nil {
		return n.result, err
	}
	n.result.Events, n.result.Started = n.trace.Events(), loop.Started()
	if n.result.Failure != "" {
		return n.result, fmt.Errorf("%w: %s", ErrRegistration, n.result.Failure)
	}
	return n.result, nil
}

// open binds the sockets and builds the RAS endpoint with their addresses.
func (n *phoneNode) open() error {
	listen := n.cfg.Listen
	if !listen.IsValid() {
		listen = netip.MustParseAddrPort("127.0.0.1:0")
	}
	var err error
	if n.tcp, err = ListenTCP(n.loop, listen, n.accept); err != nil {
		return err
	}
	rasListen := n.cfg.RASListen
	if !rasListen.IsValid() {
		rasListen = netip.AddrPortFrom(listen.Addr(), 0)
	}
	if n.udp, err = ListenUDP(n.loop, rasListen, n.datagram); err != nil {
		return err
	}
	signal, rasAddr := n.tcp.Addr(), n.udp.LocalAddr()
	if signal.Addr().IsUnspecified() || rasAddr.Addr().IsUnspecified() {
		ip, err := routeTo(n.cfg.Gatekeeper)
		if err != nil {
			return err
		}
		if signal.Addr().IsUnspecified() {
			signal = netip.AddrPortFrom(ip, signal.Port())
		}
		if rasAddr.Addr().IsUnspecified() {
			rasAddr = netip.AddrPortFrom(ip, rasAddr.Port())
		}
	}
	n.result.RASAddress, n.result.SignalAddress = rasAddr, signal
	n.ep = ras.NewEndpoint(ras.EndpointConfig{
		Alias: n.cfg.Alias, Number: n.cfg.Number, Password: n.cfg.Password,
		RASAddress: rasAddr, CallSignalAddress: signal, Gatekeeper: n.cfg.Gatekeeper,
		TimeToLive: n.cfg.TTL, Discover: n.cfg.Discover, KeepAlive: true, GatekeeperID: n.cfg.GatekeeperID,
		// Real stacks start at a random sequence number.
		Random: n.cfg.Random,
	})
	return nil
}

// routeTo finds the local IP the system would use towards addr (a UDP
// "connection" sends nothing).
func routeTo(addr netip.AddrPort) (netip.Addr, error) {
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(addr))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("no route to the gatekeeper %v: %w", addr, err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap(), nil
}

func (n *phoneNode) start() {
	if n.cfg.Duration > 0 {
		n.driverTimers.Set(timerRunEnd, n.cfg.Duration, n.finish)
	}
	n.handle(phone.Start{})
}

// finish ends the run the polite way: calls released, URQ, then the loop
// stops on the UCF or after UnregisterGrace.
func (n *phoneNode) finish() {
	if n.finished {
		return
	}
	n.finished = true
	if oc := n.out; oc != nil && !oc.done && oc.leg != nil {
		n.hangUp()
	}
	for _, l := range slices.Clone(n.incoming) {
		if !l.done && l.leg != nil {
			n.legDo(l, l.leg.Release(causeNormalClearing))
			n.legEnded(l)
		}
	}
	if n.ep.Registered() {
		n.rasDo(n.ep.Unregister(n.loop.Now()))
		n.driverTimers.Set(timerUnregisterGrace, UnregisterGrace, n.shutdown)
		return
	}
	n.rasDo(n.ep.Unregister(n.loop.Now())) // abandons a registration in progress
	n.shutdown()
}

func (n *phoneNode) shutdown() {
	n.coreTimers.Stop()
	n.rasTimers.Stop()
	n.driverTimers.Stop()
	n.stop()
}

// handle gives the phone core one input and carries out its effects.
func (n *phoneNode) handle(in phone.Input) {
	effects, err := n.core.Handle(in)
	if err != nil {
		n.loop.Log.Error().Err(err).Msg("phone core")
		return
	}
	for _, e := range effects {
		switch e := e.(type) {
		case phone.SetTimer:
			id := e.ID
			n.coreTimers.Set(id, e.After, func() { n.handle(phone.TimerFired{ID: id}) })
		case phone.CancelTimer:
			n.coreTimers.Cancel(e.ID)
		case phone.Record:
			n.trace.Add(Local, e.Name, e.Attrs, nil)
		case phone.StartRegistration:
			n.rasDo(n.ep.Register(n.loop.Now()))
		case phone.Unregister:
			n.rasDo(n.ep.Unregister(n.loop.Now()))
		case phone.SendAlerting:
			if l := n.legOf(e.Call); l != nil {
				n.legDo(l, l.leg.Alerting())
			}
		case phone.SendConnect:
			if l := n.legOf(e.Call); l != nil {
				n.legDo(l, l.leg.Connect())
			}
		case phone.SendRelease:
			if l := n.legOf(e.Call); l != nil {
				n.legDo(l, l.leg.Release(e.Cause))
				n.legEnded(l)
			}
		}
	}
}

// datagram takes a RAS datagram from the socket.
func (n *phoneNode) datagram(from netip.AddrPort, payload []byte) {
	n.trace.ReceivedRAS(from, n.udp.LocalAddr(), payload)
	n.rasDo(n.ep.HandleDatagram(n.loop.Now(), from, payload))
}

// rasDo carries out the RAS endpoint's effects.
func (n *phoneNode) rasDo(effects []ras.Effect) {
	for _, e := range effects {
		switch e := e.(type) {
		case ras.Send:
			n.trace.SentRAS(n.udp.LocalAddr(), e)
			_ = n.udp.Send(e.To, e.Payload)
		case ras.SetTimer:
			id := e.ID
			n.rasTimers.Set(id, e.After, func() { n.rasDo(n.ep.HandleTimer(n.loop.Now(), id)) })
		case ras.CancelTimer:
			n.rasTimers.Cancel(e.ID)
		case ras.Record:
			n.trace.Add(Local, e.Event, e.Attrs, nil)
		case ras.Registered:
			n.rcfSignal = e.CallSignal
			n.result.Registered, n.result.Unregistered = true, ""
			n.trace.Add(Local, "phone.registered", []timeline.Attr{timeline.A("endpoint_id", e.EndpointID), timeline.A("ttl", e.TimeToLive)}, nil)
			n.handle(phone.RegistrationConfirmed{})
			if n.cfg.Call != "" && n.out == nil && !n.finished {
				n.placeCall()
			}
		case ras.RegistrationFailed:
			n.result.Failure = e.Reason
			n.trace.Add(Local, "phone.registration_failed", []timeline.Attr{timeline.A("reason", e.Reason)}, nil)
			n.handle(phone.RegistrationFailed{Reason: e.Reason})
			n.finish()
		case ras.Unregistered:
			n.result.Unregistered = e.Reason
			n.trace.Add(Local, "phone.unregistered", []timeline.Attr{timeline.A("reason", e.Reason)}, nil)
			n.handle(phone.Unregistered{})
			if n.finished {
				n.shutdown()
			}
		case ras.Admitted:
			if e.Call.Answer {
				n.answerAdmitted(e.Call)
				continue
			}
			n.dial(e.Call, e.DestCallSignal)
		case ras.AdmissionRejected:
			if e.Call.Answer {
				n.answerRejected(e.Call, e.Reason)
				continue
			}
			n.callFailed(e.Reason)
		case ras.Disengaged:
			if n.cfg.Call != "" && !e.Call.Answer {
				n.finish() // the placed call is over: so is the run
			}
		}
	}
}
