package main

import (
	"encoding/json"
	"os"

	"github.com/callwake/callwake/timeline"
)

// eventJSON is one event of --json, in the shape of pbxsim run --json's
// events.
type eventJSON struct {
	Seq   int        `json:"seq"`
	AtNS  int64      `json:"at_ns"`
	Name  string     `json:"name"`
	Attrs []attrJSON `json:"attrs"`
}

type attrJSON struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// writeJSON writes the run's events: {"events": [...]}.
func writeJSON(path string, events []timeline.Event) error {
	out := struct {
		Events []eventJSON `json:"events"`
	}{Events: make([]eventJSON, 0, len(events))}
	for i, e := range events {
		ej := eventJSON{Seq: i + 1, AtNS: int64(e.At), Name: e.Name, Attrs: make([]attrJSON, 0, len(e.Attrs))}
		for _, a := range e.Attrs {
			ej.Attrs = append(ej.Attrs, attrJSON{a.Key, a.Value})
		}
		out.Events = append(out.Events, ej)
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
