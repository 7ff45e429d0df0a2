package scenario

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var (
	behaviourHeading = regexp.MustCompile(`(?m)^### (B\d\d) — .+$`)
	scenarioNames    = regexp.MustCompile("`([a-z0-9][a-z0-9._-]*)`")
)

// TestBehavioursPage keeps docs/behaviours.md complete: a section per row
// of the catalogue, in order, each naming under "Scenarios:" at least one
// scenario of the library that exists and cites the row.
func TestBehavioursPage(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "docs", "behaviours.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(src)
	headings := behaviourHeading.FindAllStringSubmatchIndex(doc, -1)
	var rows []string
	for i, h := range headings {
		row := doc[h[2]:h[3]]
		rows = append(rows, row)
		end := len(doc)
		if i+1 < len(headings) {
			end = headings[i+1][0]
		}
		section := doc[h[1]:end]
		_, list, ok := strings.Cut(section, "**Scenarios:**")
		if !ok {
			t.Errorf("%s: no **Scenarios:** line", row)
			continue
		}
		list, _, _ = strings.Cut(list, "\n\n")
		names := scenarioNames.FindAllStringSubmatch(list, -1)
		if len(names) == 0 {
			t.Errorf("%s: names no scenario", row)
		}
		for _, n := range names {
			path := filepath.Join("..", "scenarios", n[1]+".yaml")
			f, err := Load(path)
			if err != nil {
				t.Errorf("%s names %s: %v", row, n[1], err)
				continue
			}
			if !slices.Contains(f.Covers, row) {
				t.Errorf("%s names %s, which does not cite it in covers (%v)", row, n[1], f.Covers)
			}
		}
	}
	if !slices.Equal(rows, CatalogueRows) {
		t.Errorf("docs/behaviours.md has sections %v; the catalogue's rows are %v", rows, CatalogueRows)
	}
}

// TestDocsCiteTheCatalogueInTheRepository: the user's documents point at
// docs/behaviours.md, not at a file outside the repository.
func TestDocsCiteTheCatalogueInTheRepository(t *testing.T) {
	for _, name := range []string{"README.md", "docs/scenario-format.md", "docs/coverage.md"} {
		src, err := os.ReadFile(filepath.Join("..", name))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(src), "BEHAVIOURS.md") {
			t.Errorf("%s cites BEHAVIOURS.md, which is not in the repository; cite docs/behaviours.md", name)
		}
		if !strings.Contains(string(src), "behaviours.md") {
			t.Errorf("%s does not cite docs/behaviours.md", name)
		}
	}
}
