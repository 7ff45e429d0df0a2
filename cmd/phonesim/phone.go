package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/realnet"
	"github.com/callwake/callwake/report"
	"github.com/callwake/callwake/timeline"

	"github.com/rs/zerolog"
)

// phoneFlags are what register and call are told: the phone and the run.
type phoneFlags struct {
	Alias, Number, Password string
	Gatekeeper              netip.AddrPort
	GatekeeperID            string
	TTL                     time.Duration
	Discover                bool
	Listen, RASListen       netip.AddrPort
	Answer                  phone.Answer
	Admission               phone.AnswerAdmission
	Call                    *phone.PlaceCall
	SetupTimeout            time.Duration
	ProceedingTimeout       time.Duration
	Duration                time.Duration
	H245                    phone.H245Mode
	Log                     zerolog.Logger
	// Direct accepts calls from anyone (phone.NodeConfig.DirectCalls).
	Direct bool
	Limits realnet.Limits
	Secure secureSettings // transport, H.235 token, certificates
}

// nodeConfig is the phone node of the flags.
func (f *phoneFlags) nodeConfig() (phone.NodeConfig, error) {
	core := phone.Defaults(f.Alias, phone.KindDeskphone, "")
	core.TTL, core.Answer = f.TTL, f.Answer
	cfg := phone.NodeConfig{
		Core: core, Alias: f.Alias, Number: f.Number, Password: f.Password,
		GatekeeperID: f.GatekeeperID, Discover: f.Discover,
		IP: f.Listen.Addr(), SignalPort: f.Listen.Port(),
		Gatekeeper: f.Gatekeeper, PBXSignal: f.Secure.PBXSignal,
		Transport: f.Secure.Transport, Authentication: f.Secure.Auth,
		Security: f.Secure.Security, PBXSecurity: f.Secure.PBXSecurity,
		Admission: f.Admission, SetupTimeout: f.SetupTimeout, ProceedingTimeout: f.ProceedingTimeout,
		Call: f.Call, Report: true, StopOnFailure: true, StopAfterCall: f.Call != nil,
		Random: rand.Reader, DirectCalls: f.Direct, H245: f.H245,
	}
	if f.RASListen.IsValid() {
		cfg.RASIP, cfg.RASPort = f.RASListen.Addr(), f.RASListen.Port()
	}
	if cfg.IP.IsUnspecified() || (cfg.RASIP.IsValid() && cfg.RASIP.IsUnspecified()) {
		ip, err := routeTo(f.Gatekeeper)
		if err != nil {
			return cfg, err
		}
		cfg.Announce = ip
	}
	return cfg, nil
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

// describers name what a real gatekeeper or phone sends us.
var describers = map[string]realnet.Describer{"ras": ras.Describe, "q931": h323.Describe, "h245": h323.DescribeH245}

// runPhone runs one phone node on real sockets until ctx ends, the
// duration passes, registration fails or a placed call ended; then the
// node winds down (releases calls, unregisters). It prints every event.
func runPhone(ctx context.Context, f *phoneFlags, stdout io.Writer, pcapPath string) (phone.Result, error) {
	cfg, err := f.nodeConfig()
	if err != nil {
		return phone.Result{}, err
	}
	n, err := phone.NewNode(cfg)
	if err != nil {
		return phone.Result{}, err
	}
	host := realnet.NewHost(f.Log, nil)
	host.Limits = f.Limits
	host.Describe = describers
	host.Add(f.Alias, cfg.IP, n)
	host.OnEvent = func(e *timeline.Event) { fmt.Fprintln(stdout, traceLine(f.Alias, e)) }
	if f.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.Duration)
		defer cancel()
	}
	err = host.Run(ctx)
	if pcapPath != "" {
		if werr := writePcap(pcapPath, host); werr != nil && err == nil {
			err = fmt.Errorf("--pcap: %w", werr)
		}
	}
	return n.Result(), err
}

// traceLine renders an event from the phone's side: the time, an arrow for
// what it sent (->) or received (<-), the event and its other end.
func traceLine(self string, e *timeline.Event) string {
	from, _ := e.Get("from")
	to, _ := e.Get("to")
	arrow, peer := "  ", ""
	switch {
	case from == self && to != "":
		arrow, peer = "->", to
	case to == self && from != "":
		arrow, peer = "<-", from
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%9.3fs  %s  %s", e.At.Seconds(), arrow, e.Name)
	if peer != "" {
		b.WriteString("  peer=" + peer)
	}
	for _, a := range e.Attrs {
		if a.Key == "from" || a.Key == "to" {
			continue
		}
		b.WriteString("  " + a.Key + "=" + a.Value)
	}
	return b.String()
}

// writePcap writes the run's messages to path, stamped with the run's
// wall-clock times.
func writePcap(path string, host *realnet.Host) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := report.WritePcapAt(f, host.Started(), host.Timeline().Events()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

var _ node.Node = (*phone.Node)(nil)
