package ras

import (
	"bytes"
	"testing"
)

func TestKeyMessageRoundTrip(t *testing.T) {
	b, err := Encode(NewKeyMessage(7, []byte("secret material")))
	if err != nil {
		t.Fatal(err)
	}
	data, ok := KeyMessageData(b)
	if !ok || !bytes.Equal(data, []byte("secret material")) {
		t.Fatalf("KeyMessageData = %q, %v", data, ok)
	}
	rcf, _ := Encode(NewUCF(7))
	if _, ok := KeyMessageData(rcf); ok {
		t.Fatal("a UCF was taken for a key message")
	}
	other := NewKeyMessage(7, []byte("x"))
	other.NonStandardMessage.NonStandardData.NonStandardIdentifier.Object = []uint32{1, 2, 3}
	ob, _ := Encode(other)
	if _, ok := KeyMessageData(ob); ok {
		t.Fatal("another vendor's nonStandardMessage was taken for a key message")
	}
}
