package scenario

import (
	"github.com/callwake/callwake/pbx"
	"github.com/callwake/callwake/phone"
)

// apply carries out one timed action of the file.
func (w *world) apply(a *Action) {
	switch {
	case a.Device != "":
		d := w.byName[a.Device]
		if a.WebsocketSession != nil {
			// The session carries the push key (B08).
			d.setWebSocketSession(*a.WebsocketSession)
		}
		if a.DefaultSoftphone != nil {
			// B26: deselected, a push no longer starts the softphone.
			d.handle(phone.DefaultSoftphoneChanged{Default: *a.DefaultSoftphone})
		}
		if a.App != "" {
			d.handle(phone.AppStateChanged{State: phone.AppState(a.App)})
		}
		if a.Logout {
			d.handle(phone.AppStateChanged{State: phone.LoggedOut})
		}
	case a.User != "":
		if a.Notify != nil {
			// B22: the PBX pushes a message (not a call) to the user's apps.
			if ref, ok := w.users[a.User]; ok {
				w.pbxs[ref.pbx].handle(pbx.Notify{User: a.User, Title: a.Notify.Title, Content: a.Notify.Content})
			}
		}
		if a.Presence == "" {
			return
		}
		if ref, ok := w.users[a.User]; ok {
			w.pbxs[ref.pbx].handle(pbx.PresenceChanged{User: a.User, Presence: pbx.Presence(a.Presence)})
		}
		for _, d := range w.devices {
			if d.spec.User == a.User {
				d.handle(phone.PresenceChanged{Presence: phone.Presence(a.Presence)})
			}
		}
	case a.PushService != nil:
		if a.PushService.Latency != nil {
			for _, p := range w.pbxs {
				link := w.net.Link(p.addr, w.push.addr)
				link.Latency = *a.PushService.Latency
				w.net.SetLink(p.addr, w.push.addr, link)
			}
		}
		if a.PushService.Available != nil {
			w.push.setAvailable(*a.PushService.Available)
		}
	case a.Network != nil:
		n := a.Network
		if n.Device == "" {
			link := w.defaultLink
			change(&link.Latency, n.Latency)
			change(&link.Jitter, n.Jitter)
			change(&link.Loss, n.Loss)
			w.defaultLink = link
			w.net.SetDefaultLink(link)
			return
		}
		d := w.byName[n.Device]
		link := w.net.Link(d.addr, d.pbx.addr)
		change(&link.Latency, n.Latency)
		change(&link.Jitter, n.Jitter)
		change(&link.Loss, n.Loss)
		w.net.SetLink(d.addr, d.pbx.addr, link)
	}
}

// change sets *dst to *v when the action gives a value.
func change[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
