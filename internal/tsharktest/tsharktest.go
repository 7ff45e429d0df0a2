// Package tsharktest runs the packet dissector tshark as an independent
// oracle in tests: what our encoders write must decode there without a
// single malformed packet or warning, and the fields it decodes must be the
// ones we meant.
//
// Tests that need tshark skip when it is not installed, except when the
// environment variable CI is set: there its absence is a failure, so the
// oracle can never be silently lost.
package tsharktest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Timeout bounds one tshark run. Dissecting a test capture takes about a
// second (mostly tshark's start-up); the bound is generous for a loaded
// machine and is there so a hung process fails the test instead of the whole
// test binary timing out.
const Timeout = 2 * time.Minute

// H.225.0 RAS on UDP 1719 and Q.931/H.225.0 over TPKT on TCP 1720 need no
// decoding option: tshark decodes them by default (RAS by port, Q.931 by a
// TCP heuristic that needs the TPKT header and the first three Q.931 octets
// in the first segment of a message).

// CheckChecksums are tshark options that validate IPv4, UDP and TCP
// checksums, for Problems on captures we wrote. Validation is off by default
// because captures taken on the sending host carry unfinished checksums the
// network card would have filled in (the shared real capture is one).
var CheckChecksums = []string{
	"-o", "ip.check_checksum:TRUE",
	"-o", "udp.check_checksum:TRUE",
	"-o", "tcp.check_checksum:TRUE",
}

// Severities of tshark expert information (the values of _ws.expert.severity).
const (
	SeverityChat    = 0x200000
	SeverityNote    = 0x400000
	SeverityWarning = 0x600000
	SeverityError   = 0x800000
)

// Require returns the path of tshark. It skips the test when tshark is not
// installed, and fails it when the environment variable CI is set.
func Require(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("tshark is required in CI: %v", err)
		}
		t.Skipf("tshark not installed: %v", err)
	}
	return path
}

// Packet is one frame's requested fields: every occurrence of each field, in
// the order tshark gives them (a field that occurs several times in a frame,
// like an expert message or a repeated ASN.1 element, has several values).
// Fields absent from the frame are absent from the map.
type Packet map[string][]string

// FieldValues runs tshark on pcapPath, keeps the frames matching
// displayFilter (all frames when it is empty) and returns the given fields of
// each, with all their occurrences. frame.number is always included.
func FieldValues(t testing.TB, pcapPath, displayFilter string, fields ...string) []Packet {
	t.Helper()
	return FieldValuesWith(t, nil, pcapPath, displayFilter, fields...)
}

// FieldValuesWith is FieldValues with tshark options (preferences,
// heuristics) before the others.
func FieldValuesWith(t testing.TB, options []string, pcapPath, displayFilter string, fields ...string) []Packet {
	t.Helper()
	args := append(append([]string(nil), options...), "-r", pcapPath, "-T", "json", "-e", "frame.number")
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	if displayFilter != "" {
		args = append(args, "-Y", displayFilter)
	}
	out := run(t, args...)
	packets, err := parseJSON(out)
	if err != nil {
		t.Fatalf("tshark output for %s: %v", pcapPath, err)
	}
	return packets
}

// Fields is FieldValues with each field's occurrences joined by ","; use
// FieldValues when a field may occur more than once and the values may
// contain commas.
func Fields(t testing.TB, pcapPath, displayFilter string, fields ...string) []map[string]string {
	t.Helper()
	packets := FieldValues(t, pcapPath, displayFilter, fields...)
	out := make([]map[string]string, len(packets))
	for i, p := range packets {
		m := make(map[string]string, len(p))
		for k, v := range p {
			m[k] = strings.Join(v, ",")
		}
		out[i] = m
	}
	return out
}

