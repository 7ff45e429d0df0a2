// Package ras is the H.225.0 RAS (registration, admission and status) core of
// callwake: an endpoint that discovers a gatekeeper, registers, keeps its
// registration alive, asks admission for calls and unregisters; and a
// gatekeeper that answers all of that, with H.235 password authentication.
//
// Both sides are sans-I/O state machines. They never read a clock, start a
// goroutine or touch a socket: every method takes the current time as an
// argument and returns effects — datagrams to send (already PER-encoded),
// timers to set or cancel, outcomes and records for the timeline. The driver
// puts the datagrams on a (simulated or real) wire and fires the timers back.
//
// Timing follows the defaults of the open-source H.323 stacks: a RAS
// request is retransmitted after 3 s, twice, and given up 3 s after the last
// retransmission (a discovery request uses 5 s); a RequestInProgress from the peer re-arms the
// timer with the delay it announces. A registered endpoint sends a
// lightweight RRQ (keepAlive, H.225.0 7.9.1) at 90 % of the time-to-live the
// gatekeeper granted.
//
// Besides the messages (Send) and the outcomes, the cores report these
// records: ras.malformed {from, error} for a datagram that does not decode
// (never answered: its sequence number cannot be trusted); ras.refused {from,
// why} for a datagram an endpoint got from an address other than its
// gatekeeper's; ras.security_error {message, seq, error} for a token that
// fails (the gatekeeper then answers securityDenial, the endpoint ignores the
// answer); ras.ignored {message, seq, why} for an answer no outstanding
// request is waiting for; ras.registration_expired {alias, endpoint_id} when
// the gatekeeper ends a registration that was not refreshed; ras.encode_error
// when a configured value cannot be encoded (an alias outside BMP, a number
// outside the dialledDigits alphabet). The records of refused datagrams
// (malformed, refused, security_error, ignored) are rate-limited per name: a
// burst of RecordBurst, then one per RecordInterval, the next one carrying
// suppressed=N; junk costs a bounded number of records, not one each.
//
// Hostile peers (DESIGN.md principle 6). An endpoint takes RAS only from its
// gatekeeper: the configured address, then the rasAddress of a GCF that came
// from it. It answers an IRQ to the gatekeeper only, never to a replyAddress
// elsewhere, so it cannot be made to reflect datagrams. An answer must match
// an outstanding request by sequence number and type, and the first sequence
// number is drawn from EndpointConfig.Random (drivers pass crypto/rand, the
// simulation a seeded source), so a stranger cannot guess it; over UDP an
// attacker who forges the gatekeeper's source address can still sweep the
// 65,535 numbers, which only H.235 (every confirm signed) or DTLS stops. An
// endpoint that gives up a registration the gatekeeper may hold (an RRQ
// unanswered or abandoned, its RCF refused, a keep-alive timed out) sends a
// cleanup URQ (timeline attribute cleanup=true), whose outcome is not
// reported; a new Register stops it.
//
// An endpoint configured with a GatekeeperID asks for that gatekeeper in
// its GRQ; a gatekeeper with another ID answers GRJ terminalExcluded and
// the endpoint reports RegistrationFailed{discoveryRejected} (B30). A
// registration remembers whether the RRQ announced maintainConnection, so
// the PBX can send its Setups over the endpoint's open connection (B32).
// The cores do not care how datagrams travel: over UDP, DTLS or tunnelled
// in the call-signalling connection (H.460.17, package h323) the bytes are
// the same.
//
// H.235 password authentication (B31) is described in h235.go.
package ras
