package sim

import (
	"fmt"
	"net/netip"
	"testing"
)

func TestAddressPlan(t *testing.T) {
	p := NewAddressPlan()
	steps := []struct {
		kind, name, want string
	}{
		{"infra", "pbx", "10.0.0.1"},
		{"device", "alice-iphone", "10.1.0.1"},
		{"infra", "push", "10.0.0.2"},
		{"device", "bob-desk", "10.1.0.2"},
		{"infra", "pbx", "10.0.0.1"},           // same name, same address
		{"device", "alice-iphone", "10.1.0.1"}, // ditto
	}
	for _, s := range steps {
		var a netip.Addr
		var err error
		if s.kind == "infra" {
			a, err = p.Infrastructure(s.name)
		} else {
			a, err = p.Device(s.name)
		}
		if err != nil || a.String() != s.want {
			t.Fatalf("%s %q = %v, %v; want %s", s.kind, s.name, a, err, s.want)
		}
		if got := p.Name(a); got != s.name {
			t.Fatalf("Name(%v) = %q, want %q", a, got, s.name)
		}
	}
	if _, err := p.Device("pbx"); err == nil {
		t.Fatal("an infrastructure name got a device address")
	}
	if _, err := p.Infrastructure("bob-desk"); err == nil {
		t.Fatal("a device name got an infrastructure address")
	}
	for _, a := range []string{"10.0.0.3", "10.1.0.3", "10.1.0.0", "10.1.0.255", "192.168.0.1", "::1"} {
		if n := p.Name(netip.MustParseAddr(a)); n != "" {
			t.Fatalf("Name(%s) = %q, want none", a, n)
		}
	}
	if a, ok := p.Lookup("bob-desk"); !ok || a.String() != "10.1.0.2" {
		t.Fatalf("Lookup = %v %v", a, ok)
	}
}

func TestAddressPlanDeviceNumbering(t *testing.T) {
	tests := []struct {
		index int
		want  string
	}{
		{0, "10.1.0.1"},
		{253, "10.1.0.254"},
		{254, "10.1.1.1"}, // .255 and .0 skipped
		{devicesPerBlock - 1, "10.1.255.254"},
		{devicesPerBlock, "10.2.0.1"},
		{maxDevices - 1, "10.254.255.254"},
	}
	for _, tt := range tests {
		if got := deviceAddr(tt.index).String(); got != tt.want {
			t.Errorf("deviceAddr(%d) = %s, want %s", tt.index, got, tt.want)
		}
	}
	p := NewAddressPlan()
	for i := range devicesPerBlock + 300 {
		a, err := p.Device(fmt.Sprintf("d%d", i))
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Name(a); got != fmt.Sprintf("d%d", i) {
			t.Fatalf("device %d at %v named back as %q", i, a, got)
		}
	}
}

func TestAddressPlanInfrastructureFull(t *testing.T) {
	p := NewAddressPlan()
	for i := range maxInfra {
		if _, err := p.Infrastructure(fmt.Sprint("i", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Infrastructure("one-too-many"); err == nil {
		t.Fatal("255th infrastructure actor accepted")
	}
}
