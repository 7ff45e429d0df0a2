package realnet_test

import (
	"context"
	"crypto/tls"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/internal/loopback"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/realnet"

	"github.com/gorilla/websocket"
	"github.com/rs/zerolog"
)

// TestWebConnectionsForgotten: a long-running host whose WebSocket peers
// come and go keeps nothing of the connections that ended (a phone
// reconnecting to its vendor all day, strangers knocking).
func TestWebConnectionsForgotten(t *testing.T) {
	_, svc, _ := testPKI(t)
	addr := netip.AddrPortFrom(loopback.Addr(), 8443)
	log := &syncLog{}
	n := &scripted{name: "svc", log: log, react: func(in node.Input) []node.Effect {
		if _, ok := in.(node.Start); ok {
			return []node.Effect{node.Listen{Sock: 1, Addr: addr, Transport: node.WSS, Security: &node.Security{Own: cred(svc)}, Protocol: "push"}}
		}
		return nil
	}}
	h := realnet.NewHost(zerolog.Nop(), nil)
	h.Add("svc", addr.Addr(), n)
	const rounds = 200
	runWith(t, h, log, func(ctx context.Context) {
		d := websocket.Dialer{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, HandshakeTimeout: 5 * time.Second}
		for range rounds {
			ws, resp, err := d.DialContext(ctx, "wss://"+addr.String()+"/", nil)
			if resp != nil && resp.Body != nil {
				resp.Body.Close()
			}
			if err != nil {
				t.Fatal(err)
			}
			ws.Close()
		}
		waitLog(t, ctx, log)
		deadline := time.Now().Add(10 * time.Second)
		for strings.Count(log.String(), "closed") < rounds && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if got := strings.Count(log.String(), "closed"); got < rounds {
			t.Fatalf("%d of %d connections reported closed", got, rounds)
		}
		time.Sleep(100 * time.Millisecond) // the writers wind down after Closed
		if got := realnet.OwnedConns(h); got > 10 {
			t.Errorf("the host keeps %d closers after %d connections ended", got, rounds)
		}
	})
}
