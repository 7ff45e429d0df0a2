// Package decode turns a packet capture into a readable account of the
// H.323 messages in it: every RAS message (UDP port 1719) and every Q.931
// call-signalling message with its H.225.0 body (TPKT over TCP port 1720),
// one Message per protocol message, with its packet number, time, endpoints,
// type and key fields.
//
// Verification re-encodes every decoded message with the project's codecs
// and reports any whose bytes differ from the capture's: the codec must
// reproduce what real stacks send, byte for byte.
//
// Counting: every message is either decoded (it decoded and, when verified,
// re-encoded to the same bytes) or failed (it did not decode, or did not
// verify), never both. A capture that holds packets but no H.225.0 message
// at all is a failure too (Result.Problem says so, with the count of packets
// the reader skipped and the file's link types, since an unsupported link
// type looks exactly like that); an empty but valid capture is not: it
// reports "0 packets" and succeeds.
//
// A packet that does not decode is reported with its packet number and the
// error, and decoding goes on with the next one. The package reads a file
// only in File; Decode works on a capture already read and does no I/O.
package decode
