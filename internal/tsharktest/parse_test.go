package tsharktest

import (
	"reflect"
	"testing"
)

func TestParseJSON(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Packet
		err  bool
	}{
		{"no frame matched", "", nil, false},
		{"multi-valued field", `[{"_source":{"layers":{"frame.number":["4"],"_ws.expert.severity":["2097152","4194304"]}}}]`,
			[]Packet{{"frame.number": {"4"}, "_ws.expert.severity": {"2097152", "4194304"}}}, false},
		{"frame without requested fields", `[{"_source":{"layers":{}}}]`, []Packet{{}}, false},
		{"not json", "Running as user", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseJSON([]byte(tt.in))
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if !tt.err && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParsePDML(t *testing.T) {
	const pdml = `<?xml version="1.0"?>
<pdml version="0">
<packet>
  <proto name="frame"><field name="frame.number" showname="Frame Number: 1" show="1"/></proto>
  <proto name="h225">
    <field name="h225.RasMessage" showname="RasMessage: gatekeeperRequest (0)" show="0">
      <field name="h225.requestSeqNum" showname="requestSeqNum: 52541" show="52541"/>
    </field>
  </proto>
</packet>
<packet>
  <proto name="frame"><field name="frame.number" show="2"/></proto>
  <proto name="h225"><field name="h225.RasMessage" show="1"/></proto>
</packet>
</pdml>`
	got, err := parsePDML([]byte(pdml), []string{"h225.RasMessage", "h225.requestSeqNum"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Packet{
		{"frame.number": {"1"}, "h225.RasMessage": {"RasMessage: gatekeeperRequest (0)"}, "h225.requestSeqNum": {"requestSeqNum: 52541"}},
		{"frame.number": {"2"}, "h225.RasMessage": {"1"}}, // no showname: the raw value
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if _, err := parsePDML([]byte(`<pdml><field name="x"/></pdml>`), nil); err == nil {
		t.Error("field outside a packet accepted")
	}
	if _, err := parsePDML([]byte(`<pdml><packet>`), nil); err == nil {
		t.Error("unterminated XML accepted")
	}
}

func TestIsBanner(t *testing.T) {
	tests := map[string]bool{
		`Running as user "root" and group "root". This could be dangerous.`:                                true,
		`tshark: The file "x.pcap" appears to have been cut short in the middle of a packet.`:              false,
		`Running as user "root" and group "root". This could be dangerous. And the file is broken, too...`: false,
	}
	for line, want := range tests {
		if got := isBanner(line); got != want {
			t.Errorf("isBanner(%q) = %v", line, got)
		}
	}
}
