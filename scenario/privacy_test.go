package scenario

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/timeline"
)

// tapped is one piece of bytes a pushTap saw.
type tapped struct {
	hop  string
	data []byte
}

// secret is one detail B07 keeps from the push service and the vendors.
type secret struct {
	kind  string // number, name, title, content
	value string
}

// TestLibraryPrivacy is B07 across the library: every scenario runs with a
// tap on the push path, and no byte the push service or the APNs/FCM
// emulators handled (the WebSocket stream from the PBX and its messages,
// the service's answers, the HTTP/2 requests to the vendors and their
// answers, the payloads delivered to phones), nor any push.* event's
// attributes or wire bytes, holds a caller's number or name or a
// notification's title or content in clear. The apps do get them: what they
// decrypt must be among the secrets, and across the library every kind of
// secret reaches an app, so a leak or a wrong list of secrets fails here.
func TestLibraryPrivacy(t *testing.T) {
	decrypted := map[string]bool{} // kinds an app decrypted, library-wide
	for _, path := range libraryFiles(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			f, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			var seen []tapped
			r, err := Run(f, RunOptions{Record: true, pushTap: func(hop string, data []byte) {
				seen = append(seen, tapped{hop, data})
			}})
			if err != nil {
				t.Fatal(err)
			}
			events := r.Timeline.Events()
			secrets := privacySecrets(t, f, events)

			untrusted := 0
			for _, s := range seen {
				if s.hop == tapApp {
					continue
				}
				untrusted += len(s.data)
				for _, sec := range secrets {
					if containsWord(s.data, sec.value) {
						t.Errorf("caller %s %q in clear on hop %q:\n%s", sec.kind, sec.value, s.hop, s.data)
					}
				}
			}
			for _, e := range events {
				if !strings.HasPrefix(e.Name, "push.") {
					continue
				}
				for _, sec := range secrets {
					for _, a := range e.Attrs {
						if containsWord([]byte(a.Value), sec.value) {
							t.Errorf("caller %s %q in clear in %s", sec.kind, sec.value, e.String())
						}
					}
					if e.Wire != nil && containsWord(e.Wire.Payload, sec.value) {
						t.Errorf("caller %s %q in clear in the wire bytes of %s", sec.kind, sec.value, e.String())
					}
				}
			}
			if hasEvent(events, push.EventForwarded) && untrusted == 0 {
				t.Fatal("a push was forwarded but the tap saw no bytes")
			}

			// The app's side: what it decrypted is what the test looks
			// for, and its ringing shows it.
			for _, s := range seen {
				if s.hop != tapApp {
					continue
				}
				fields := strings.Split(string(s.data), "\n")
				if len(fields) != 6 {
					t.Fatalf("app tap %q: want 6 lines", s.data)
				}
				for i, kind := range [...]string{"", "number", "name", "", "title", "content"} {
					v := fields[i]
					if kind == "" || v == "" {
						continue
					}
					if !slices.Contains(secrets, secret{kind, v}) {
						t.Errorf("the app decrypted %s %q, which the test does not look for (secrets %v)", kind, v, secrets)
					}
					decrypted[kind] = true
				}
			}
			if name == "privacy-encrypted-payload" && !hasEvent(events, "device.ringing", "number=202", "name=bob") {
				t.Error("the app did not show the decrypted number and name")
			}
		})
	}
	for _, kind := range []string{"number", "name", "title", "content"} {
		if !decrypted[kind] {
			t.Errorf("no app in the library decrypted a %s: the test checks nothing for it", kind)
		}
	}
}

// privacySecrets lists a file's secrets: the number and name of every
// calling device's user, and the title and content of every notification.
// A name that the push protocol carries in clear by design (the user and
// device a push is for) is left out, so a user calling another device of
// their own does not count as a leak.
func privacySecrets(t *testing.T, f *File, events []timeline.Event) []secret {
	t.Helper()
	var clear []string
	for _, e := range events {
		if e.Name != push.EventRequest {
			continue
		}
		for _, a := range e.Attrs {
			if a.Key == "user" || a.Key == "device" {
				clear = append(clear, a.Value)
			}
		}
	}
	var out []secret
	add := func(kind, value string) {
		if value == "" || slices.Contains(out, secret{kind, value}) {
			return
		}
		for _, c := range clear {
			if containsWord([]byte(c), value) {
				t.Logf("%s %q is also a push target's identity, sent in clear by design: not checked", kind, value)
				return
			}
		}
		out = append(out, secret{kind, value})
	}
	for _, c := range f.Calls {
		d := f.Device(c.From)
		if d == nil {
			continue
		}
		if u := f.User(d.User); u != nil {
			add("number", u.Number)
			add("name", u.Name)
			// The display names the PBX shows the caller by are details too.
			add("name", u.Display)
			add("name", d.Display)
		}
	}
	for _, a := range f.Actions {
		if a.Notify != nil {
			add("title", a.Notify.Title)
			add("content", a.Notify.Content)
		}
	}
	return out
}

// containsWord reports whether needle occurs in hay with no letter or digit
// right before or after it. Tokens, keys and ciphertexts are long runs of
// letters and digits: a short number like "202" inside a hex token is
// chance, not a leak, and must not make the test depend on the seed.
func containsWord(hay []byte, needle string) bool {
	n := []byte(needle)
	for off := 0; off <= len(hay); {
		i := bytes.Index(hay[off:], n)
		if i < 0 {
			return false
		}
		start, end := off+i, off+i+len(n)
		if (start == 0 || !isWordByte(hay[start-1])) && (end == len(hay) || !isWordByte(hay[end])) {
			return true
		}
		off = start + 1
	}
	return false
}

func isWordByte(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// hasEvent reports whether an event of that name has all the key=value
// attributes.
func hasEvent(events []timeline.Event, name string, attrs ...string) bool {
	for _, e := range events {
		if e.Name != name {
			continue
		}
		ok := true
		for _, kv := range attrs {
			key, value, _ := strings.Cut(kv, "=")
			got, found := "", false
			for _, a := range e.Attrs {
				if a.Key == key {
					got, found = a.Value, true
				}
			}
			ok = ok && found && got == value
		}
		if ok {
			return true
		}
	}
	return false
}
