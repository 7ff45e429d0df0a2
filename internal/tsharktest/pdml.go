package tsharktest

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"testing"
)

// Shownames is FieldValues with the dissector's display text instead of the
// raw value: for h225.RasMessage it gives "RasMessage: gatekeeperRequest (0)"
// where FieldValues gives "0". It reads tshark's PDML (XML) output, the one
// format that carries both. frame.number is always included (as its raw
// value, so it can be matched with FieldValues).
func Shownames(t testing.TB, pcapPath, displayFilter string, fields ...string) []Packet {
	t.Helper()
	args := []string{"-r", pcapPath, "-T", "pdml"}
	if displayFilter != "" {
		args = append(args, "-Y", displayFilter)
	}
	out := run(t, args...)
	packets, err := parsePDML(out, fields)
	if err != nil {
		t.Fatalf("tshark PDML for %s: %v", pcapPath, err)
	}
	return packets
}

// parsePDML streams the XML and keeps, per <packet>, the shownames of the
// wanted fields wherever they are nested.
func parsePDML(out []byte, fields []string) ([]Packet, error) {
	wanted := make(map[string]bool, len(fields))
	for _, f := range fields {
		wanted[f] = true
	}
	dec := xml.NewDecoder(bytes.NewReader(out))
	var packets []Packet
	var current Packet
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch el := tok.(type) {
		case xml.StartElement:
			switch el.Name.Local {
			case "packet":
				current = Packet{}
			case "field":
				if current == nil {
					return nil, errors.New("field outside a packet")
				}
				name, show, showname := attr(el, "name"), attr(el, "show"), attr(el, "showname")
				if name == "frame.number" {
					current[name] = append(current[name], show)
				} else if wanted[name] {
					if showname == "" {
						showname = show
					}
					current[name] = append(current[name], showname)
				}
			}
		case xml.EndElement:
			if el.Name.Local == "packet" {
				if current == nil {
					return nil, fmt.Errorf("unbalanced </packet>")
				}
				packets = append(packets, current)
				current = nil
			}
		}
	}
	return packets, nil
}

func attr(el xml.StartElement, name string) string {
	for _, a := range el.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}
