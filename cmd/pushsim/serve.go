package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/push/apns"
	"github.com/callwake/callwake/push/cloud"
	"github.com/callwake/callwake/push/fcm"
	"github.com/callwake/callwake/realnet"
	"github.com/callwake/callwake/timeline"

	"github.com/rs/zerolog"
)

// maxEnrolled bounds the devices a vendor learns from the phones' hellos
// (each costs a few hundred bytes): a stranger cannot grow it without end.
const maxEnrolled = 100_000

// The actors' names on the timeline.
const (
	actorService = "push"
	actorAPNs    = "apns"
	actorFCM     = "fcm"
)

// built is the three nodes of a run.
type built struct {
	service           *cloud.Service
	apnsNode, fcmNode *cloud.Vendor
}

// build makes the service and the emulators of the options.
func build(o *options, creds *credentials) (*built, error) {
	providerKey, err := push.NewAPNsProviderKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	var tok [24]byte
	if _, err := rand.Read(tok[:]); err != nil {
		return nil, err
	}
	// The relay's OAuth 2 bearer for its FCM emulator: made for the run,
	// so that a request that did not come from this service is refused.
	bearer := "ya29." + hex.EncodeToString(tok[:])
	core := push.ServiceConfig{
		Available: true, Accepts: o.Accepts, Registrations: o.Registrations, UniqueSystemName: o.UniqueSystemName,
		APNsBundle: o.Bundle, FCMProject: o.Project, FCMAccessToken: bearer,
		APNsProvider: &push.APNsProvider{Key: providerKey, KeyID: defaultKeyID, TeamID: defaultTeamID},
	}
	apnsCred, fcmCred, vendorRoots, err := vendorCredentials()
	if err != nil {
		return nil, err
	}
	svcSec := &node.Security{Own: &node.Credential{Certificate: &creds.service}, ClientAuth: true,
		Roots: creds.trust, Trust: append(append([]string{}, creds.device...), creds.unverify...)}
	if c := creds.service.Leaf; c != nil {
		svcSec.Own.Identity = node.Identity{Subject: c.Subject.CommonName, Issuer: c.Issuer.CommonName, Serial: c.SerialNumber.String()}
	}
	svc, err := cloud.NewService(cloud.ServiceConfig{Core: core, IP: o.Listen.Addr(), Port: o.Listen.Port(), Path: o.Path,
		Security: svcSec, DeviceIssuers: creds.device, UnverifiedIssuers: creds.unverify,
		APNs: o.APNs, FCM: o.FCM,
		VendorSecurity: &node.Security{Trust: []string{apnsCred.Identity.Issuer}, Roots: vendorRoots}, Tap: o.tap}, rand.Reader)
	if err != nil {
		return nil, err
	}
	a, err := apns.New(apns.Config{Topic: o.Bundle + push.APNsVoIPSuffix, Available: !o.VendorDown[push.PlatformAPNs],
		ProviderKey: &providerKey.PublicKey, KeyID: defaultKeyID, TeamID: defaultTeamID})
	if err != nil {
		return nil, err
	}
	g, err := fcm.New(fcm.Config{Project: o.Project, AccessToken: bearer, Available: !o.VendorDown[push.PlatformFCM]})
	if err != nil {
		return nil, err
	}
	// Tokens named on the command line are known from the start, with
	// their fault; any other a phone presents is enrolled when it says
	// hello.
	var mu sync.Mutex // the closures run on the host's one loop; the lock keeps them safe elsewhere
	enrolled := map[string]int{}
	enrol := func(platform string, register func(name, token string) error) func(string) (string, bool) {
		return func(token string) (string, bool) {
			mu.Lock()
			defer mu.Unlock()
			if enrolled[platform] >= maxEnrolled {
				return "", false
			}
			name := deviceName(token)
			if register(name, token) != nil {
				return "", false
			}
			enrolled[platform]++
			return name, true
		}
	}
	for _, t := range o.Unregistered {
		if !preRegister(a, g, t, true) {
			return nil, fmt.Errorf("--unregistered %q: neither an APNs token (64 hex digits) nor an FCM one", t)
		}
	}
	for _, t := range o.Unreachable {
		if !preRegister(a, g, t, false) {
			return nil, fmt.Errorf("--unreachable %q: neither an APNs token (64 hex digits) nor an FCM one", t)
		}
	}
	av, err := cloud.NewVendor(cloud.VendorConfig{Name: actorAPNs, Platform: push.PlatformAPNs, IP: o.APNs.Addr(),
		APIPort: o.APNs.Port(), DevicePort: o.APNsDevicePort, Security: &node.Security{Own: apnsCred}, Emulator: a, Tap: o.tap,
		Enrol: enrol(push.PlatformAPNs, func(name, token string) error { return a.Register(apns.Device{Name: name, Token: token}) })})
	if err != nil {
		return nil, err
	}
	fv, err := cloud.NewVendor(cloud.VendorConfig{Name: actorFCM, Platform: push.PlatformFCM, IP: o.FCM.Addr(),
		APIPort: o.FCM.Port(), DevicePort: o.FCMDevicePort, Security: &node.Security{Own: fcmCred}, Emulator: cloud.Clockless{Core: g}, Tap: o.tap,
		Enrol: enrol(push.PlatformFCM, func(name, token string) error { return g.Register(fcm.Device{Name: name, Token: token}) })})
	if err != nil {
		return nil, err
	}
	return &built{service: svc, apnsNode: av, fcmNode: fv}, nil
}

