package q931

import (
	"bytes"
	"errors"
	"runtime"
	"testing"
)

// allocatedPerRun returns the heap bytes f allocates per run.
func allocatedPerRun(runs int, f func()) int {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return int((after.TotalAlloc - before.TotalAlloc) / uint64(runs))
}

// TestDecodeAllocationBounded: whatever the elements, Decode allocates at most the copy of the
// element area and MaxElements entries (len(input) + 8 KiB); a message of more elements is
// refused before anything is allocated for them.
func TestDecodeAllocationBounded(t *testing.T) {
	header := fromHex(t, "08 02 00 01 05")
	tests := []struct {
		name    string
		body    []byte
		wantErr error
	}{
		{"MaxElements single-octet elements", bytes.Repeat([]byte{0xa1}, MaxElements), nil},
		{"MaxElements empty Display elements", bytes.Repeat([]byte{IEDisplay, 0}, MaxElements), nil},
		{"one User-user element of 60 KB", append([]byte{IEUserUser, 0xea, 0x60}, make([]byte, 60000)...), nil},
		{"65,000 single-octet elements", bytes.Repeat([]byte{0xa1}, 65000), ErrTooManyElements},
		{"30,000 empty Display elements", bytes.Repeat([]byte{IEDisplay, 0}, 30000), ErrTooManyElements},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append(append([]byte(nil), header...), tt.body...)
			m, err := Decode(in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			alloc := allocatedPerRun(200, func() { Decode(in) })
			// The element copy, MaxElements entries of 32 bytes (rounded up to the runtime's size class:
			// at most 1/8 more), the error.
			limit := len(in) + (8<<10)*9/8 + 512
			if alloc > limit {
				t.Errorf("%d octets allocate %d bytes, more than %d", len(in), alloc, limit)
			}
			if tt.wantErr == nil && len(m.Elements) == 0 {
				t.Error("no elements decoded")
			}
			if allocs := testing.AllocsPerRun(10, func() { Decode(in) }); allocs > 2 {
				t.Errorf("%v allocations, want at most 2 (element copy and element slice, or the error)", allocs)
			}
		})
	}
}
