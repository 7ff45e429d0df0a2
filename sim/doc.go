// Package sim is the substrate of the simulated driver: one seeded,
// single-threaded world on a virtual clock. A 10-second timeout takes
// microseconds, and the same seed gives the same run, event for event.
//
// It has three parts, each usable alone:
//
//   - Loop, a virtual clock with an event queue. Events run in order of time,
//     then of scheduling (so equal times keep the order in which they were
//     set). Loop.At, Loop.After and Loop.Cancel schedule and cancel; Loop.Run
//     runs up to a time and leaves the clock there; Loop.Step runs one event.
//     The queue is a binary heap of 24-byte pointer-free entries, and a
//     cancelled timer is dropped lazily (a generation check), so an idle
//     timer costs a few dozen bytes and a cancel is O(1).
//
//   - Rand, a seeded PCG stream, the only randomness of a world. Rand.Fork
//     derives an independent stream per actor or link from the seed and a
//     name, so adding an actor does not change what the others draw.
//
//   - Network, an in-memory IP network on the Loop: datagrams
//     (Network.ListenUDP, Network.SendUDP) and byte streams
//     (Network.ListenStream, Network.Dial, Conn) between netip.AddrPort
//     endpoints, with a default LinkProfile (latency, jitter, loss, outage,
//     stream splitting) and per-pair overrides that may change at any time,
//     and blocked ports. AddressPlan hands out the simulated addresses:
//     10.0.0.0/24 for infrastructure, 10.1.0.1 upwards for devices.
//
// Datagram drops are decided when the datagram is sent, so that the sender
// can record its message event with `lost: true`. Streams are lossless and
// ordered (loss costs retransmission delay, an outage stalls them); see Conn
// for the model.
//
// Nothing here reads the wall clock, starts a goroutine or opens a socket;
// none of it is safe for concurrent use, because a world has one thread.
// Callbacks run inside Loop.Run or Loop.Step and may schedule, send, dial
// and change links freely.
package sim
