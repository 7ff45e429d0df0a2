package q931

import "testing"

// TestDisplayTrailingNUL: the NUL octets that end a Display (H323Plus sends its name as a C
// string, "alice\x00") are not part of the text; other octets, NUL inside included, are.
func TestDisplayTrailingNUL(t *testing.T) {
	for _, tc := range []struct{ contents, want string }{
		{"alice\x00", "alice"},
		{"alice\x00\x00", "alice"},
		{"alice", "alice"},
		{"al\x00ice", "al\x00ice"},
		{"\x00", ""},
		{"bell\x07\x00", "bell\x07"},
	} {
		m := Message{Type: Setup, Elements: []InformationElement{{ID: IEDisplay, Contents: []byte(tc.contents)}}}
		got, err := m.Display()
		if err != nil || string(got) != tc.want {
			t.Errorf("Display of %q = %q, %v; want %q", tc.contents, got, err, tc.want)
		}
	}
}
