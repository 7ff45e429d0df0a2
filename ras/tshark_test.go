package ras

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/internal/tsharktest"
)

// TestDissector writes what the two cores send in a set of exchanges to a
// pcap file and has tshark decode it: not one malformed packet or warning,
// and the message types, reject reasons, keep-alive flags and H.235 token
// fields tshark reads are the ones meant.
func TestDissector(t *testing.T) {
	tsharktest.Require(t)
	password, known := users(map[string]string{"alice": "s3cret", "carol": ""})
	var wire []wireDatagram
	run := func(ec EndpointConfig, script func(h *harness)) {
		h := newHarness(t, ec, GatekeeperConfig{TimeToLive: 120 * time.Second, Password: password, Known: known})
		script(h)
		// Each exchange starts a second after the previous one ended, and
		// datagrams of the same instant are a millisecond apart, so the file
		// is in time order.
		var base time.Duration
		if len(wire) > 0 {
			base = wire[len(wire)-1].at + time.Second
		}
		for i, d := range h.wire {
			d.at += base + time.Duration(i)*time.Millisecond
			wire = append(wire, d)
		}
	}
	run(EndpointConfig{Alias: "alice", Number: "201", Password: "s3cret", Discover: true, KeepAlive: true}, func(h *harness) {
		h.epEffects(h.ep.Register(h.now))
		h.advance(110 * time.Second)
		h.epEffects(h.ep.Admit(h.now, call1))
		h.epEffects(h.ep.Disengage(h.now, call1))
		out := call1
		out.Answer, out.Destination = false, "999"
		h.epEffects(h.ep.Admit(h.now, out))
		h.epEffects(h.ep.Unregister(h.now))
	})
	run(EndpointConfig{Alias: "alice", Password: "wrong"}, func(h *harness) { h.epEffects(h.ep.Register(h.now)) })
	run(EndpointConfig{Alias: "alice", Password: "s3cret", Authentication: AuthMD5}, func(h *harness) { h.epEffects(h.ep.Register(h.now)) })
	run(EndpointConfig{Alias: "carol", Number: "*31#"}, func(h *harness) {
		h.epEffects(h.ep.Register(h.now))
		ep := h.ep.info()
		for _, m := range []*h225.RasMessage{NewRIP(9, 5*time.Second), NewIRQ(10, gkRAS), NewIRR(10, ep), NewXRS(11, []byte{1, 2, 3}),
			NewGRJ(12, "pbx", h225.GatekeeperRejectReasonTerminalExcluded), NewDRJ(13, h225.DisengageRejectReasonNotRegistered),
			NewURJ(14, h225.UnregRejectReasonNotCurrentlyRegistered)} {
			src, dst := gkRAS, epRAS
			if m.Choice == h225.RasMessageInfoRequestResponse {
				src, dst = epRAS, gkRAS
			}
			h.wire = append(h.wire, wireDatagram{0, src, dst, Send{Payload: mustEncode(t, m), Event: EventName(m), Attrs: Attrs(m)}})
		}
	})

	path := filepath.Join(t.TempDir(), "ras.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := capture.NewWriter(f, capture.DefaultEpoch)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range wire {
		if err := w.WriteUDP(d.at, d.src, d.dst, d.send.Payload); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	if problems := tsharktest.Problems(t, path, tsharktest.CheckChecksums...); len(problems) > 0 {
		t.Fatalf("tshark found problems:\n%s", strings.Join(problems, "\n"))
	}
	names := tsharktest.Shownames(t, path, "", "h225.RasMessage", "h225.rejectReason", "h225.keepAlive", "h235.sendersID", "h225.algorithmOID")
	values := tsharktest.FieldValues(t, path, "", "h225.requestSeqNum", "h235.hash", "h225.h323_ID", "h225.dialledDigits")
	if len(names) != len(wire) || len(values) != len(wire) {
		t.Fatalf("tshark shows %d/%d frames, want %d", len(names), len(values), len(wire))
	}
	for i, d := range wire {
		p, v := names[i], values[i]
		msg := strings.Join(p["h225.RasMessage"], ",")
		if want := tsharkName[d.send.Event]; !strings.Contains(msg, ": "+want+" (") {
			t.Errorf("frame %d (%s): tshark reads %q", i+1, d.send.Event, msg)
		}
		if seq, _ := attr(d.send, "seq"); strings.Join(v["h225.requestSeqNum"], ",") != seq {
			t.Errorf("frame %d (%s): requestSeqNum %v, want %s", i+1, d.send.Event, v["h225.requestSeqNum"], seq)
		}
		if reason, ok := attr(d.send, "reason"); ok && !strings.Contains(strings.Join(p["h225.rejectReason"], ","), ": "+reason+" (") {
			t.Errorf("frame %d (%s): rejectReason %v, want %s", i+1, d.send.Event, p["h225.rejectReason"], reason)
		}
		if d.send.Event == "ras.rrq" {
			_, light := attr(d.send, "keepalive")
			if got := strings.Join(p["h225.keepAlive"], ","); strings.Contains(got, "True") != light {
				t.Errorf("frame %d: keepAlive %q, lightweight %v", i+1, got, light)
			}
			if !light && !strings.Contains(strings.Join(v["h225.h323_ID"], ","), h323ID(d)) {
				t.Errorf("frame %d: h323-ID %v", i+1, v["h225.h323_ID"])
			}
		}
	}
	// The signed messages of the first exchange: the H.235.1 token is where
	// tshark looks for it, 96 bits long, with the senders the procedure names.
	signedSenders := map[string]int{}
	for i := range wire {
		for _, h := range values[i]["h235.hash"] {
			if len(strings.ReplaceAll(h, ":", "")) != 24 && len(strings.ReplaceAll(h, ":", "")) != 32 {
				t.Errorf("frame %d: hash %q is neither 96 nor 128 bits", i+1, h)
			}
		}
		for _, s := range names[i]["h235.sendersID"] {
			signedSenders[s]++
		}
	}
	for _, s := range []string{"sendersID: alice", "sendersID: ep-0001", "sendersID: pbx"} {
		if signedSenders[s] == 0 {
			t.Errorf("no token with %s; seen %v", s, signedSenders)
		}
	}
	if got := strings.Join(values[len(values)-9]["h225.dialledDigits"], ","); got != "*31#" {
		t.Errorf("carol's RRQ dialledDigits %q", got)
	}
}

func attr(s Send, key string) (string, bool) {
	for _, a := range s.Attrs {
		if a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

func h323ID(d wireDatagram) string {
	m, err := Decode(d.send.Payload)
	if err != nil {
		return "?"
	}
	alias, _ := splitAliases(m.RegistrationRequest.TerminalAlias)
	return alias
}

// tsharkName maps our event names to the ASN.1 names tshark shows.
var tsharkName = map[string]string{
	"ras.grq": "gatekeeperRequest", "ras.gcf": "gatekeeperConfirm", "ras.grj": "gatekeeperReject",
	"ras.rrq": "registrationRequest", "ras.rcf": "registrationConfirm", "ras.rrj": "registrationReject",
	"ras.urq": "unregistrationRequest", "ras.ucf": "unregistrationConfirm", "ras.urj": "unregistrationReject",
	"ras.arq": "admissionRequest", "ras.acf": "admissionConfirm", "ras.arj": "admissionReject",
	"ras.drq": "disengageRequest", "ras.dcf": "disengageConfirm", "ras.drj": "disengageReject",
	"ras.irq": "infoRequest", "ras.irr": "infoRequestResponse", "ras.rip": "requestInProgress",
	"ras.xrs": "unknownMessageResponse",
}
