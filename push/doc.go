// Package push is the push path between a PBX and the vendor push services:
// the push protocol spoken over the Push object's wss connection, the PBX
// side (Client), the push service relay (Service), and the payload privacy
// (B07, B08). Sub-packages: push/apns and push/fcm emulate Apple's and
// Google's services, push/pki makes the test CAs and classifies presented
// certificates.
//
// Everything here is sans-I/O: methods take an input and return []Effect;
// nothing reads a clock, starts a goroutine or touches a socket, and all
// randomness (challenges, nonces, apns-id, jitter) comes from the io.Reader
// given to the constructor, so a seeded world is reproducible.
//
// # Protocol
//
// The push protocol is the vendor SDK's AppWebsocket login followed by the
// push messages (Encode, Decode):
//
//	PBX → service   {"mt":"AppChallenge"}
//	service → PBX   {"mt":"AppChallengeResult","challenge":"…"}
//	PBX → service   {"mt":"AppLogin","app":"ws","domain":SYSTEM,"sip":"push","guid":…,"dn":"Push","digest":…,"info":{…}}
//	service → PBX   {"mt":"AppLoginResult","ok":true}  or  {"mt":"AppLoginResult","error":"digest"}
//	PBX → service   {"mt":"PushNotifyPost","src":"1","token":…,"platform":"apns","type":"call","enc":{"kid","nonce","ct"}}
//	service → PBX   {"mt":"PushNotifyPostResult","src":"1"}  or  with "err":"BadDeviceToken"
//
// The digest is the SDK's: hex SHA-256 of app:domain:sip:guid:dn:info:challenge:password
// (LoginDigest). Model choices: "platform", "type" and "enc" extend the SDK's
// PushNotifyPost (which documents only {mt, src, token}); AppLoginResult's
// "error" is one of the LoginError* strings; with certificate authentication
// (13r1+) the digest is made with an empty password, the certificate being
// the credential.
//
// # Privacy
//
// Seal encrypts the details (call: number, name, callflow; notification:
// title, content) with AES-256-GCM under the Key the phone got from its PBX;
// the nonce comes from the injected random source; the clear type and key id
// are authenticated as additional data. Without a key the push carries the
// type only (B08). The phone side uses OpenPhonePayload on what APNs or FCM
// delivered.
//
// # Client (the PBX's Push object)
//
// Drive it as follows; each call returns effects to carry out in order:
//
//	Start()            → Dial, or (http_proxy, dns) pbx.push_disconnected + node.SetTimer(reconnect)
//	Dial               → driver: TCP/TLS to the service; unreachable → Failed("unreachable"), else Reached()
//	Reached()          → Handshake (or "untrusted" when the service CA is not trusted)
//	Handshake          → driver: Service.Accept(conn, Peer{…}) → Accepted → Client.Opened(), or CloseConn → Client.Failed(reason)
//	Opened()           → Send(AppChallenge), node.SetTimer(login)
//	Receive(bytes)     → Send(AppLogin) / pbx.push_connected / PostDone
//	Post(Post{…})      → push.request event + Send(PushNotifyPost), or PostFailed{not_connected}
//	Failed(reason)     → connection lost or refused (a CloseConn reason from the service, or "connection_lost")
//	TimerFired(t)      → reconnect attempt, or login "timeout"
//
// The real driver lets crypto/tls do the trust check (its RootCAs from
// pki.Set.ServiceTrust(TrustsService)) and calls Opened straight after a
// successful handshake, or Failed("untrusted") on an unknown-authority
// error; Reached is for the simulated driver, which has no TLS.
//
// Failure reasons (pbx.push_disconnected {reason}): certificate, untrusted,
// dns, unreachable, http_proxy, replaced, login_failed, timeout,
// service_unavailable, connection_lost, protocol. Every failed attempt
// reports pbx.push_disconnected {reason, retry_in} and arms the reconnect
// timer: Backoff.Initial (1 s) doubling to Backoff.Max (60 s), reset by a
// successful login; Backoff.Jitter shortens delays using the random source.
// Posts awaiting a result fail (PostFailed) when the connection is lost.
//
// # Service
//
//	Accept(conn, Peer) → Accepted | CloseConn{certificate | service_unavailable}; an older
//	                     connection with the same certificate serial gets CloseConn{replaced} (B05)
//	Receive(conn, b)   → SendTo(AppChallengeResult / AppLoginResult / PushNotifyPostResult) or VendorRequest
//	VendorResponse(id, HTTPResponse) → push.forwarded {platform, status} + SendTo(PushNotifyPostResult)
//	Closed(conn), SetAvailable(bool)
//
// Peer.Legacy marks a 12r2 Push object (password login against
// ServiceConfig.Registrations, no client certificate); with
// UniqueSystemName a wrong password for a registered system name fails the
// newcomer and knocks the logged-in holder off with "replaced" (B06); a
// copied Push object (same password) logs in alongside.
//
// Vendor requests are NewAPNsRequest and NewFCMRequest; VendorError maps
// an answer back to the PushNotifyPostResult err (the APNs reason or the FCM
// errorCode). With ServiceConfig.APNsProvider the service authenticates to
// APNs with an ES256 provider token (providertoken.go: kid, iss, iat; kept 50
// minutes, within Apple's 20-to-60-minute window) signed deterministically
// (RFC 6979), issued at the time the driver gives SetTime before each input;
// to FCM with the OAuth 2 bearer FCMAccessToken. The emulators require both
// unless configured unauthenticated. Request headers reach no timeline or
// capture (push.forwarded carries the body only), and the tokens of a
// simulated run are the same bytes anyway: its key is drawn from the seed and
// its iat is virtual time. The legacy login digest is compared in constant
// time.
//
// # Events
//
// Event effects carry the name and attributes (timeline.Attr) of the event
// to record, and for message events the wire bytes; the driver stamps time
// and sequence: push.request {from, to, user, device, type},
// push.rejected {reason, …}, push.forwarded {from, to, platform, status}
// (recorded when the vendor's answer arrives, since the status is part of
// it), push.delivered {from, to, device}, push.dropped {from, device,
// reason}, pbx.push_connected {pbx, push}, pbx.push_disconnected {pbx,
// push, reason, retry_in}.
package push
