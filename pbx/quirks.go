package pbx

import (
	"fmt"
	"sort"
)

// Version is a firmware version profile: it picks the default of every
// version-dependent behaviour. Each such behaviour is also a named quirk, so
// a scenario reproducing a ticket can pin it regardless of the version.
type Version string

// The version profiles the simulator knows.
const (
	V12r2 Version = "12r2"
	V13r1 Version = "13r1"
	V14r1 Version = "14r1"
	V15r1 Version = "15r1"
)

// DefaultVersion is the profile used when a scenario names none.
const DefaultVersion = V15r1

// Versions lists the known profiles, oldest first.
func Versions() []Version { return []Version{V12r2, V13r1, V14r1, V15r1} }

// quirkDefaults gives, per quirk, the versions in which it is on by default.
// The catalogue row that documents each quirk is named in its comment.
var quirkDefaults = map[string][]Version{
	// B15: with CFNR configured and no device registered, the push is not
	// sent and CFNR runs at once.
	QuirkCFNRSkipsPush: {V12r2},
	// B06: one system name (domain) is bound to one push registration.
	QuirkUniqueSystemName: {V12r2},
	// B27: a user in DND still gets the call signalled (and pushed), but the
	// phone does not ring (Setup marked silent), as the 12r2 document says.
	// Off (13r1 and later, model choice): the PBX leaves DND to the devices,
	// which refuse the call as busy; the apps are still pushed, which is why
	// the 15r1 document has its users close the app after setting DND.
	QuirkDNDSilent: {V12r2},
	// B26: DND presence and then closing the app stops the push from starting
	// it (15r1). A phone-side rule: the world builder hands it to the phone
	// core (phone.Config.DNDClosedStopsWake).
	QuirkDNDClosedStopsWake: {V15r1},
}

// Names of the quirks the cores consult.
const (
	QuirkCFNRSkipsPush      = "cfnr_skips_push"       // B15
	QuirkUniqueSystemName   = "unique_system_name"    // B06 (push service side)
	QuirkDNDSilent          = "dnd_silent"            // B27
	QuirkDNDClosedStopsWake = "dnd_closed_stops_wake" // B26 (phone side)
)

// QuirkNames returns every quirk name, sorted.
func QuirkNames() []string {
	names := make([]string, 0, len(quirkDefaults))
	for name := range quirkDefaults {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Quirks holds the state of every quirk for one PBX.
type Quirks map[string]bool

// DefaultQuirks returns the quirks of version v (every known quirk present).
func DefaultQuirks(v Version) Quirks {
	q := make(Quirks, len(quirkDefaults))
	for name, versions := range quirkDefaults {
		on := false
		for _, dv := range versions {
			if dv == v {
				on = true
			}
		}
		q[name] = on
	}
	return q
}

// Resolve returns the quirks of version v with the given overrides applied.
// An unknown version or quirk name is an error, so a typo in a scenario never
// silently keeps a default.
func Resolve(v Version, overrides Quirks) (Quirks, error) {
	if v == "" {
		v = DefaultVersion
	}
	known := false
	for _, kv := range Versions() {
		if kv == v {
			known = true
		}
	}
	if !known {
		return nil, fmt.Errorf("pbx: unknown version %q (known: %v)", v, Versions())
	}
	q := DefaultQuirks(v)
	for _, name := range sortedKeys(overrides) {
		if _, ok := quirkDefaults[name]; !ok {
			return nil, fmt.Errorf("pbx: unknown quirk %q (known: %v)", name, QuirkNames())
		}
		q[name] = overrides[name]
	}
	return q, nil
}

func sortedKeys(q Quirks) []string {
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
