package pbx

import (
	"maps"
	"slices"
	"time"

	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/timeline"
)

// Restart is a Command: the PBX restarts. Every registration, call and
// connection is lost at once (a storm's classic cause); with Down it is off
// the network that long (its sockets closed: datagrams are lost, connections
// refused) before it listens again. Its configuration survives. Phones learn
// of it from their next keep-alive (RRJ fullRegistrationRequired, or no
// answer while it is down) and register again.
type Restart struct{ Down time.Duration }

// timerRestarted ends a restart's downtime.
const timerRestarted = timerLegUnreachable + 1

func (n *Node) restart(now time.Time, r Restart) {
	n.record("pbx.restarted", timeline.A("pbx", n.cfg.Name), timeline.A("down", r.Down))
	for _, id := range slices.Sorted(maps.Keys(n.conns)) {
		n.emit(node.Close{Conn: id, Reason: "restart"})
	}
	n.conns = map[node.ConnID]*pconn{}
	n.resetH245()
	n.callers, n.legs, n.guids = map[CallID]*sigLeg{}, map[LegID]*sigLeg{}, map[CallID][16]byte{}
	n.dials = map[uint64]dialFor{} // a connection that comes up later is closed (dialled)
	n.pushes = map[string]pendingPush{}
	n.rasDo(now, n.gk.Reset())
	for _, d := range n.dir {
		d.reg, d.route, d.tunnel, d.session = nil, rasRoute{}, 0, 0
	}
	clear(n.byRAS)
	clear(n.byIP)
	n.handle(now, Reset{})
	if n.client != nil {
		if n.pushConn != 0 {
			n.emit(node.Close{Conn: n.pushConn, Reason: "restart"})
			n.pushConn = 0
		}
		n.emit(node.CancelTimer{ID: push.TimerReconnect.Node()}, node.CancelTimer{ID: push.TimerLogin.Node()})
		client, err := push.NewClient(n.cfg.Push.Client, n.cfg.Random)
		if err == nil { // the configuration was accepted once already
			n.client = client
		}
		n.pushUp, n.pushDialing = false, false
	}
	if r.Down <= 0 {
		if n.client != nil {
			n.pushDo(n.client.Start())
		}
		return
	}
	n.down = true
	for _, s := range n.sockets() {
		n.emit(node.Unlisten{Sock: s})
	}
	n.emit(node.SetTimer{ID: node.TimerID{Kind: timerRestarted}, After: r.Down})
}

// restarted: the downtime is over; the PBX comes up as at the start.
func (n *Node) restarted() {
	if !n.down {
		return
	}
	n.down = false
	n.record("pbx.up", timeline.A("pbx", n.cfg.Name))
	n.start()
}

// sockets are the PBX's listening sockets.
func (n *Node) sockets() []node.SockID {
	socks := []node.SockID{sockRAS, sockSignal, sockSecure, sockSession}
	if !n.cfg.NoDTLS {
		socks = append(socks, sockDTLS)
	}
	return socks
}
