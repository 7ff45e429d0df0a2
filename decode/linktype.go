package decode

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"slices"

	"github.com/gopacket/gopacket/pcapgo"
)

// pcapngMagic is the first block type of a pcapng file (its Section Header).
const pcapngMagic = 0x0a0d0d0a

// fileLinkTypes lists the link types a capture file declares, each once, in
// the order of first declaration: the file header's for pcap, the interface
// descriptions' for pcapng. The capture reader has already accepted the
// file, so an error here means it changed underneath.
func fileLinkTypes(path string) ([]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("link types: %w", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	head, err := br.Peek(4)
	if err != nil {
		return nil, fmt.Errorf("link types: %w", err)
	}
	if binary.LittleEndian.Uint32(head) != pcapngMagic {
		r, err := pcapgo.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("link types: %w", err)
		}
		return []int{int(r.LinkType())}, nil
	}
	r, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		return nil, fmt.Errorf("link types: %w", err)
	}
	// Interfaces may be declared anywhere in the file: read it through.
	// A damaged tail (any error, io.EOF included) was already reported
	// by the capture reader; the interfaces read so far still count.
	for {
		if _, _, err := r.ReadPacketData(); err != nil {
			break
		}
	}
	var types []int
	for i := range r.NInterfaces() {
		intf, err := r.Interface(i)
		if err != nil {
			break
		}
		if lt := int(intf.LinkType); !slices.Contains(types, lt) {
			types = append(types, lt)
		}
	}
	return types, nil
}
