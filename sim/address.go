package sim

import (
	"fmt"
	"net/netip"
)

// AddressPlan hands out simulated IPv4 addresses to actors by name, in the
// order they are asked for: infrastructure (PBXs, the push service, vendor
// emulators) gets 10.0.0.1 … 10.0.0.254, devices get 10.1.0.1, 10.1.0.2, …,
// 10.1.0.254, 10.1.1.1, … and continue into 10.2.x.y and beyond (65,024
// devices per /16, about 16 million in all). Host parts .0 and .255 are
// skipped so that no address looks like a network or broadcast address in a
// pcap file. The same name always gets the same address, and a scenario that
// builds its world in file order gets the same plan on every run.
//
// These addresses exist only in the simulated network and in pcap files; they
// are never bound on a real socket.
type AddressPlan struct {
	byName  map[string]netip.Addr
	infra   []string // index i owns 10.0.0.(i+1)
	devices []string // index i owns deviceAddr(i)
}

const (
	maxInfra        = 254
	devicesPerBlock = 256 * 254
	maxDevices      = 254 * devicesPerBlock // second octet 1 … 254
)

// NewAddressPlan returns an empty plan.
func NewAddressPlan() *AddressPlan {
	return &AddressPlan{byName: make(map[string]netip.Addr)}
}

// Infrastructure returns the address of the infrastructure actor name,
// assigning the next free one in 10.0.0.0/24 on first use.
func (p *AddressPlan) Infrastructure(name string) (netip.Addr, error) {
	if a, ok := p.byName[name]; ok {
		if !isInfra(a) {
			return netip.Addr{}, fmt.Errorf("sim: %q already has device address %v", name, a)
		}
		return a, nil
	}
	if len(p.infra) >= maxInfra {
		return netip.Addr{}, fmt.Errorf("sim: more than %d infrastructure actors", maxInfra)
	}
	a := netip.AddrFrom4([4]byte{10, 0, 0, byte(len(p.infra) + 1)})
	p.infra = append(p.infra, name)
	p.byName[name] = a
	return a, nil
}

// Device returns the address of the device name, assigning the next free one
// from 10.1.0.1 on first use.
func (p *AddressPlan) Device(name string) (netip.Addr, error) {
	if a, ok := p.byName[name]; ok {
		if isInfra(a) {
			return netip.Addr{}, fmt.Errorf("sim: %q already has infrastructure address %v", name, a)
		}
		return a, nil
	}
	if len(p.devices) >= maxDevices {
		return netip.Addr{}, fmt.Errorf("sim: more than %d devices", maxDevices)
	}
	a := deviceAddr(len(p.devices))
	p.devices = append(p.devices, name)
	p.byName[name] = a
	return a, nil
}

// Lookup returns the address already assigned to name.
func (p *AddressPlan) Lookup(name string) (netip.Addr, bool) {
	a, ok := p.byName[name]
	return a, ok
}

// Name returns the actor that owns addr, or "" if the plan did not assign it.
func (p *AddressPlan) Name(addr netip.Addr) string {
	if !addr.Is4() {
		return ""
	}
	b := addr.As4()
	if b[0] != 10 || b[3] == 0 || b[3] == 255 {
		return ""
	}
	if b[1] == 0 {
		if b[2] != 0 || int(b[3]) > len(p.infra) {
			return ""
		}
		return p.infra[b[3]-1]
	}
	i := (int(b[1])-1)*devicesPerBlock + int(b[2])*254 + int(b[3]) - 1
	if i >= len(p.devices) {
		return ""
	}
	return p.devices[i]
}

func deviceAddr(i int) netip.Addr {
	block, rest := i/devicesPerBlock, i%devicesPerBlock
	return netip.AddrFrom4([4]byte{10, byte(block + 1), byte(rest / 254), byte(rest%254 + 1)})
}

func isInfra(a netip.Addr) bool {
	b := a.As4()
	return b[1] == 0
}
