package h323

import (
	"github.com/callwake/callwake/h323/control"
	"github.com/callwake/callwake/h323/h245"
	"github.com/callwake/callwake/timeline"
)

// DescribeH245 names an H.245 message read from a separate H.245 connection for a timeline:
// its event name ("h245.terminal_capability_set", …), or "h245.unreadable" for one that does
// not decode. The real driver names a real peer's H.245 messages with it.
func DescribeH245(payload []byte) (string, []timeline.Attr, bool) {
	m, err := h245.UnmarshalMultimediaSystemControlMessage(payload)
	if err != nil {
		return "h245.unreadable", nil, true
	}
	return control.EventName(control.MessageName(m)), nil, true
}
