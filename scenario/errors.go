package scenario

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Pos is a place in a scenario file, kept on every element a later error or
// verdict may want to cite. Line and Col count from 1; zero means unknown.
type Pos struct {
	File string
	Line int
	Col  int
}

// String renders the position as "FILE:LINE:COL", the form editors and
// terminals turn into links.
func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Problem is one thing wrong with a scenario file.
type Problem struct {
	Pos     Pos
	Message string
}

// Error renders the problem as "FILE:LINE:COL: message".
func (p Problem) Error() string { return p.Pos.String() + ": " + p.Message }

// Errors holds every problem found in a file, sorted by position, so that a
// user fixes a file in one pass instead of one error per run.
type Errors []Problem

// Error renders one problem per line.
func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, p := range e {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// sortProblems orders problems by file, line, column, then message, and
// drops exact duplicates (one bad node can be reached twice, e.g. a name
// that is both duplicated and referenced).
func sortProblems(ps []Problem) Errors {
	slices.SortFunc(ps, func(a, b Problem) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
			cmp.Compare(a.Message, b.Message),
		)
	})
	return Errors(slices.Compact(ps))
}

// suggest returns the candidate closest to word by edit distance when it is
// close enough to be a likely misspelling, or "" if none is.
func suggest(word string, candidates []string) string {
	best, bestDistance := "", -1
	for _, c := range candidates {
		d := editDistance(word, c)
		if bestDistance < 0 || d < bestDistance {
			best, bestDistance = c, d
		}
	}
	// A third of the word (at least 1, at most 3 edits) catches dropped,
	// doubled and swapped letters without proposing unrelated words.
	// An edit count as long as the word itself would replace it entirely
	// ("e" -> "d"): that is not a misspelling.
	limit := min(max(len(word)/3, 1), 3, len([]rune(word))-1)
	if bestDistance < 0 || bestDistance > limit {
		return ""
	}
	return best
}

// didYouMean formats a suggestion for word, or returns "".
func didYouMean(word string, candidates []string) string {
	if s := suggest(word, candidates); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b, counting an
// adjacent transposition as one edit (the commonest typo). Inputs are keys
// and names from the file; runes keep non-ASCII names honest.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Bound the work on adversarial input: names longer than this are
	// never a misspelling of a key.
	if len(ra) > 64 || len(rb) > 64 {
		return max(len(ra), len(rb))
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