// Problems returns one line for every expert information item of severity
// warning or error (malformed packets, bad checksums, TCP sequence
// anomalies, ASN.1 decoding errors...) and for every complaint tshark writes
// to its standard error about the file. A capture we wrote must give none,
// also with CheckChecksums passed as extra options.
func Problems(t testing.TB, pcapPath string, extraOptions ...string) []string {
	t.Helper()
	args := append(append([]string(nil), extraOptions...), "-r", pcapPath, "-T", "json",
		"-e", "frame.number", "-e", "_ws.expert", "-e", "_ws.expert.severity",
		"-e", "_ws.malformed", "-e", "_ws.col.Protocol")
	out, stderr, runErr := runWithStderr(t, args...)
	packets, err := parseJSON(out)
	if err != nil {
		if runErr != nil {
			t.Fatalf("tshark on %s: %v: %s", pcapPath, runErr, bytes.TrimSpace(stderr))
		}
		t.Fatalf("tshark output for %s: %v", pcapPath, err)
	}
	var problems []string
	for _, p := range packets {
		frame := first(p["frame.number"])
		texts, severities := p["_ws.expert"], p["_ws.expert.severity"]
		reported := false
		for i, sev := range severities {
			level, err := strconv.Atoi(sev)
			if err != nil {
				t.Fatalf("frame %s: expert severity %q is not a number", frame, sev)
			}
			if level < SeverityWarning {
				continue
			}
			text := "expert info of severity " + sev
			if i < len(texts) {
				text = texts[i]
			}
			problems = append(problems, fmt.Sprintf("frame %s (%s): %s", frame, first(p["_ws.col.Protocol"]), text))
			reported = true
		}
		// A malformed packet always carries an error expert item; this
		// catches one that somehow did not.
		if len(p["_ws.malformed"]) > 0 && !reported {
			problems = append(problems, fmt.Sprintf("frame %s (%s): malformed packet", frame, first(p["_ws.col.Protocol"])))
		}
	}
	for _, line := range strings.Split(string(stderr), "\n") {
		if line = strings.TrimSpace(line); line != "" && !isBanner(line) {
			problems = append(problems, "tshark: "+line)
		}
	}
	if runErr != nil {
		problems = append(problems, fmt.Sprintf("tshark: %v", runErr))
	}
	return problems
}

// isBanner recognises what tshark prints on every run when it runs as the
// super-user, which says nothing about the file.
func isBanner(line string) bool {
	return strings.HasPrefix(line, "Running as user") && strings.HasSuffix(line, "This could be dangerous.")
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// parseJSON reads tshark's "-T json -e ..." output: an array of
// {"_source": {"layers": {field: [values...]}}}.
func parseJSON(out []byte) ([]Packet, error) {
	var frames []struct {
		Source struct {
			Layers map[string][]string `json:"layers"`
		} `json:"_source"`
	}
	if len(bytes.TrimSpace(out)) == 0 {
		return nil, nil // no frame matched
	}
	if err := json.Unmarshal(out, &frames); err != nil {
		return nil, err
	}
	packets := make([]Packet, len(frames))
	for i, f := range frames {
		p := Packet(f.Source.Layers)
		if p == nil {
			p = Packet{}
		}
		packets[i] = p
	}
	return packets, nil
}

// run runs tshark with args and returns its standard output; a
// failure, a timeout or anything on standard error fails the test.
func run(t testing.TB, args ...string) []byte {
	t.Helper()
	out, stderr, err := runWithStderr(t, args...)
	if err != nil {
		t.Fatalf("tshark %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(stderr))
	}
	for _, line := range strings.Split(string(stderr), "\n") {
		if line = strings.TrimSpace(line); line != "" && !isBanner(line) {
			t.Fatalf("tshark %s: %s", strings.Join(args, " "), line)
		}
	}
	return out
}

// runWithStderr runs tshark and returns its outputs and its exit error, if
// any; a timeout or a failure to start it fails the test.
func runWithStderr(t testing.TB, args ...string) (stdout, stderr []byte, exitErr error) {
	t.Helper()
	path := Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	var outBuf, errBuf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outBuf, &errBuf
	// tshark reads its preferences from the user's profile; an empty
	// configuration directory keeps a local profile from changing results.
	cmd.Env = append(os.Environ(), "WIRESHARK_CONFIG_DIR="+t.TempDir())
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("tshark %s: no answer within %v", strings.Join(args, " "), Timeout)
	}
	if err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("running tshark: %v", err)
		}
	}
	return outBuf.Bytes(), errBuf.Bytes(), err
}
