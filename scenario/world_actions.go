package scenario

import (
	"cmp"
	"slices"

	"github.com/callwake/callwake/pbx"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/push/cloud"
)

// Timed changes of the network the driver makes (actor -1), besides
// netChange and pushLatency.
type (
	// vendorBlock blocks or unblocks what an app can reach of its vendor
	// (B20): its Wi-Fi's firewall as the app's network now has it.
	vendorBlock struct {
		actor   int
		port    uint16
		blocked bool
	}
	// pushLink takes a PBX's path to the push service down or up (the
	// Push object's reachable, B04).
	pushLink struct {
		pbx  int // actor index
		down bool
	}
)

// appNetwork is an app's network as the actions leave it (B20).
type appNetwork struct {
	connection Connection
	vendorOpen bool // the Wi-Fi's firewall lets the vendor's port through
}

// blocked: the app cannot reach its vendor (on a Wi-Fi that blocks it).
func (n appNetwork) blocked() bool { return n.connection == ConnectionWiFi && !n.vendorOpen }

// netOf is the network a device starts on.
func netOf(d *Device) appNetwork {
	open := d.IOS.VendorPortOpen
	if d.OS == OSAndroid {
		open = d.Android.VendorPortOpen
	}
	return appNetwork{connection: d.Connection, vendorOpen: open}
}

// schedule turns calls and actions into timed commands: actions at 0s
// first (they shape the world before anything happens in it), then calls
// and later actions in file order; a driver runs equal times in this order.
// An action that changes a Push object or an app's network changes what
// earlier actions left, so those states are worked out in time order first.
func (w *world) schedule(o buildOptions) error {
	f := w.file
	states, err := w.actionStates(o)
	if err != nil {
		return err
	}
	for i := range f.Actions {
		if a := &f.Actions[i]; a.At == 0 {
			w.action(a, states[i])
		}
	}
	for i := range f.Calls {
		c := &f.Calls[i]
		pc := phone.PlaceCall{To: c.To, HangupAfter: c.HangupAfter, HangupAfterSetup: c.HangupAfterSetup}
		if c.HangupAt > 0 {
			pc.HangupIn = c.HangupAt - c.At
		}
		w.timed = append(w.timed, timed{at: c.At, actor: w.index[c.From], cmd: pc})
	}
	for i := range f.Actions {
		if a := &f.Actions[i]; a.At > 0 {
			w.action(a, states[i])
		}
	}
	return nil
}

// actionState is what an action leaves of a state that actions change
// step by step: the app's network before and after it, or the Push object
// it makes.
type actionState struct {
	netBefore, netAfter appNetwork
	push                *pbx.PushConfig
	// reachBefore and reachAfter: the PBX reached the service before and
	// after the action (the Push object's reachable).
	reachBefore, reachAfter bool
}

// actionStates works out, in time order (file order for equal times), the
// app networks and Push objects the actions leave, by action index.
func (w *world) actionStates(o buildOptions) ([]actionState, error) {
	f := w.file
	order := make([]int, len(f.Actions))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(f.Actions[a].At, f.Actions[b].At) })
	nets := map[string]appNetwork{}
	pushes := map[int]*Push{} // by PBX index: the Push object now
	for i := range f.PBXs {
		pushes[i] = f.PBXs[i].Push
	}
	states := make([]actionState, len(f.Actions))
	for _, i := range order {
		a := &f.Actions[i]
		switch {
		case a.Device != "" && (a.VendorPort != nil || a.Connection != ""):
			n, ok := nets[a.Device]
			if !ok {
				n = netOf(f.Device(a.Device))
			}
			states[i].netBefore = n
			if a.VendorPort != nil {
				n.vendorOpen = *a.VendorPort
			}
			if a.Connection != "" {
				n.connection = a.Connection
			}
			states[i].netAfter, nets[a.Device] = n, n
		case a.Push != nil:
			index := slices.IndexFunc(f.PBXs, func(p PBX) bool { return p.Name == a.PBX })
			before := pushes[index]
			next := DefaultPush(index)
			if before != nil {
				next = *before
			}
			states[i].reachBefore = before == nil || before.Reachable
			next = next.Apply(a.Push)
			states[i].reachAfter = next.Reachable
			pushes[index] = &next
			cfg, err := w.pushConfig(index, &next, o)
			if err != nil {
				return nil, err
			}
			states[i].push = cfg
		}
	}
	return states, nil
}

