package main

import (
	"fmt"
	"io"
)

const usageText = `usage:
  pushsim [--listen 127.0.0.1:8443] --cert FILE --key FILE --device-ca FILE [--unverified-ca FILE]
          [--apns 127.0.0.1:8444] [--fcm 127.0.0.1:8445] [--apns-device-port 5223] [--fcm-device-port 5228]
          [--accept device,unverified_device] [--registration SYSTEM=PASSWORD] [--unique-system-name]
          [--vendor-down apns|fcm] [--unregistered TOKEN] [--unreachable TOKEN] [--down-for D]
          [--metrics ADDR] [--json FILE] [--log-format console|json] [--duration D] [-v]
  pushsim --test-pki DIR [...]

The push service a PBX's Push object logs in to (wss://LISTEN/push/ws with
mutual TLS; PATH/legacy is the 12r2 password endpoint), relaying each
PushNotifyPost as an HTTP/2 request to its APNs emulator (POST
/3/device/TOKEN, apns-push-type voip, an ES256 provider token it verifies)
or its FCM emulator (POST /v1/projects/P/messages:send, an OAuth 2 bearer
it verifies). Phones keep a TLS WebSocket to their vendor's device port
(5223 on the --apns IP, 5228 on the --fcm IP), say hello with their push
token, and get their pushes on it; a token never seen before is enrolled
at its hello.

A PBX's certificate is checked against --device-ca (role device) and
--unverified-ca (role unverified_device); any other is the customer's own
(role own). --test-pki DIR writes a test PKI to DIR (device-ca.pem,
unverified-ca.pem, own-ca.pem, service-ca.pem for the PBX's trust list,
service.pem, a PBX device certificate pbx-device.pem, and their keys) or
reuses the one there, and serves with it.

Exit status: 0 after a clean stop (SIGINT, SIGTERM, --duration), 1 when
it could not start (a port taken, a certificate unreadable), 2 on a bad
command line.
`

func printUsage(w io.Writer) {
	fmt.Fprint(w, usageText)
	fmt.Fprintln(w, "\nflags:")
	o := &options{}
	fs, _ := newFlagSet(o, map[string]*list{})
	fs.SetOutput(w)
	fs.PrintDefaults()
}
