package pbx

import "sort"

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
	"cfnr_skips_push": {V12r2},
	// B06: one system name (domain) is bound to one push registration.
	"unique_system_name": {V12r2},
}

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
