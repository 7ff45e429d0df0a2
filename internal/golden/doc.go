// Package golden holds the project's golden vectors and checks them against
// an independent dissector: RAS messages and Q.931 call-signalling messages
// built with the generated H.225.0 types are encoded, compared with the hex
// files kept in testdata/golden, written into a capture and read back by
// tshark, which must find the message types and fields meant, and no
// malformed packet or expert warning.
//
// The package has tests only. Run them with -update to rewrite the hex files
// and the shipped capture after a deliberate change, then again without it:
// the dissector checks run on what the files hold.
package golden
