package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Hostile input on pushsim's ports: what a stranger (or a broken peer)
// sends ends its own connection, never the process, and what it holds is
// bounded.

// pbxTLS is the TLS configuration of a Push object of the test PKI.
func pbxTLS(t *testing.T, ps *pushsimRun) *tls.Config {
	t.Helper()
	cert := loadPair(t, ps.o.TestPKI, filePBX, filePBXKey)
	return &tls.Config{Certificates: []tls.Certificate{*cert}, RootCAs: pool(t, ps.o.TestPKI, fileServiceCA),
		ServerName: serviceHost, NextProtos: []string{"http/1.1"}}
}

// dialService opens a proper WebSocket to the service, as a Push object.
func dialService(t *testing.T, ps *pushsimRun) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{TLSClientConfig: pbxTLS(t, ps), HandshakeTimeout: 5 * time.Second,
		NetDialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, ps.o.Listen.String())
		}}
	ws, resp, err := d.Dial("wss://"+serviceHost+ps.o.Path, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		t.Fatalf("a proper Push object cannot connect: %v", err)
	}
	return ws
}

// readsUntilClosed reads until the connection ends, within d; it reports
// whether it ended.
func readsUntilClosed(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// RFC 6455 5.1: a server closes the connection on an unmasked client frame.
func TestHostileUnmaskedFrame(t *testing.T) {
	ps := startPushsim(t)
	raw, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ps.o.Listen.String(), pbxTLS(t, ps))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	fmt.Fprintf(raw, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", ps.o.Path, serviceHost, key)
	br := bufio.NewReader(raw)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	// FIN + text, no mask bit, 5 bytes.
	if _, err := raw.Write([]byte{0x81, 0x05, 'h', 'e', 'l', 'l', 'o'}); err != nil {
		t.Fatal(err)
	}
	// The server's frames are unmasked: read them up to its close frame,
	// which must say 1002 (protocol error), as gorilla's reader does.
	_ = raw.SetReadDeadline(time.Now().Add(10 * time.Second))
	code := 0
	for code == 0 {
		var h [2]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			t.Fatalf("the connection ended without a close frame: %v", err)
		}
		n := int(h[1] & 0x7f)
		if n == 126 {
			var l [2]byte
			if _, err := io.ReadFull(br, l[:]); err != nil {
				t.Fatal(err)
			}
			n = int(l[0])<<8 | int(l[1])
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(br, payload); err != nil {
			t.Fatal(err)
		}
		if h[0]&0x0f == 0x8 && n >= 2 {
			code = int(payload[0])<<8 | int(payload[1])
		}
	}
	if code != websocket.CloseProtocolError {
		t.Errorf("close code %d, want 1002 (protocol error)", code)
	}
	if !readsUntilClosed(raw, 10*time.Second) {
		t.Error("the service kept the connection open after its close frame")
	}
	dialService(t, ps).Close() // still serving
}

// A WebSocket message over MaxWebMessage ends its connection.
func TestHostileOversizedMessage(t *testing.T) {
	ps := startPushsim(t)
	ws := dialService(t, ps)
	defer ws.Close()
	_ = ws.WriteMessage(websocket.TextMessage, []byte(strings.Repeat("x", 1<<20)))
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("the service kept a connection that sent a 1 MiB message")
			}
			break
		}
	}
	dialService(t, ps).Close()
}

// A flood of HTTP/2 requests on the APNs provider API (no provider token):
// every one is answered or refused, the process goes on and its
// goroutines come back down.
func TestHostileHTTP2Flood(t *testing.T) {
	ps := startPushsim(t)
	before := runtime.NumGoroutine()
	var p http.Protocols
	p.SetHTTP2(true)
	tr := &http.Transport{Protocols: &p, ForceAttemptHTTP2: true, MaxConnsPerHost: 4,
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true, ServerName: "api.push.apple.com"}}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	const n = 2000
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for i := range n {
		wg.Go(func() {
			body := strings.NewReader(`{"aps":{}}`)
			req, _ := http.NewRequest(http.MethodPost, "https://"+ps.o.APNs.String()+"/3/device/"+strings.Repeat("a", 64), body)
			req.Header.Set("apns-push-type", "voip")
			req.Header.Set("apns-topic", fmt.Sprint(i))
			resp, err := client.Do(req)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				statuses[0]++
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[resp.StatusCode]++
		})
	}
	wg.Wait()
	if statuses[403] == 0 || statuses[200] != 0 {
		t.Errorf("answers %v: want 403 (no provider token), never 200", statuses)
	}
	tr.CloseIdleConnections()
	waitFor(t, "the goroutines to come back down", 20*time.Second, func() bool { return runtime.NumGoroutine() < before+50 })
	dialService(t, ps).Close()
}

// Clients that connect and never finish (or never start) the TLS handshake
// are dropped after the handshake timeout; meanwhile the service serves.
func TestHostileSlowClients(t *testing.T) {
	ps := startPushsim(t)
	var conns []net.Conn
	for range 50 {
		c, err := net.DialTimeout("tcp", ps.o.Listen.String(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		if len(conns)%2 == 0 {
			_, _ = c.Write([]byte{0x16, 0x03, 0x01}) // a ClientHello that never ends
		}
	}
	dialService(t, ps).Close()
	for i, c := range conns {
		if !readsUntilClosed(c, 20*time.Second) {
			t.Fatalf("slow client %d still connected after 20 s", i)
		}
		c.Close()
	}
}

// BenchmarkProviderAPIRequest: one HTTP/2 request to the APNs emulator
// through realnet (TLS, net/http, the host's loop, the emulator's core),
// answered 403 since it has no provider token; 16 at a time on 2
// connections.
func BenchmarkProviderAPIRequest(b *testing.B) {
	ps := startPushsim(b)
	var p http.Protocols
	p.SetHTTP2(true)
	tr := &http.Transport{Protocols: &p, ForceAttemptHTTP2: true, MaxConnsPerHost: 2,
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true, ServerName: "api.push.apple.com"}}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	url := "https://" + ps.o.APNs.String() + "/3/device/" + strings.Repeat("a", 64)
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"aps":{}}`))
			req.Header.Set("apns-push-type", "voip")
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}
