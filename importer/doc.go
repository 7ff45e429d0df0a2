// Package importer turns a packet capture into a scenario that reproduces
// it: pbxsim import. It reads the capture with package decode, finds its
// actors, reads from the messages what the world must have been, writes a
// scenario file in the public format (docs/scenario-format.md) with a
// comment on every value saying where it comes from, drafts the expect
// list from the capture's own messages, and checks the file by running it.
//
// # Actors
//
// A gatekeeper is the address RAS requests go to and confirms come from;
// each is a PBX (its gatekeeper identifier is the system name, the h323-ID
// it calls devices with is its name). Every other side of a RAS exchange is
// an endpoint, a device: told apart by IP address when every address is one
// actor's (a simulated world, a network of separate phones), by address and
// port otherwise (several stacks on one host). Call signalling is placed by
// the addresses the RRQs, RCFs and ACFs announced, and a connection from an
// ephemeral port by the Setup that opens it: its callIdentifier is that of
// the ARQ of the endpoint that placed the call; a connection to an
// endpoint's call-signalling address comes from its gatekeeper.
//
// # What is read
//
//   - Users: the h323-ID of an endpoint's aliases (an ID another one
//     extends, "alice" of "alice-iphone", is the user's, the other the
//     device's) and its dialled digits; numbers dialled that no endpoint has
//     are users too, unless the gatekeeper refused them
//     (calledPartyNotRegistered).
//   - Desk phone or app: an endpoint that a push wakes (its registration
//     follows a call offered to its user), that registers late or that
//     unregisters is an app; the wake latency is the time from the push to
//     its first RAS message less the push path's default latencies (iOS,
//     or Android when iOS's would leave less than nothing; a device of the
//     model discovers its gatekeeper first, an H.460.17 one opens its
//     connection first). A registration no push explains is the user
//     opening the app; an unregistration is the app closed, or logged out
//     when the next call finds nothing to push.
//   - Calls from the ARQs (and Setups) endpoints send, at their times; the
//     callee's answer delay from its Alerting and Connect, busy and declined
//     from its Release Complete; the caller's hang-up after the answer.
//   - Routing from the gatekeeper's legs: devices ringing with the target
//     are forks (or, when the target rings nowhere, an unconditional
//     forward), a leg opened after the target's legs ended is a forward on
//     no answer (with its delay) or on busy; a release at once with cause
//     17 is do-not-disturb, with 18 nothing to push, 18 after a wait the
//     registration timeout, 19 the no-answer timeout, 1 a forward to an
//     unallocated number, 31 a forward loop. A Facility with the caller's
//     name gives the name lookup time.
//   - H.235: an endpoint that signs gets a user password, written as a
//     marked placeholder (a capture holds hashes, never a password); one
//     the gatekeeper refuses gets a different placeholder, a clock skew
//     when its time stamps run ahead, or no password when it sent none.
//     The GRQ's gatekeeper identifier and the RRQ's time-to-live are kept.
//   - The network: the latency is the lower median time from a RAS request
//     to its answer (one way, in a capture taken where messages are sent;
//     close to nothing on one host), per device when its own differs. A
//     request answered but sent again lost its answer, one never answered
//     was lost: each such loss is reproduced by switching the device's link
//     to lossy around that datagram. The windows are placed on the run, not
//     the capture (the model's times differ where jitter or a stream's
//     retransmissions made the capture's), one loss at a time, and the
//     first loss probability that makes the run repeat the capture's link
//     up to the next message is kept.
//   - Restarts: a gatekeeper silent while requests of two endpoints or
//     more go unanswered, that then refuses registrations held before, is
//     a restart action with its down time (restart.go).
//
// What a capture cannot tell (the push path, the apps' settings, why an
// app did not wake, the firmware) is a model choice, written as such: a
// pushed app that never registers is an iOS app with notifications denied,
// or one no longer the default softphone, a push the PBX could not make
// while a later one works is a push service outage.
//
// # Populations
//
// Many endpoints alike (the same kind and settings, names and users'
// names carrying an index running through them) are written as one
// population each of users, devices, calls and actions, and their
// messages drafted as counts per group and percentiles of their
// registrations' delays rather than one item per message, so that a storm
// of thousands of phones makes a short file (population.go,
// popexpect.go). Endpoints not alike are written one by one; a capture of
// thousands of them is refused by its size.
//
// # Expectations
//
// The expect list is drafted with report.DraftExpectationsWith from every
// message a scenario can name, in order, between the actors' scenario
// names, with a window of the margin (plus the variation of the device's
// exchanges) around its time. The file is then run: every item the run
// does not meet is commented out with what the run did instead, so the file
// passes, and the reader sees where the capture and the model part. Over
// the scenario library (a capture of the model's own runs) nothing is
// commented out, and the imported runs repeat every conversation: a
// property test checks both.
//
// # Bounds
//
// An import holds the decoded messages of the capture (at most
// MaxMessages), refuses a capture longer than a scenario may run, and
// spends at most a bounded number of runs placing losses (MaxLosses).
package importer
