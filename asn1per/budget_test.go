package asn1per

import (
	"errors"
	"math"
	"testing"
)

func TestBudgetIsProportionalToTheInput(t *testing.T) {
	for _, n := range []int{0, 1, 200, 65507} {
		d := NewDecoder(make([]byte, n))
		if got, want := d.Budget(), AllocFactor*n+AllocSlack; got != want {
			t.Errorf("budget of %d octets = %d, want %d", n, got, want)
		}
	}
}

// TestChargeRefusesWhatTheBudgetDoesNotCover: a refused charge costs nothing, and counts whose
// product overflows are refused rather than wrapped.
func TestChargeRefusesWhatTheBudgetDoesNotCover(t *testing.T) {
	d := NewDecoder(nil)
	d.SetBudget(100)
	if err := d.Charge(60); err != nil || d.Budget() != 40 {
		t.Fatalf("Charge(60) = %v, budget %d", err, d.Budget())
	}
	for name, err := range map[string]error{
		"Charge(41)":             d.Charge(41),
		"Charge(-1)":             d.Charge(-1),
		"ChargeList(5, 9)":       d.ChargeList(5, 9),
		"ChargeList(huge, huge)": d.ChargeList(math.MaxInt/2, math.MaxInt/2),
	} {
		if !errors.Is(err, ErrLimit) {
			t.Errorf("%s = %v, want ErrLimit", name, err)
		}
	}
	if d.Budget() != 40 {
		t.Fatalf("refused charges spent budget: %d left", d.Budget())
	}
	if err := d.ChargeList(4, 10); err != nil || d.Budget() != 0 {
		t.Fatalf("ChargeList(4, 10) = %v, budget %d", err, d.Budget())
	}
	if err := d.ChargeList(0, 1000); err != nil {
		t.Fatalf("an empty list costs nothing: %v", err)
	}
}

// TestCopiesAreCharged: every primitive that copies out of the input spends budget, and fails
// with ErrLimit once it is spent.
func TestCopiesAreCharged(t *testing.T) {
	var e Encoder
	e.WriteOctetString([]byte("abcdefgh"), Size{Lb: 0, Ub: -1})
	e.WriteString("héllo wörld", bmpChars, Size{Lb: 0, Ub: -1})
	e.WriteOID(ObjectIdentifier{0, 0, 8, 2250, 0, 7})
	e.WriteBitString([]byte{0xff, 0xff, 0xff}, 24, Size{Lb: 0, Ub: -1})
	e.WriteOpenType([]byte{1, 2, 3})
	in := append([]byte(nil), e.Finish()...)
	reads := []func(*Decoder) error{
		func(d *Decoder) error { _, err := d.ReadOctetString(Size{Lb: 0, Ub: -1}); return err },
		func(d *Decoder) error { _, err := d.ReadString(bmpChars, Size{Lb: 0, Ub: -1}); return err },
		func(d *Decoder) error { _, err := d.ReadOID(); return err },
		func(d *Decoder) error { _, _, err := d.ReadBitString(Size{Lb: 0, Ub: -1}); return err },
		func(d *Decoder) error { _, err := d.ReadOpenType(); return err },
	}
	// With the default budget everything decodes; the copies cost what they hold.
	d := NewDecoder(in)
	for i, read := range reads {
		before := d.Budget()
		if err := read(d); err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		if d.Budget() >= before {
			t.Errorf("read %d charged nothing", i)
		}
	}
	// With a budget that runs out at each read in turn, that read fails with ErrLimit.
	for k := range reads {
		d := NewDecoder(in)
		for i := range k {
			if err := reads[i](d); err != nil {
				t.Fatal(err)
			}
		}
		d.SetBudget(1)
		if err := reads[k](d); !errors.Is(err, ErrLimit) {
			t.Errorf("read %d with a spent budget: %v, want ErrLimit", k, err)
		}
	}
}

// TestOpenTypeSubDecoderSpendsTheParentsBudget: a sub-decoder does not get a fresh budget
// from its own, shorter input, and hands what is left back.
func TestOpenTypeSubDecoderSpendsTheParentsBudget(t *testing.T) {
	var e Encoder
	e.WriteOpenType([]byte{0x05, 'a', 'b', 'c', 'd', 'e'})
	d := NewDecoder(e.Finish())
	d.SetBudget(3)
	var sub Decoder
	if err := d.OpenTypeInto(&sub); err != nil {
		t.Fatal(err)
	}
	if sub.Budget() != 3 {
		t.Fatalf("sub-decoder budget %d, want the parent's 3", sub.Budget())
	}
	if _, err := sub.ReadOctetString(Size{Lb: 0, Ub: -1}); !errors.Is(err, ErrLimit) {
		t.Fatalf("5 octets on a budget of 3: %v", err)
	}
	sub.Charge(2)
	d.CloseOpenType(&sub)
	if d.Budget() != 1 {
		t.Fatalf("parent budget after CloseOpenType %d, want 1", d.Budget())
	}
}

// TestFragmentedCopiesAreChargedAsTheyGrow: a fragmented octet string (64K octets and more) is
// charged for its reassembly, so a budget just above its length is not enough when append must
// grow the copy.
func TestFragmentedCopiesAreChargedAsTheyGrow(t *testing.T) {
	big := make([]byte, 3*fragmentUnit+100)
	var e Encoder
	e.WriteOctetString(big, Size{Lb: 0, Ub: -1})
	in := append([]byte(nil), e.Finish()...)
	d := NewDecoder(in)
	before := d.Budget()
	b, err := d.ReadOctetString(Size{Lb: 0, Ub: -1})
	if err != nil || len(b) != len(big) {
		t.Fatalf("%d octets, %v", len(b), err)
	}
	if spent := before - d.Budget(); spent < len(big) {
		t.Fatalf("spent %d for %d octets", spent, len(big))
	}
	d = NewDecoder(in)
	d.SetBudget(len(big))
	if _, err := d.ReadOctetString(Size{Lb: 0, Ub: -1}); !errors.Is(err, ErrLimit) {
		t.Fatalf("reassembly on an exact budget: %v, want ErrLimit", err)
	}
}
