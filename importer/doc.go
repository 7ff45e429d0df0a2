// Package importer turns a packet capture into a scenario that reproduces
// it: pbxsim import.
package importer
