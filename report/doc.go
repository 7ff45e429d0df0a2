// Package report makes the views of a run from its one timeline: a pcap
// file of every RAS and call-signalling message (WritePcap), a
// self-contained HTML ladder diagram (WriteHTML), a JUnit XML report
// (WriteJUnit), draft expectations for turning a recorded run into a
// regression test (DraftExpectations), and the progress line of a long run
// (Progress).
//
// Every view is a pure function of its input: the same run gives the same
// bytes (JUnit's wall-clock time attributes excepted, which come from the
// caller), so views can be compared between runs and checked into tickets.
package report
