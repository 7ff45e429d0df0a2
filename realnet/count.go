package realnet

import "time"

// Connections counts the open connections of every hosted node (TCP, TLS,
// WSS, HTTP2), as the loop sees them; -1 when the loop does not answer
// within a second (it is stopping, or overloaded).
func (h *Host) Connections() int {
	got := make(chan int, 1)
	if !h.loop.Post(func() {
		n := 0
		for _, hn := range h.nodes {
			n += len(hn.conns)
		}
		got <- n
	}) {
		return -1
	}
	select {
	case n := <-got:
		return n
	case <-time.After(time.Second):
		return -1
	}
}
