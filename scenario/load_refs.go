package scenario

import ()

// registry records the names a file defines and the references to them, so
// that references can be checked once everything has been read (a device
// may name a user defined later in the file).
type registry struct {
	pbxs, users, devices map[string]Pos
	deviceKinds          map[string]DeviceKind
	refs                 []reference
}

type reference struct {
	kind, name string
	pos        Pos
}

func newRegistry() *registry {
	return &registry{
		pbxs: map[string]Pos{}, users: map[string]Pos{}, devices: map[string]Pos{},
		deviceKinds: map[string]DeviceKind{},
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

// resolve checks every reference and applies the defaults that depend on
// other elements (a device's password defaults to its user's).
func (l *loader) resolve(f *File, reg *registry) {
	tables := map[string]map[string]Pos{"user": reg.users, "device": reg.devices, "pbx": reg.pbxs,
		"actor": knownActors(reg), "Push object": pushObjects(f)}
	for _, ref := range reg.refs {
		table := tables[ref.kind]
		if _, ok := table[ref.name]; ok {
			continue
		}
		hint := didYouMean(ref.name, sortedNames(table))
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
	for _, a := range f.Actions {
		if a.Device == "" {
			continue
		}
		kind, ok := reg.deviceKinds[a.Device]
		if ok && !kind.IsApp() && (a.App != "" || a.Logout || a.DefaultSoftphone != nil || a.WebsocketSession != nil) {
			l.errorf(a.Pos, "device %q is a %s; app, logout, default_softphone and websocket_session apply only to myapps and mypbx", a.Device, kind)
		}
	}
}

// PBXOf returns the index in f.PBXs of the PBX the named user belongs to
// (a device registers with its user's PBX), or -1.
func (f *File) PBXOf(user string) int {
	for i, p := range f.PBXs {
		for _, u := range p.Users {
			if u.Name == user {
				return i
			}
		}
	}
	return -1
}

// User returns the named user, or nil.
func (f *File) User(name string) *User {
	for i := range f.PBXs {
		for j := range f.PBXs[i].Users {
			if f.PBXs[i].Users[j].Name == name {
				return &f.PBXs[i].Users[j]
			}
		}
	}
	return nil
}

// Device returns the named device, or nil.
func (f *File) Device(name string) *Device {
	for i := range f.Devices {
		if f.Devices[i].Name == name {
			return &f.Devices[i]
		}
	}
	return nil
}
