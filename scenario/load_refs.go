package scenario

import "fmt"

// registry records the names a file defines and the references to them, so
// that references can be checked once everything has been read (a device
// may name a user defined later in the file).
type registry struct {
	pbxs, users, devices map[string]Pos
	deviceKinds          map[string]DeviceKind
	refs                 []reference
	groups               map[string]*Group // populations by group name
	groupPos             map[string]Pos
}

type reference struct {
	kind, name string
	pos        Pos
}

func newRegistry() *registry {
	return &registry{
		pbxs: map[string]Pos{}, users: map[string]Pos{}, devices: map[string]Pos{},
		deviceKinds: map[string]DeviceKind{}, groups: map[string]*Group{}, groupPos: map[string]Pos{},
	}
}

// define records a name, reporting a duplicate; it reports whether the name was new.
func (r *registry) define(l *loader, kind string, table map[string]Pos, name string, p Pos) bool {
	if first, dup := table[name]; dup {
		l.errorf(p, "duplicate %s name %q (first at %d:%d)", kind, name, first.Line, first.Col)
		return false
	}
	table[name] = p
	return true
}

func (r *registry) refer(kind, name string, p Pos) {
	r.refs = append(r.refs, reference{kind: kind, name: name, pos: p})
}

// maxSuggestionCandidates bounds the names a did-you-mean compares with.
const maxSuggestionCandidates = 10_000

// resolve checks every reference and applies the defaults that depend on
// other elements (a device's password defaults to its user's).
func (l *loader) resolve(f *File, reg *registry) {
	tables := map[string]map[string]Pos{"user": reg.users, "device": reg.devices, "pbx": reg.pbxs,
		"actor": knownActors(reg), "Push object": pushObjects(f)}
	sorted := map[string][]string{}
	for _, ref := range reg.refs {
		table := tables[ref.kind]
		if _, ok := table[ref.name]; ok {
			continue
		}
		if len(l.problems) >= maxProblems {
			l.dropped++ // not shown: spare the suggestion's work
			continue
		}
		hint := ""
		// A suggestion compares the name with every candidate: not worth
		// it among the members of large populations.
		if len(table) <= maxSuggestionCandidates {
			names, ok := sorted[ref.kind]
			if !ok {
				names = sortedNames(table)
				sorted[ref.kind] = names
			}
			hint = didYouMean(ref.name, names)
		}
		if hint == "" && ref.kind == "actor" {
			hint = "; an actor is a device, a PBX, push, apns or fcm"
		}
		l.errorf(ref.pos, "unknown %s %q%s", ref.kind, ref.name, hint)
	}

	users := map[string]*User{}
	for i := range f.PBXs {
		for j := range f.PBXs[i].Users {
			u := &f.PBXs[i].Users[j]
			users[u.Name] = u
		}
	}
	for i := range f.Devices {
		d := &f.Devices[i]
		if u, ok := users[d.User]; ok && !d.passwordSet {
			d.Password = u.Password
		}
	}
	f.Warnings = keyWarnings(f)
	for _, a := range f.Actions {
		if a.Device == "" {
			continue
		}
		kind, ok := reg.deviceKinds[a.Device]
		if ok && !kind.IsApp() {
			l.errorf(a.Pos, "device %q is a %s; %s apply only to myapps and mypbx", a.Device, kind, joinWords(deviceChangeKeys))
		}
	}
}

// fileIndex finds users and devices by name without a walk over a file's
// populations. It is built on first use and rebuilt when it no longer
// matches the file (a test that edits a loaded file).
type fileIndex struct {
	devices map[string]int
	users   map[string][2]int // PBX index, user index
	nDev    int
	nUsers  int
}

