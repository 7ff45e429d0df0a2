package scenario

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRowTitles: every catalogue row has a short title, and only they do.
func TestRowTitles(t *testing.T) {
	for _, id := range CatalogueRows {
		if title := RowTitle(id); title == "" || len(title) > 60 {
			t.Errorf("%s: title %q (want a short one)", id, title)
		}
	}
	if len(rowTitles) != len(CatalogueRows) {
		t.Errorf("%d titles for %d rows", len(rowTitles), len(CatalogueRows))
	}
	if RowTitle("B09") != "" {
		t.Error("B09 is no catalogue row but has a title")
	}
}

func TestCoverage(t *testing.T) {
	files := []*File{
		{Name: "b", Covers: []string{"B11", "B01"}},
		{Name: "a", Covers: []string{"B11"}},
		{Name: "c"},
	}
	rows := Coverage(files)
	if len(rows) != len(CatalogueRows) {
		t.Fatalf("%d rows, want %d", len(rows), len(CatalogueRows))
	}
	want := map[string][]string{"B01": {"b"}, "B11": {"a", "b"}}
	for i, r := range rows {
		if r.ID != CatalogueRows[i] || r.Title != RowTitle(r.ID) {
			t.Errorf("row %d: %+v", i, r)
		}
		if !slices.Equal(r.Scenarios, want[r.ID]) {
			t.Errorf("%s: scenarios %v, want %v", r.ID, r.Scenarios, want[r.ID])
		}
	}
	if got := Uncovered(rows); len(got) != len(CatalogueRows)-2 || slices.Contains(got, "B01") || !slices.Contains(got, "B02") {
		t.Errorf("uncovered %v", got)
	}
	md := CoverageMarkdown(rows, len(files))
	for _, line := range []string{"| B11 | " + RowTitle("B11") + " | `a`, `b` |", "| B02 | " + RowTitle("B02") + " | **none** |", "3 scenarios; 2 of 29 rows covered."} {
		if !strings.Contains(md, line) {
			t.Errorf("markdown lacks %q:\n%s", line, md)
		}
	}
}