// action turns one timed action of the file into commands.
func (w *world) action(a *Action, st actionState) {
	at := func(actor int, cmd any) { w.timed = append(w.timed, timed{at: a.At, actor: actor, cmd: cmd}) }
	switch {
	case a.Device != "":
		d := w.index[a.Device]
		if a.WebsocketSession != nil {
			// The session carries the push key (B08).
			at(d, phone.SessionChanged{Up: *a.WebsocketSession})
		}
		if a.DefaultSoftphone != nil {
			// B26: deselected, a push no longer starts the softphone.
			at(d, phone.DefaultSoftphoneChanged{Default: *a.DefaultSoftphone})
		}
		if a.App != "" {
			at(d, phone.AppStateChanged{State: phone.AppState(a.App)})
		}
		if a.Logout {
			at(d, phone.AppStateChanged{State: phone.LoggedOut})
		}
		if a.VendorPort != nil || a.Connection != "" {
			w.networkAction(a, st, at)
		}
	case a.User != "":
		ref, ok := w.users[a.User]
		if !ok {
			return
		}
		p := w.index[w.file.PBXs[ref.pbx].Name]
		if a.Notify != nil {
			// B22: the PBX pushes a message (not a call) to the user's apps.
			at(p, pbx.Notify{User: a.User, Title: a.Notify.Title, Content: a.Notify.Content})
		}
		if a.Presence == "" {
			return
		}
		at(p, pbx.PresenceChanged{User: a.User, Presence: pbx.Presence(a.Presence)})
		for i := range w.file.Devices {
			if d := &w.file.Devices[i]; d.User == a.User {
				at(w.index[d.Name], phone.PresenceChanged{Presence: phone.Presence(a.Presence)})
			}
		}
	case a.Push != nil:
		// B01-B06: the administrator creates or changes the Push object; a
		// firewall opened or closed on the way to the service is the
		// network's (B04).
		p := w.index[a.PBX]
		if st.reachAfter != st.reachBefore {
			at(-1, pushLink{pbx: p, down: !st.reachAfter})
		}
		at(p, pbx.SetPushObject{Push: *st.push})
	case a.Restart != "":
		at(w.index[a.Restart], pbx.Restart{Down: a.Down})
	case a.PushService != nil:
		if a.PushService.Latency != nil {
			at(-1, pushLatency{*a.PushService.Latency})
		}
		if a.PushService.Available != nil {
			at(w.index[actorPush], cloud.SetAvailable{On: *a.PushService.Available})
		}
		if r := a.PushService.Registration; r != nil {
			// B06: the service's operators set a system name's password.
			at(w.index[actorPush], cloud.SetRegistration{Registration: push.Registration{SystemName: r.SystemName, Password: r.Password}})
		}
	case a.Network != nil:
		at(-1, netChange{device: a.Network.Device, change: a.Network})
	}
}

// networkAction: an app's Wi-Fi firewall changed, or the app moved between
// Wi-Fi and mobile data (B20). The driver blocks or unblocks the vendor's
// port; a new block cuts the open connection to the vendor (the phone
// retries at its pace); a move makes the phone connect to its vendor and
// register again at once.
func (w *world) networkAction(a *Action, st actionState, at func(int, any)) {
	d := w.index[a.Device]
	if port, ok := vendorPort(w.file.Device(a.Device)); ok && st.netBefore.blocked() != st.netAfter.blocked() {
		at(-1, vendorBlock{actor: d, port: port, blocked: st.netAfter.blocked()})
	}
	switch {
	case st.netAfter.connection != st.netBefore.connection:
		at(d, phone.NetworkMoved{})
	case st.netAfter.blocked() && !st.netBefore.blocked():
		at(d, phone.VendorCut{})
	}
}
