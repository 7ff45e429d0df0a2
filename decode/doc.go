// Package decode turns a packet capture into a readable account of the
// H.323 messages in it: every RAS message and every Q.931 call-signalling
// message with its H.225.0 body, one Message per protocol message, with its
// packet number, time, endpoints, transport, type and key fields.
//
// # Where messages are found
//
// RAS is found on UDP port 1719 (either side) and on the addresses the
// capture's own messages announce for RAS (rasAddress of GRQ, GCF, RRQ, LCF
// and IRR, alternate gatekeepers and endpoints). Call signalling is found
// on any TCP stream, cut into TPKT frames here: a direction is H.225.0 when
// one of its ends is TCP 1720 or a call-signalling address a message
// announced (callSignalAddress of RRQ and RCF, the addresses of ARQ and
// ACF, sourceCallSignalAddress and destCallSignalAddress of a Setup, LCF,
// alternate endpoints, a Facility's alternativeAddress), or when its first
// non-empty frame starts with the Q.931 protocol discriminator, as a
// dissector's heuristic does. An address may be announced after its stream
// started: an undecided stream keeps its last MaxHeldFrames frames (at most
// MaxHeldBytes) and decodes them when the address is learnt, late in the
// output but with their own packet numbers. A stream whose bytes are not
// TPKT (a capture that starts inside a message) is picked up again at the
// next segment that starts a frame. RAS tunnelled in a Q.931 Facility
// (H.460.17) is a RAS message of its own, after its carrier.
//
// # What is shown
//
// Besides addresses, aliases, numbers, causes and identifiers: the
// tunnelled H.245 messages (h245Control) by name, read from the first bits
// of their PER encoding (H245Name), without decoding them further; H.235
// tokens by kind, algorithm, token OID, generalID, sendersID and time stamp,
// never a hash, password, key or random value; the vendor, product and
// version each endpoint announces, also listed once per endpoint in the
// summary. The summary counts the messages per transport (RAS over UDP,
// RAS over H.460.17, call signalling over TCP, tunnelled H.245) and the
// packets that carried none, by cause.
//
// Verification re-encodes every decoded message with the project's codecs
// and reports any whose bytes differ from the capture's: the codec must
// reproduce what real stacks send, byte for byte.
//
// # Counting
//
// Every message is either decoded (it decoded and, when verified,
// re-encoded to the same bytes) or failed (it did not decode, or did not
// verify), never both; reports of a packet or stream that should have
// carried a message (a gap, a reset inside a message) are failures too. A
// capture that holds packets but no H.225.0 message at all is a failure
// (Summary.Problem says so, with the skipped packets by cause and the
// file's link types, since an unsupported link type looks exactly like
// that); an empty but valid capture is not: it reports "0 packets" and
// succeeds. A packet that does not decode is reported with its packet
// number and the error, and decoding goes on with the next one.
//
// # Memory
//
// Stream reads a file a record at a time and passes each message on as it
// is found; the text and JSON writers write it at once. What is held is the
// state of the open TCP streams (one TPKT frame being assembled per
// direction, at most 65,535 octets, the frames held for a second look, and
// the reassembler's bounded out-of-order data), the learnt addresses (at
// most MaxLearnt of each kind) and the endpoints (at most MaxEndpoints), so
// memory follows the largest open streams, not the size of the file.
// File collects every message of a capture and is meant for small ones;
// Decode works on a capture already read and does no I/O.
package decode
