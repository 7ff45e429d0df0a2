// Package control is callwake's H.245 peer: the sans-I/O core of one H.323 call's control
// channel, the part of a real endpoint that negotiates media before any RTP flows. It speaks
// the procedures an audio-only endpoint needs and answers everything else the way H.245 says
// a terminal answers what it does not support.
//
// A Peer is a plain value. Its inputs are method calls — Start (the control channel exists),
// Handle (one MultimediaSystemControlMessage arrived, PER-encoded), Timeout (a timer it asked
// for expired) and End (the call is being released) — and its outputs are effects: Send
// carries one encoded message to write on the control channel, whatever carries it (tunnelled
// in H.225.0 h245Control octet strings, or one TPKT frame on a separate TCP connection: that
// is the caller's, see package h323), SetTimer and StopTimer ask the driver for the H.245
// timers, and the other effects report what was negotiated. The peer reads no clock, starts no
// goroutine and touches no socket; its randomness (the master-slave determination number) is
// Config.Random.
//
// # Procedures
//
//   - Capability exchange (H.245 8.4, CESE): Start sends a terminalCapabilitySet — H.225.0
//     multiplex capability, one receiveAudioCapability per configured codec (g711Alaw64k,
//     g711Ulaw64k, Config.FramesPerPacket frames a packet), one descriptor offering any one of
//     them — and waits for its Ack (timer T101; on expiry terminalCapabilitySetRelease). A
//     peer's set is acknowledged with terminalCapabilitySetAck and remembered; the codecs it
//     can receive are those of its receive (or receive-and-transmit) audio capabilities that
//     its descriptors reference (all its table entries when it sent no descriptor yet). A set
//     with no table, descriptor or multiplex capability is the empty capability set of H.323
//     8.4.6 (third-party pause): it is acknowledged, our channel is closed, and the next
//     non-empty set restarts our capability set and master-slave determination.
//   - Master-slave determination (H.245 8.2, MSDSE): Start sends masterSlaveDetermination
//     with Config.TerminalType and a random 24-bit statusDeterminationNumber; the larger
//     terminal type is master, and for equal types the local terminal is master when (remote
//     number - local number) mod 2^24 is between 1 and 2^23-1, slave above 2^23, and 0 or 2^23
//     is indeterminate (masterSlaveDeterminationReject identicalNumbers, or a new number, up to
//     three times). The Ack's decision is the result for its receiver. Timer T106.
//   - Logical channels (H.245 8.5, LCSE): when our set is acknowledged, the peer's is known and
//     the roles are determined, the peer opens its one transmit channel: openLogicalChannel
//     (forward logical channel 1, audioData with the first configured codec the peer can
//     receive, H2250LogicalChannelParameters with session 1 and our RTCP address as
//     mediaControlChannel), timer T103. The peer's openLogicalChannelAck gives the RTP
//     (mediaChannel) and RTCP (mediaControlChannel) addresses to send to: ChannelOpened. A
//     rejection with another common codec left tries that one. A peer's openLogicalChannel for
//     forward audio in a configured G.711 codec is acknowledged with our RTP and RTCP addresses
//     (PeerChannelOpened); bidirectional channels, other data types and other multiplexes are
//     rejected with the matching cause. closeLogicalChannel is acknowledged; a
//     requestChannelClose for our channel is acknowledged and the channel closed.
//   - Round-trip delay (H.245 8.9): a roundTripDelayRequest is answered with its response.
//   - End of session (H.245 8.14, H.323 8.5): End sends endSessionCommand (disconnect); a peer's
//     endSessionCommand is answered with ours. SessionEnded says both were exchanged: the
//     control channel may close.
//
// # What it does not support, and how it says so
//
// A request it does not carry out is refused with its own reject where H.245 has one
// (requestModeReject modeUnavailable, maintenanceLoopReject canNotPerformLoop,
// logicalChannelRateReject undefinedReason, requestChannelCloseReject for a channel that is not
// ours) and otherwise returned in functionNotUnderstood, as are non-standard, generic and
// unknown (extension) requests, responses and commands. Known commands that need no action
// (flowControlCommand, miscellaneousCommand, …) and indications are not answered (a peer's
// functionNotUnderstood, functionNotSupported or masterSlaveDeterminationRelease is reported
// as a Failure). A message that cannot be decoded is answered with functionNotSupported
// (syntaxError, the octets returned). Unexpected responses are ignored, as H.245's state
// machines do.
//
// No RTP is sent or received here: the peer negotiates media and reports the addresses; what
// flows on them is the driver's.
package control
