// Package capture writes and reads packet captures (pcap and pcapng) for the
// project's wire views and for tests that use real captures as input.
//
// It carries bytes only: it knows addresses, ports, link-layer framing and
// TCP sequencing, but no H.225.0, Q.931 or TPKT codec. Callers that need
// message boundaries on a TCP stream pass a Framer to the reader.
//
// # Time
//
// A simulated run has no wall clock, so a Writer is given an epoch and every
// packet an offset from it (the simulated time). The packet's timestamp is
// epoch + offset, written with nanosecond resolution. The same packets written
// with the same epoch give the same bytes, which is what lets a scenario run
// twice produce identical pcap files. DefaultEpoch (2026-01-01T00:00:00Z) is
// the epoch the project uses unless a run asks for another; it was chosen to
// be fixed and recognisable, not to mean anything.
//
// # Addresses
//
// Every simulated endpoint has its own IP address (IPv4 normally; IPv6 is
// accepted). The link layer is Ethernet, and each address gets a MAC derived
// from it alone, so the same address always has the same MAC:
//
//   - IPv4 a.b.c.d gets 02:00:a:b:c:d (locally administered, unicast), which
//     keeps the address readable in a packet dissector;
//   - IPv6 gets 02:01 followed by four bytes of an FNV-1a hash of the address.
//
// TCP initial sequence numbers are also derived from the two endpoints, and
// the IPv4 identification field counts packets in the file, so nothing in the
// output depends on randomness or the wall clock.
//
// # Reading
//
// The file formats are gopacket's pcapgo: the writer uses its nanosecond
// pcap writer, and Read and ReadFile its readers. They accept classic pcap
// (either byte order, micro- or nanosecond timestamps) and pcapng (mixed
// link types per interface), with Ethernet, Linux cooked (SLL and
// SLL2), BSD loopback (DLT_NULL and DLT_LOOP) and raw IP link types. They
// return the UDP datagrams and the reassembled TCP stream data as Records in
// capture order, each pointing at the packet (1-based, as a dissector numbers
// frames) that carried or completed it. TCP data is put back in sequence
// order per direction by gopacket's reassembly package (retransmissions and
// overlaps trimmed, early segments held, sequence wrap-around, a capture
// that starts after the handshake); with a Framer the records are whole
// messages, otherwise one chunk per segment that carried the data. A record
// points at the packet that made its data available: the segment that
// filled a gap, not the earlier out-of-order segment that carried the bytes
// (each packet's number travels with its data as the assembler context).
// A damaged or truncated packet becomes a Record with Err
// set and reading goes on; IPv4 fragments are reported, not reassembled. A
// record or block the file format cannot read (a cut file, an impossible
// length, a packet on an undeclared interface) ends the reading with an
// error Record, since the file's framing is lost from there on.
// Frames that are not IP, or IP that is neither UDP nor TCP, TCP segments
// without data and frames of a link type the reader does not decode are
// counted in Capture.Skipped, and by cause in Capture.Skips. Input that is
// not a capture at all gives ErrNotCapture.
//
// Read collects every record; a Reader (NewReader, Next) yields them one at
// a time in the same order and holds only what the next ones need: the TCP
// state of the open connections. A connection is forgotten once both of
// its directions have ended, so memory follows the open streams, not the
// size of the file. Records of TCP data carry the number of their
// connection (Record.Stream), and with Options.StreamEnds a direction's end
// (FIN or RST) is a record of its own, for callers that keep state per
// direction.
//
// # Reassembly limits
//
// The assembler holds out-of-order data in pages of 1900 bytes, a page per
// segment at least, so MaxPending bounds it in pages: MaxPending/1900 pages
// per direction (a MaxPending below one page allows no out-of-order data),
// and sixteen times that for all connections together. A direction that
// reaches the bound is reported once and ignored from then on. The bytes of
// an incomplete message are held here, outside the assembler, and bounded
// by MaxPending in bytes.
//
// Connections are the assembler's: a four-tuple reused after both sides
// sent FIN starts a new stream at its SYN. The assembler closes only the
// direction a RST was sent in; the reader closes the other one itself, as
// TCP does (RFC 9293 3.10.7.4), so a SYN reusing the four-tuple after a
// reset starts a new stream too. Between the RST and that SYN, segments on
// the four-tuple belong to no connection and are dropped, and a message left
// incomplete by the reset is reported as an error Record at the RST.
package capture
