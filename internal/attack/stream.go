package attack

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

// dial opens a TCP connection of the stranger to to.
func (s Stranger) dial(to netip.AddrPort) (net.Conn, error) {
	d := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(s.IP, 0)), Timeout: 5 * time.Second}
	return d.Dial("tcp", to.String())
}

// strangerSetup is a Setup (call reference 9) in a TPKT: enough to ring a
// phone that answers anyone.
var strangerSetup = []byte{3, 0, 0, 9, 0x08, 0x02, 0x00, 0x09, 0x05}

// Setup calls the target from the stranger and reports how many bytes
// the target answered before it closed the connection (0: refused).
func (s Stranger) Setup(to netip.AddrPort, wait time.Duration) (answered int, err error) {
	c, err := s.dial(to)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if _, err := c.Write(strangerSetup); err != nil {
		return 0, nil // closed at once: refused
	}
	_ = c.SetReadDeadline(time.Now().Add(wait))
	n, _ := io.Copy(io.Discard, c)
	return int(n), nil
}

// Oversized announces a TPKT of 65535 octets and sends its start; it
// reports whether the target closed the connection within wait.
func (s Stranger) Oversized(to netip.AddrPort, wait time.Duration) (closed bool, err error) {
	c, err := s.dial(to)
	if err != nil {
		return false, err
	}
	defer c.Close()
	_, _ = c.Write(append([]byte{3, 0, 0xff, 0xff}, make([]byte, 1000)...))
	return closedWithin(c, wait), nil
}

// closedWithin reports whether the peer ended c within d.
func closedWithin(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 512)
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue
		}
		return !errors.Is(err, os.ErrDeadlineExceeded)
	}
}

// Held is a set of connections an attack keeps open as long as the
// target lets it.
type Held struct {
	mu     sync.Mutex
	open   int
	opened int
	stop   chan struct{}
	wg     sync.WaitGroup
}

// Open is how many of the connections the target has not closed yet.
func (h *Held) Open() int { h.mu.Lock(); defer h.mu.Unlock(); return h.open }

// Opened is how many connections were established.
func (h *Held) Opened() int { h.mu.Lock(); defer h.mu.Unlock(); return h.opened }

// Stop closes what is still open and waits for the attack's goroutines.
func (h *Held) Stop() { close(h.stop); h.wg.Wait() }

// WaitClosed waits until the target closed every connection or d passed;
// it reports whether it did.
func (h *Held) WaitClosed(d time.Duration) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if h.Open() == 0 {
			return true
		}
	}
	return h.Open() == 0
}

// HalfOpen opens n connections that never send anything.
func (s Stranger) HalfOpen(to netip.AddrPort, n int) *Held {
	return s.hold(to, n, nil)
}

// Slowloris opens n connections that each trickle a TPKT (announcing 4 KB)
// one octet every every.
func (s Stranger) Slowloris(to netip.AddrPort, n int, every time.Duration) *Held {
	frame := append([]byte{3, 0, 0x10, 0}, make([]byte, 4092)...)
	return s.hold(to, n, func(c net.Conn, stop <-chan struct{}) {
		for _, b := range frame {
			select {
			case <-stop:
				return
			case <-time.After(every):
			}
			if _, err := c.Write([]byte{b}); err != nil {
				return
			}
		}
	})
}

func (s Stranger) hold(to netip.AddrPort, n int, talk func(net.Conn, <-chan struct{})) *Held {
	h := &Held{stop: make(chan struct{})}
	for range n {
		c, err := s.dial(to)
		if err != nil {
			continue // refused or timed out: the target is not holding it
		}
		h.mu.Lock()
		h.open++
		h.opened++
		h.mu.Unlock()
		h.wg.Go(func() {
			defer func() { h.mu.Lock(); h.open--; h.mu.Unlock() }()
			if talk != nil {
				h.wg.Go(func() { talk(c, h.stop) })
			}
			ended := make(chan struct{})
			go func() {
				_, _ = io.Copy(io.Discard, c) // ends when the target closes
				close(ended)
			}()
			select {
			case <-ended:
			case <-h.stop:
			}
			c.Close()
			<-ended
		})
	}
	return h
}