// preRegister registers a token of the command line with each emulator
// whose token shape it has: unregistered (410 / 404) or unreachable.
func preRegister(a *apns.Emulator, g *fcm.Emulator, token string, unregistered bool) bool {
	ok := false
	if apns.ValidToken(token) {
		ok = a.Register(apns.Device{Name: deviceName(token), Token: token, Unregistered: unregistered, VendorUnreachable: !unregistered}) == nil || ok
	}
	if fcm.ValidToken(token) {
		ok = g.Register(fcm.Device{Name: deviceName(token), Token: token, Unregistered: unregistered, VendorUnreachable: !unregistered}) == nil || ok
	}
	return ok
}

// deviceName is how a device the emulators learnt by its token appears on
// the timeline: its token's first 16 characters.
func deviceName(token string) string {
	if len(token) > 16 {
		token = token[:16]
	}
	return "device-" + token
}

// watched reports the listeners' outcome of a node to the command.
type watched struct {
	node.Node
	listening func(node.Listening)
}

func (w watched) Handle(now time.Time, in node.Input) []node.Effect {
	if l, ok := in.(node.Listening); ok {
		w.listening(l)
	}
	return w.Node.Handle(now, in)
}

// serve runs the nodes until ctx ends or --duration passes.
func serve(ctx context.Context, o *options, stdout, stderr io.Writer) error {
	log := newLogger(o, stderr)
	creds, err := loadCredentials(o)
	if err != nil {
		return err
	}
	b, err := build(o, creds)
	if err != nil {
		return err
	}
	tl := &timeline.Timeline{}
	host := realnet.NewHost(log, tl)
	host.Limits = o.Limits
	m, err := startMetrics(o.Metrics)
	if err != nil {
		return fmt.Errorf("--metrics: %w", err)
	}
	defer m.close()
	host.OnEvent = func(e *timeline.Event) {
		m.event(e)
		if o.Verbose {
			ev := log.Info().Str("event", e.Name).Dur("at", e.At)
			for _, a := range e.Attrs {
				ev = ev.Str(a.Key, a.Value)
			}
			ev.Send()
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var failed error
	var failedMu sync.Mutex
	report := func(what string) func(node.Listening) {
		return func(l node.Listening) {
			if l.Err != nil {
				failedMu.Lock()
				if failed == nil {
					failed = fmt.Errorf("%s: %w", what, l.Err) // the error names the address
				}
				failedMu.Unlock()
				cancel()
				return
			}
			fmt.Fprintf(stdout, "pushsim: %s listening on %v\n", what, l.Addr)
			log.Info().Str("what", what).Stringer("addr", l.Addr).Msg("listening")
		}
	}
	svc := host.Add(actorService, o.Listen.Addr(), watched{b.service, report("push service (wss " + o.Path + ")")})
	host.Add(actorAPNs, o.APNs.Addr(), watched{b.apnsNode, report("apns emulator")})
	host.Add(actorFCM, o.FCM.Addr(), watched{b.fcmNode, report("fcm emulator")})
	if o.DownFor > 0 {
		host.Schedule(0, func() { host.DeliverNow(svc, node.Command{Cmd: cloud.SetAvailable{On: false}}) })
		host.Schedule(o.DownFor, func() { host.DeliverNow(svc, node.Command{Cmd: cloud.SetAvailable{On: true}}) })
	}
	if o.Duration > 0 {
		var c2 context.CancelFunc
		runCtx, c2 = context.WithTimeout(runCtx, o.Duration)
		defer c2()
	}
	err = host.Run(runCtx)
	failedMu.Lock()
	if failed != nil {
		err = failed
	}
	failedMu.Unlock()
	if o.JSON != "" {
		if werr := writeJSON(o.JSON, tl.Events()); werr != nil && err == nil {
			err = fmt.Errorf("--json: %w", werr)
		}
	}
	if err == nil && ctx.Err() != nil && !errors.Is(ctx.Err(), context.Canceled) {
		err = ctx.Err()
	}
	return err
}

func newLogger(o *options, w io.Writer) zerolog.Logger {
	level := zerolog.InfoLevel
	if o.Verbose {
		level = zerolog.DebugLevel
	}
	if o.LogFormat == "json" {
		return zerolog.New(w).Level(level).With().Timestamp().Str("cmd", "pushsim").Logger()
	}
	return zerolog.New(zerolog.ConsoleWriter{Out: w, NoColor: true}).Level(level).With().Timestamp().Logger()
}
