package pbx

import (
	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/timeline"
)

// Describers name the messages a PBX receives from peers its driver does
// not host (real phones), by the protocol of the socket they arrive on
// ("ras", "q931"), for a real driver to record them: the commands that
// host a PBX then need neither protocol package themselves.
func Describers() map[string]func(payload []byte) (name string, attrs []timeline.Attr, ok bool) {
	return map[string]func([]byte) (string, []timeline.Attr, bool){"ras": ras.Describe, "q931": h323.Describe}
}
