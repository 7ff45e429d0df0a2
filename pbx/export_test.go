package pbx

// CallState counts what pbx.Node keeps per call and per connection, for the
// test that a PBX forgets ended calls (state the contract cannot show).
func CallState(n *Node) map[string]int {
	return map[string]int{"guids": len(n.guids), "callers": len(n.callers), "legs": len(n.legs),
		"pushes": len(n.pushes), "dials": len(n.dials), "conns": len(n.conns)}
}
