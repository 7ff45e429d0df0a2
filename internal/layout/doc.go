// Package layout checks the project's package layout against the rules of
// the design, over `go list` data (the imports of non-test code):
//
//   - only the nodes' own packages (phone, pbx, push/cloud) import both ras
//     and h323: the glue between RAS and call signalling is written once,
//     in a node, not again in a driver, a command or a view;
//   - the drivers (realnet, sim) depend on no node package, directly or
//     not: a driver hosts any node through the node contract;
//   - scenario imports neither ras nor h323: it turns a file into node
//     configurations and leaves the protocols to the nodes.
//
// The package has tests only.
package layout
