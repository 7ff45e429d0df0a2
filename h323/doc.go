// Package h323 is callwake's H.225.0 call-signalling core: sans-I/O call
// legs that build and parse the Q.931 messages H.323 stacks exchange on TCP
// 1720 (TPKT framing is the driver's, package h323/q931).
//
// A Leg is one side of one call. Its methods (Setup, CallProceeding,
// Alerting, Connect, Progress, Facility, Release) and HandleMessage return
// effects: Send carries the encoded Q.931 message and its timeline event
// name; PeerSetup, PeerCallProceeding, PeerAlerting, PeerConnect,
// PeerReleased, PeerProgress, PeerFacility and PeerStatus say what the peer
// did; ProtocolError reports what could not be used. With LegConfig.H245
// the leg also runs the call's H.245 control channel (see "H.245" below).
// The leg never reads a clock, starts a goroutine or touches a socket.
//
// # States
//
//	outgoing: Null -Setup-> SetupSent -CallProceeding-> Proceeding -Alerting-> Received -Connect-> Active
//	incoming: Null -Setup-> SetupReceived -CallProceeding-> Proceeding -Alerting-> Received -Connect-> Active
//
// Alerting and Connect may skip earlier states, as Q.931 allows. Release
// Complete, sent or received, ends a leg in any state (Released).
//
// # What the messages carry
//
// The call reference flag is 0 on the originator's messages and 1 on the
// other side's (Q.931 4.3). Every message has a User-user element
// (protocol discriminator 0x05) with an H323-UserInformation whose
// h245Tunnelling is false unless the leg tunnels H.245 (see below) and whose
// body has protocolIdentifier 0.0.8.2250.0.7 (H.225.0 version 7), the
// callIdentifier and, where the UUIE has them, destinationInfo (a terminal),
// multipleCalls false and maintainConnection as configured.
//
//   - Setup: Bearer capability 80 90 a5 (speech, 64 kbit/s, user
//     information layer 1 H.221/H.242: a voice call as H323Plus 1.28 sends
//     it; the codec is H.245's business, not octet 5's); Display with the
//     calling name when one is set (IA5, other characters as '?', at most 82
//     octets; a name that is not IA5 is also sent in full as the Setup-UUIE
//     displayName); Calling and Called
//     party numbers with type of number unknown and numbering plan E.164
//     and no presentation octet, as H.323 endpoints send them ("unknown"
//     because the PBX does not classify numbers; the receiver takes the
//     digits as they are). Setup-UUIE: sourceAddress h323-ID (SourceAlias)
//     and dialledDigits (calling number, when it fits the dialledDigits
//     alphabet 0-9 # * ,), sourceInfo terminal, destinationAddress
//     dialledDigits, destCallSignalAddress (Remote), activeMC false,
//     conferenceID, conferenceGoal create, callType pointToPoint,
//     sourceCallSignalAddress (Local), callIdentifier, no fastStart,
//     mediaWaitForConnect, canOverlapSend and multipleCalls false, and
//     endpointIdentifier when LegConfig.EndpointIdentifier is set (the
//     identifier the gatekeeper assigned, as registered endpoints send it).
//   - With LegConfig.Silent the Setup also has a Signal element "alerting
//     off" (0x4f, Q.931 4.5.28): the network asks the terminal to present
//     the call without ringing (12r2 DND, B27); PeerSetup.Silent reports it.
//   - Connect-UUIE adds conferenceID; Facility-UUIE conferenceID and the
//     reason; Progress carries a Progress indicator "in-band information
//     available".
//   - UpdateDisplay sends a Facility (reason undefinedReason) with a Display
//     element: the caller's name after the Setup (B17); PeerFacility.Display
//     reports it.
//   - A received Display is reported (PeerSetup.CallingName,
//     PeerFacility.Display) without the NUL octets that end it — H323Plus
//     sends "alice\x00" — and, when it holds other control characters,
//     with each of them written \xNN and a backslash \\.
//
// # H.245
//
// With LegConfig.H245.Enabled the leg runs an H.245 peer (package control:
// capability exchange with G.711 A-law and µ-law, master-slave
// determination, one forward audio channel each way with RTP and RTCP
// addresses, endSessionCommand at release). The zero H245Config keeps the
// behaviour above: no H.245, h245Tunnelling false. No RTP is sent: the
// channels are negotiated and their addresses reported (H245 effects
// carrying control.ChannelOpened and control.PeerChannelOpened); what flows
// on them is the driver's business.
//
// Tunnelled (H245Config.Tunnelling, H.323 8.2.1): an outgoing leg offers it
// with h245Tunnelling true in its Setup; an incoming leg accepts the offer
// and starts H.245 at once, its capability set and determination riding in
// its Call Proceeding (or whichever message it sends first). The caller
// starts when a message of the callee says true, and gives the offer up only
// when the Connect says false (a gatekeeper may answer the Setup with a Call
// Proceeding of its own first). Tunnelled messages travel in h245Control of
// the next message the leg sends, or at once in a Facility whose body is
// empty when there is none; such a Facility from the peer is not reported
// as PeerFacility. The Send that carries them has an attribute h245 naming
// them ("terminalCapabilitySet,masterSlaveDetermination"). Release puts
// endSessionCommand in the Release Complete (none when the call is refused
// before any H.245 reached the peer).
//
// Separate connection (H.225.0 h245Address): when a message of the peer
// carries an h245Address and no channel exists, the leg asks for H245Connect
// to it — from a Setup, Call Proceeding, Alerting, Progress, Connect or
// Facility startH245. An incoming leg that does not tunnel and got no
// address announces H245Config.Address in its Connect, after H245Listen;
// an outgoing one that has a connected call and no channel sends a Facility
// startH245 with its address (after H245Listen), as H323Plus does. The
// driver reports the established connection with H245Connected (either
// way; the first one is used), passes each message read from it (TPKT
// removed) to HandleH245, writes H245Send payloads in TPKT frames, and
// closes it on H245Close (after endSessionCommand both ways, or at
// release, which sends endSessionCommand first).
//
// The peer's timers come as H245 effects holding control.SetTimer and
// control.StopTimer; the driver calls H245Timeout when one expires.
//
// # H.460.17
//
// EncodeRASTunnel and DecodeRASTunnel carry RAS inside the call-signalling
// connection: one Q.931 Facility per RAS message, on the dummy call
// reference 0, with an empty H.225.0 body and the RasMessage octets in
// H323-UU-PDU.genericData (feature standard 17, parameter standard 1, raw
// content) — see tunnel.go.
//   - Release Complete: Cause with ITU-T coding, location "user" (0) or,
//     with LegConfig.PrivateNetwork (a PBX), "private network serving the
//     local user" (1), and the cause value; its UUIE has a
//     ReleaseCompleteReason where H.225.0's reason table gives a cause
//     exactly one reason (17 inConf, 21 destinationRejection, 20
//     calledPartyNotRegistered, 3, 28, 34, 38, 41, 42, 47, 88), none for 16,
//     18, 19, 31 and the protocol-error causes.
//   - Status: Cause, Call state and a Status-UUIE.
//
// # Errors
//
// Messages with an unreadable Q.931 header or another call reference are
// dropped with a ProtocolError. Other malformed messages clear the call with
// Release Complete 95 (broken element area), 96 (User-user missing) or 100
// (H.225.0 data undecodable or not matching the message type, malformed
// party numbers or Display in a Setup). Messages not allowed in the state
// get Status 101, unknown message types Status 97. See Leg.HandleMessage.
package h323
