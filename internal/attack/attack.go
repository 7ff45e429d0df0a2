// Package attack replays, on loopback, the attacks of a stranger on the
// network against a callwake endpoint (phonesim today; pbxsim serve and
// pushsim next): junk and forged RAS datagrams, a sweep of the sequence
// numbers, IRQ reflection, the H.235 hash bomb, a Setup from a stranger,
// slowloris, half-open connections and an oversized TPKT. Each attack is a
// function that does it and reports what came back, so that a test can
// check the target refused it or paid a bounded, small price; `make
// hostile` runs them (see cmd/phonesim's TestHostile).
//
// The stranger is an address of its own (a loopback IP other than the
// target's and its gatekeeper's): off-path, it can reach the target's
// ports and guess, but it cannot see the honest traffic nor spoof a
// source address.
package attack

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/ras"
)

// Stranger is the attacker: the IP its sockets bind.
type Stranger struct {
	IP netip.Addr
}

// udp opens a socket of the stranger.
func (s Stranger) udp() (*net.UDPConn, error) {
	return net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(s.IP, 0)))
}

// Send sends every payload to to from one socket of the stranger, and
// counts the datagrams that come back within wait after the last one (an
// answer is an amplification, or a forged exchange that worked).
func (s Stranger) Send(to netip.AddrPort, payloads [][]byte, wait time.Duration) (answers int, err error) {
	c, err := s.udp()
	if err != nil {
		return 0, err
	}
	defer c.Close()
	var wg sync.WaitGroup
	var n int
	done := make(chan struct{})
	wg.Go(func() {
		buf := make([]byte, 65535)
		for {
			if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
				select {
				case <-done:
					return
				default:
				}
				if errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded) {
					return
				}
				continue
			}
			n++
		}
	})
	for i, p := range payloads {
		if _, err := c.WriteToUDPAddrPort(p, to); err != nil {
			return n, err
		}
		if i%1000 == 999 {
			time.Sleep(time.Millisecond) // a flood the receiver reads, not one the kernel drops
		}
	}
	_ = c.SetReadDeadline(time.Now().Add(wait))
	wg.Wait()
	close(done)
	return n, nil
}

// Junk is n datagrams of junk (no RasMessage): the flood of a scanner.
func Junk(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte{0xff, byte(i), byte(i >> 8), 0xfe, 0, 0, 0, 0, 1, 2, 3, 4}
	}
	return out
}

// Sweep builds one message per sequence number 1..65535 (an off-path
// attacker answering whatever the target asked): build gets the number.
func Sweep(build func(seq uint16) *h225.RasMessage) ([][]byte, error) {
	out := make([][]byte, 0, 65535)
	for seq := 1; seq <= 65535; seq++ {
		b, err := ras.Encode(build(uint16(seq)))
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// ForgedRCF registers the target with the attacker's "gatekeeper".
func ForgedRCF(evil netip.AddrPort) func(uint16) *h225.RasMessage {
	return func(seq uint16) *h225.RasMessage {
		return ras.NewRCF(seq, "evil", evil, ras.Info{Alias: "victim", EndpointID: "evil-1"}, time.Hour)
	}
}

// ForgedACF sends the target's next call to the attacker.
func ForgedACF(evil netip.AddrPort) func(uint16) *h225.RasMessage {
	return func(seq uint16) *h225.RasMessage { return ras.NewACF(seq, 1280, evil) }
}

// ForgedGCF names the attacker as the gatekeeper to register with.
func ForgedGCF(evil netip.AddrPort) func(uint16) *h225.RasMessage {
	return func(seq uint16) *h225.RasMessage { return ras.NewGCF(seq, "evil", evil, nil) }
}

// URQ unregisters the target (as a gatekeeper may).
func URQ(seq uint16) []byte {
	b, _ := ras.Encode(ras.NewURQ(seq, ras.Info{Alias: "victim"}))
	return b
}

// IRQ asks the target for an IRR to replyTo: a reflection onto a victim
// (the IRR is bigger than the IRQ).
func IRQ(seq uint16, replyTo netip.AddrPort) []byte {
	b, _ := ras.Encode(ras.NewIRQ(seq, replyTo))
	return b
}

// hmacLen is the length of an HMAC-SHA1-96 hash.
const hmacLen = 12

// HashBomb is the datagram of the CPU attack on H.235.1 checking: a URQ
// of about 60 KB, mostly zero octets, whose token hash is 12 zero octets
// and whose timestamp is now, naming endpointID at gatekeeper gkID.
func HashBomb(now time.Time, endpointID, gkID string) ([]byte, error) {
	m := ras.NewURQ(7, ras.Info{Alias: "victim", EndpointID: endpointID, GatekeeperID: gkID})
	m.UnregistrationRequest.NonStandardData = &h225.NonStandardParameter{
		NonStandardIdentifier: h225.NonStandardIdentifier{Choice: h225.NonStandardIdentifierH221NonStandard,
			H221NonStandard: &h225.H221NonStandard{T35CountryCode: 181}},
		Data: make([]byte, 60000),
	}
	ts := h225.TimeStamp(now.Unix())
	random := h225.RandomVal(1)
	general, sender := h225.Identifier(gkID), h225.Identifier(endpointID)
	m.UnregistrationRequest.CryptoTokens = []h225.CryptoH323Token{{Choice: h225.CryptoH323TokenNestedcryptoToken,
		NestedcryptoToken: &h225.CryptoToken{Choice: h225.CryptoTokenCryptoHashedToken, CryptoHashedToken: &h225.CryptoTokenCryptoHashedTokenType{
			TokenOID: ras.OIDAllFields(),
			HashedVals: h225.ClearToken{TokenOID: ras.OIDClearToken(), TimeStamp: &ts, Random: &random,
				GeneralID: &general, SendersID: &sender},
			Token: h225.HashedEncodedGeneralToken{AlgorithmOID: ras.OIDHMACSHA196(), Hash: h225.BitString{Bytes: make([]byte, hmacLen), BitLen: 8 * hmacLen}},
		}}}}
	return ras.Encode(m)
}

// Victim is a UDP socket that counts what reaches it (the third party of
// a reflection).
type Victim struct {
	Addr netip.AddrPort
	c    *net.UDPConn
	mu   sync.Mutex
	n    int
	wg   sync.WaitGroup
}

// NewVictim binds a victim at ip.
func NewVictim(ip netip.Addr) (*Victim, error) {
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
	if err != nil {
		return nil, err
	}
	v := &Victim{Addr: c.LocalAddr().(*net.UDPAddr).AddrPort(), c: c}
	v.wg.Go(func() {
		buf := make([]byte, 65535)
		for {
			if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			v.mu.Lock()
			v.n++
			v.mu.Unlock()
		}
	})
	return v, nil
}

// Close stops the victim and returns how many datagrams reached it.
func (v *Victim) Close() int {
	v.c.Close()
	v.wg.Wait()
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.n
}
