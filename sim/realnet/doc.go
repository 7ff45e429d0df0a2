// Package realnet is the real driver's I/O shell: it runs callwake's
// sans-I/O cores (ras.Endpoint, ras.Gatekeeper, h323.Leg, phone.Phone) on
// real sockets and the wall clock, so a simulated phone can talk to a real
// PBX or gatekeeper, and a later `pbxsim serve` can host the gatekeeper side.
//
// # One goroutine owns the cores
//
// A Loop is a small event loop. Socket reader goroutines and timers never
// touch a core: they Post a closure to the loop's channel, and the loop's
// own goroutine (Loop.Run) runs the closures one at a time. The cores
// therefore stay single-threaded exactly as in the simulated driver, and the
// effects they return are carried out by the loop: UDPSocket.Send for RAS
// datagrams, Conn.Send for Q.931 messages (TPKT framing is added here, as the
// cores hand over Q.931 without it), Timers for SetTimer/CancelTimer (one
// time.AfterFunc per pending timer, firing back through Post).
//
// # Shutdown
//
// Everything hangs off the context given to Loop.Run: when it ends, Run
// closes the sockets registered with the loop (which ends their reader and
// writer goroutines), stops the timers, and waits for every goroutine the
// loop started (Loop.Go). A Post after that is dropped. Socket errors are
// logged with zerolog and end the connection they belong to, never the
// process.
//
// # The phone
//
// RunPhone is the `phonesim` logic: a desk-phone decision core
// (package phone) with a RAS endpoint that registers over UDP (optional GRQ,
// RRQ, keep-alives, URQ on the way out) and a TCP listener for call
// signalling that answers Setups with Call Proceeding, then Alerting and
// Connect as the phone core decides. With PhoneConfig.Call it also places
// a call: ARQ, a TCP connection to the destCallSignalAddress of the ACF,
// Setup, and the progress until Release Complete; the driver runs the
// Q.931 timers T303 (Setup unanswered) and T310 (Call Proceeding without
// progress), which clear the call with cause 102. Every message sent and
// received is reported as a TraceEvent (time since start, direction, the
// timeline name and attributes, and the wire bytes); WritePcap turns those
// into a pcap file (package capture) with the run's wall-clock timestamps.
//
// The phone is an H.323 endpoint of the gatekeeper-routed model. Before an
// incoming call rings it asks its gatekeeper for admission (ARQ with
// answerCall, H.323 8.1) unless the RCF pre-granted answering
// (preGrantedARQ answerCall) — PhoneConfig.AnswerAdmission can make it
// always or never ask; an ARJ refuses the call with cause 21 without
// ringing, and an admitted call is disengaged (DRQ) when it ends. The
// simulated devices of the scenario world never ask (their PBX model routes
// calls without admitting the called side). It opens no H.245 and carries
// no media.
//
// # The load
//
// RunLoad is `phonesim load`: a population of RAS endpoints on one loop,
// each with its own UDP socket, registering at a rate, sending keep-alives,
// re-registering after a failure or loss when told, and unregistering at
// the end; one TCP listener refuses the calls they receive (cause 17). It
// counts registrations, failures and losses by reason, keep-alives and the
// time from each registration's first request to its RCF. A population is
// split between processes by shard (endpoint k belongs to shard k mod N).
package realnet
