// Package realnet is the real driver: it hosts nodes (package node) — the
// PBX, phones, the push service — on real sockets and the wall clock, the
// way package sim hosts the same nodes in a simulated world. It knows no
// node in particular; `phonesim` runs phone nodes on it against a real
// gatekeeper, and its tests run phone and PBX nodes against each other on
// loopback addresses.
//
// # One goroutine handles the nodes
//
// A Host has a Loop, a small event loop. Socket reader goroutines and
// timers never touch a node: they Post a closure to the loop's channel, and
// the loop's own goroutine runs the closures one at a time, handing each
// node one input (node.Input) and carrying out the effects it returns, in
// order. A node is therefore single-threaded exactly as in the simulated
// driver. Timers are one time.AfterFunc per pending timer ID and node; a
// timer set again replaces the pending one, and one cancelled, replaced or
// fired is never delivered (a generation check on the loop).
//
// # Transports
//
// UDP; DTLS (pion/dtls, DTLS 1.2: one association per peer on one UDP
// socket, see dtls.go); TCP and TLS (crypto/tls) carrying TPKT frames (RFC 1006, added and
// removed here: nodes send and receive Q.931 without them; an empty TPKT
// keep-alive reaches no node); WSS (gorilla/websocket over TLS) carrying
// text messages; HTTP2 (net/http) carrying requests and responses. A secure
// transport presents the node's Security.Own certificate, verifies the peer
// against Security.Roots and reports the peer's identity (node.Peer).
//
// A stream the framing cannot read (a bad TPKT header, an oversized
// WebSocket message) is closed and reported as node.Closed with
// node.ErrFraming. Each connection has a bounded write queue: a peer that
// lets it fill (it stopped reading) is dropped at once and reported with
// node.ErrReset, so that it never stalls the loop. A dial reports
// node.ErrRefused when nothing listens, node.ErrUntrusted when the
// listener's certificate chains to none of the trusted issuers.
//
// A WSS or HTTP2 listener holds at most MaxWebConns connections (more
// wait in the kernel's accept queue), MaxWebStreams concurrent HTTP/2
// streams on each with bounded receive buffers, 16 KiB of request header,
// and a request (or an upgrade) must arrive whole within ResponseTimeout;
// gorilla refuses a client frame without a mask (RFC 6455 5.1, close 1002).
// A connection that ended is forgotten: a long-running host whose peers
// come and go keeps nothing of them.
//
// # Limits
//
// Limits (limits.go) bound what peers can make the host hold: accepted
// connections in all and per source address (one over a cap is closed at
// once), an idle timeout for accepted connections that delivered no
// message yet, a read timeout per TPKT frame, the TPKT length, the UDP
// receive buffer asked of the kernel, log lines about peers (once per
// cause and source per window, the rest counted) and the events recorded
// from peers the host does not run (a budget per source per window).
//
// Host.KeyLog (KeyLogEnv, SSLKEYLOGFILE) receives the secrets of every TLS
// and DTLS session, for Wireshark to decrypt captures of them.
//
// # The timeline
//
// Every message a hosted node sends is recorded on one timeline (package
// timeline) with the actors at both ends, by name for hosted nodes and by
// address otherwise, and its wire bytes; Describe names what arrives from
// peers the host does not run. report.WritePcapAt turns the timeline into
// a capture stamped with the run's wall-clock times.
//
// # Network knobs
//
// Net applies a scenario's network to what the hosted nodes send: a delay
// queue for latency and jitter, seeded drops of datagrams for loss, and
// dropped datagrams and failing dials for blocked ports and downed links.
//
// # Shutdown
//
// Run starts every node and runs until its context ends; then it hands
// every node Stop, waits (up to StopGrace) for each to wind down (release
// its calls, unregister) and report node.Done, closes every socket and
// returns once every goroutine it started has ended. Socket errors are
// logged with zerolog and end the connection they belong to, never the
// process.
package realnet