func (f *File) indexed() *fileIndex {
	x := &f.index
	users := 0
	for i := range f.PBXs {
		users += len(f.PBXs[i].Users)
	}
	if x.devices != nil && x.nDev == len(f.Devices) && x.nUsers == users {
		return x
	}
	*x = fileIndex{devices: make(map[string]int, len(f.Devices)), users: make(map[string][2]int, users), nDev: len(f.Devices), nUsers: users}
	for i := range f.Devices {
		if _, dup := x.devices[f.Devices[i].Name]; !dup {
			x.devices[f.Devices[i].Name] = i
		}
	}
	for i := range f.PBXs {
		for j := range f.PBXs[i].Users {
			if _, dup := x.users[f.PBXs[i].Users[j].Name]; !dup {
				x.users[f.PBXs[i].Users[j].Name] = [2]int{i, j}
			}
		}
	}
	return x
}

// findUser returns the PBX and user index of the named user, or ok false.
func (f *File) findUser(name string) (pbxIndex, userIndex int, ok bool) {
	for range 2 { // a stale entry (a renamed user) rebuilds the index once
		if at, found := f.indexed().users[name]; found {
			if f.PBXs[at[0]].Users[at[1]].Name == name {
				return at[0], at[1], true
			}
			f.index = fileIndex{}
			continue
		}
		return 0, 0, false
	}
	return 0, 0, false
}

// PBXOf returns the index in f.PBXs of the PBX the named user belongs to
// (a device registers with its user's PBX), or -1.
func (f *File) PBXOf(user string) int {
	if i, _, ok := f.findUser(user); ok {
		return i
	}
	return -1
}

// User returns the named user, or nil.
func (f *File) User(name string) *User {
	if i, j, ok := f.findUser(name); ok {
		return &f.PBXs[i].Users[j]
	}
	return nil
}

// Device returns the named device, or nil.
func (f *File) Device(name string) *Device {
	for range 2 {
		if i, found := f.indexed().devices[name]; found {
			if f.Devices[i].Name == name {
				return &f.Devices[i]
			}
			f.index = fileIndex{}
			continue
		}
		break
	}
	// A miss: the name may be one a test gave a device after the index was
	// built (misses are rare: a lookup names a device of the file).
	for i := range f.Devices {
		if f.Devices[i].Name == name {
			f.index = fileIndex{}
			return &f.Devices[i]
		}
	}
	return nil
}

// keyWarnings warns of apps that can never decrypt their pushes (B08): no
// WebSocket session, plain H.323, and no action that gives them a session
// (websocket_session: true, or a login from logged_out, which opens one to
// tell the PBX the token). Their pushed calls ring without number or name,
// which is legal (push-without-key-anonymous) but rarely what a ticket
// means. Users without a Push field are not pushed, so not warned of.
func keyWarnings(f *File) []Problem {
	given := map[string]bool{}
	for _, a := range f.Actions {
		if a.Device != "" && a.WebsocketSession != nil && *a.WebsocketSession {
			given[a.Device] = true
		}
	}
	var out []keyWarning
	// A population's members share their entry's position: one warning
	// for them all, naming the first and how many.
	at := map[Pos]int{}
	for i := range f.Devices {
		d := &f.Devices[i]
		u := f.User(d.User)
		if !d.Kind.IsApp() || d.WebsocketSession || d.secure() || d.App == AppLoggedOut || u == nil || u.Push == "" || given[d.Name] {
			continue
		}
		if k, seen := at[d.Pos]; seen {
			out[k].count++
			continue
		}
		at[d.Pos] = len(out)
		out = append(out, keyWarning{pos: d.Pos, device: d.Name, transport: d.Transport, count: 1})
	}
	problems := make([]Problem, len(out))
	for i, w := range out {
		name := "device " + w.device
		if w.count > 1 {
			name = fmt.Sprintf("device %s (and %d more of its population)", w.device, w.count-1)
		}
		problems[i] = Problem{Pos: w.pos, Message: fmt.Sprintf("%s can never decrypt its pushes: it keeps no WebSocket session "+
			"and registers over plain H.323 (%s), and the push key comes only over those (B08), so its pushed calls ring without number "+
			"or name; give it websocket_session: true or transport: h323-tls (or h323-dtls)", name, w.transport)}
	}
	return problems
}

type keyWarning struct {
	pos       Pos
	device    string
	transport Transport
	count     int
}