// loadLibrary loads every scenario of ../scenarios.
func loadLibrary(t testing.TB) []*File {
	t.Helper()
	var files []*File
	for _, path := range libraryFiles(t) {
		f, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

// TestLibraryCoversCatalogue: every catalogue row has a scenario, and the
// generated page docs/coverage.md says so as of now (`make coverage`).
func TestLibraryCoversCatalogue(t *testing.T) {
	files := loadLibrary(t)
	rows := Coverage(files)
	if missing := Uncovered(rows); len(missing) > 0 {
		t.Errorf("catalogue rows without a scenario: %v", missing)
	}
	page, err := os.ReadFile(filepath.Join("..", "docs", "coverage.md"))
	if err != nil {
		t.Fatal(err)
	}
	if string(page) != CoverageMarkdown(rows, len(files)) {
		t.Error("docs/coverage.md is out of date: run `make coverage`")
	}
}

// TestCoversUnknownRow: a scenario citing a row outside the catalogue is a
// load error at the ID's position, so the coverage table never sees it.
func TestCoversUnknownRow(t *testing.T) {
	tests := []struct{ covers, want string }{
		{"[B09]", `x.yaml:2:10: unknown behaviour "B09" in covers`},
		{"[B11, B33]", `x.yaml:2:15: unknown behaviour "B33" in covers`},
		{"[b11]", `unknown behaviour "b11" in covers (did you mean "B11"?)`},
		{"[B11, B11]", `behaviour "B11" is listed twice in covers`},
	}
	for _, tt := range tests {
		t.Run(tt.covers, func(t *testing.T) {
			src := "name: x\ncovers: " + tt.covers + "\npbx: {users: [{name: bob, number: \"202\"}]}\n" +
				"devices: [{name: d, user: bob, kind: deskphone}]\nexpect: [{event: ras.rcf}]\n"
			_, err := Parse("x.yaml", []byte(src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestLibraryUsesEveryFault: every network fault and timed action of the
// format is exercised by at least one scenario of the library, so a
// regression in any of them shows in a library run.
func TestLibraryUsesEveryFault(t *testing.T) {
	anyAction := func(f *File, ok func(a *Action) bool) bool {
		for i := range f.Actions {
			if ok(&f.Actions[i]) {
				return true
			}
		}
		return false
	}
	faults := []struct {
		name string
		used func(f *File) bool
	}{
		{"network latency", func(f *File) bool { return f.Network.Latency != DefaultNetworkLatency }},
		{"network jitter", func(f *File) bool { return f.Network.Jitter > 0 }},
		{"network loss", func(f *File) bool { return f.Network.Loss > 0 }},
		{"per-device link", func(f *File) bool { return len(f.Network.Links) > 0 }},
		{"action app closed", func(f *File) bool {
			return anyAction(f, func(a *Action) bool { return a.App == AppClosed })
		}},
		{"action presence", func(f *File) bool {
			return anyAction(f, func(a *Action) bool { return a.Presence != "" })
		}},
		{"action logout", func(f *File) bool {
			return anyAction(f, func(a *Action) bool { return a.Logout })
		}},
		{"action push service down", func(f *File) bool {
			return anyAction(f, func(a *Action) bool {
				return a.PushService != nil && a.PushService.Available != nil && !*a.PushService.Available
			})
		}},
		{"action link loss", func(f *File) bool {
			return anyAction(f, func(a *Action) bool {
				return a.Network != nil && a.Network.Device != "" && a.Network.Loss != nil && *a.Network.Loss > 0
			})
		}},
		{"action default softphone", func(f *File) bool {
			return anyAction(f, func(a *Action) bool { return a.DefaultSoftphone != nil })
		}},
		{"action websocket session", func(f *File) bool {
			return anyAction(f, func(a *Action) bool { return a.WebsocketSession != nil })
		}},
		{"action vendor port opened", func(f *File) bool {
			return anyAction(f, func(a *Action) bool { return a.VendorPort != nil && *a.VendorPort })
		}},
		{"action vendor port blocked", func(f *File) bool {
			return anyAction(f, func(a *Action) bool { return a.VendorPort != nil && !*a.VendorPort })
		}},
		{"action to mobile data and back", func(f *File) bool {
			return anyAction(f, func(a *Action) bool { return a.Connection == ConnectionMobileData }) &&
				anyAction(f, func(a *Action) bool { return a.Connection == ConnectionWiFi })
		}},
		{"action creating a Push object", func(f *File) bool {
			return f.PBXs[0].Push == nil && anyAction(f, func(a *Action) bool { return a.Push != nil })
		}},
		{"action trust list", func(f *File) bool {
			return anyAction(f, func(a *Action) bool { return a.Push != nil && a.Push.TrustsService != nil })
		}},
		{"action certificate", func(f *File) bool {
			return anyAction(f, func(a *Action) bool { return a.Push != nil && a.Push.Certificate != nil })
		}},
		{"action certificate serial", func(f *File) bool {
			return anyAction(f, func(a *Action) bool { return a.Push != nil && a.Push.CertificateSerial != nil })
		}},
		{"action 12r2 password", func(f *File) bool {
			return anyAction(f, func(a *Action) bool { return a.Push != nil && a.Push.Password != nil })
		}},
		{"action firewall to the service", func(f *File) bool {
			return anyAction(f, func(a *Action) bool { return a.Push != nil && a.Push.Reachable != nil })
		}},
		{"action service registration", func(f *File) bool {
			return anyAction(f, func(a *Action) bool { return a.PushService != nil && a.PushService.Registration != nil })
		}},
		{"call hung up at a time", func(f *File) bool {
			return slices.ContainsFunc(f.Calls, func(c Call) bool { return c.HangupAt > 0 })
		}},
		{"call hung up after its Setup", func(f *File) bool {
			return slices.ContainsFunc(f.Calls, func(c Call) bool { return c.HangupAfterSetup > 0 })
		}},
		{"display names", func(f *File) bool {
			return slices.ContainsFunc(f.Devices, func(d Device) bool { return d.Display != "" }) &&
				slices.ContainsFunc(f.PBXs[0].Users, func(u User) bool { return u.Display != "" })
		}},
		{"a suspend_after of its own", func(f *File) bool {
			return slices.ContainsFunc(f.Devices, func(d Device) bool {
				return d.Kind.IsApp() && d.Suspend != DefaultIOSSuspend && d.Suspend != DefaultAndroidSuspend && !(d.Kind == KindMyPBX && d.OS == OSAndroid)
			})
		}},
	}
	files := loadLibrary(t)
	for _, fault := range faults {
		used := false
		for _, f := range files {
			used = used || fault.used(f)
		}
		if !used {
			t.Errorf("no library scenario uses %s", fault.name)
		}
	}
}
