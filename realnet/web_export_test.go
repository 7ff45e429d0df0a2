package realnet

// OwnedConns is how many closers (sockets, listeners, connections) the host's loop keeps (tests
// of what a long-running host holds).
func OwnedConns(h *Host) int {
	h.loop.mu.Lock()
	defer h.loop.mu.Unlock()
	return len(h.loop.closers) + len(h.loop.owned)
}
