package scenario

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// A scenario file is user input, and the YAML library's cost is not linear
// in every shape of it: its parser is quadratic in the number of keys of a
// block mapping (each further key re-copies the ones after it), its
// tokenizer and syntax tree cost a few hundred bytes per token (a flow list
// of small numbers, one token per 1.5 bytes, cost 450 times its size), and
// its formatted error messages print the source around the error token, at
// a cost quadratic in the line's length. So a file is read through a size
// limit, checked by a cheap byte scan (line length, an estimate of its
// tokens), tokenized once, checked again on the tokens (exact count,
// nesting, keys per mapping), and only then parsed from those tokens.
// Every limit is far beyond what a scenario needs and is documented in
// docs/scenario-format.md ("General rules").

// MaxFileSize bounds a scenario file. Real scenarios are a few kilobytes.
const MaxFileSize = 1 << 20

const (
	// maxLineLength bounds one line, in bytes. The library's longest line
	// is about 300 bytes.
	maxLineLength = 4096
	// maxTokens bounds the YAML tokens of a file (keys, values,
	// punctuation): about 25 bytes of source each in block style. It keeps
	// the parser's memory at tens of megabytes in the worst case.
	maxTokens = 100_000
	// maxKeys bounds the keys of one mapping: the format's largest mapping
	// has about twenty; the parser's time grows with the square of the
	// count.
	maxKeys = 200
	// maxNesting bounds how deeply collections nest. The format itself nests
	// about six levels.
	maxNesting = 32
)

// Load reads and parses the scenario file at path. Messages cite the path
// as given, the way compilers do, so a terminal can open them. The file is
// read through the size limit: a device or pipe that never ends (a path
// like /dev/zero) costs at most MaxFileSize bytes.
func Load(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	start := Pos{File: path, Line: 1, Col: 1}
	if info, err := f.Stat(); err == nil && info.Mode().IsRegular() && info.Size() > MaxFileSize {
		return nil, Errors{{Pos: start, Message: tooLarge(fmt.Sprintf("%d bytes", info.Size()))}}
	}
	src, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(src) > MaxFileSize {
		return nil, Errors{{Pos: start, Message: tooLarge("more than " + fmt.Sprint(MaxFileSize) + " bytes")}}
	}
	return Parse(path, src)
}

func tooLarge(size string) string {
	return fmt.Sprintf("the file is %s; a scenario may be at most %d", size, MaxFileSize)
}

// parseYAML turns src into the one document's body (nil for an empty file).
func (l *loader) parseYAML(src []byte) (body ast.Node, ok bool) {
	tokens, ok := l.checkShape(src)
	if !ok {
		return nil, false
	}
	file, err := safeParse(tokens)
	if err != nil {
		l.errorf(l.syntaxErrorPos(err), "YAML syntax error: %s", syntaxMessage(err))
		return nil, false
	}
	var bodies []ast.Node
	for _, doc := range file.Docs {
		if doc != nil && doc.Body != nil {
			bodies = append(bodies, doc.Body)
		}
	}
	if len(bodies) > 1 {
		l.errorf(l.pos(bodies[1]), "a scenario is one YAML document; this is a second one")
		return nil, false
	}
	if len(bodies) == 0 {
		return nil, true
	}
	return bodies[0], true
}

// yamlError is what every error of the YAML library offers besides Error:
// the bare message and the token it is about. Error itself must not be
// called: it prints the source around the token, at a cost quadratic in
// the line's length (205 s of CPU for one 1 MB line).
type yamlError interface {
	GetMessage() string
	GetToken() *token.Token
}

// maxMessage bounds a message taken from the YAML library (it may quote
// part of the input).
const maxMessage = 200

func syntaxMessage(err error) string {
	msg := ""
	var ye yamlError
	if errors.As(err, &ye) {
		msg = ye.GetMessage()
	} else {
		msg = err.Error() // ours (safeParse); never the library's formatted text
	}
	if len(msg) > maxMessage {
		cut := maxMessage
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return msg
}

func (l *loader) syntaxErrorPos(err error) Pos {
	var ye yamlError
	if errors.As(err, &ye) {
		if tk := ye.GetToken(); tk != nil && tk.Position != nil && tk.Position.Line > 0 {
			return Pos{File: l.file, Line: tk.Position.Line, Col: max(tk.Position.Column, 1)}
		}
	}
	return Pos{File: l.file, Line: 1, Col: 1}
}

// checkShape refuses input too large, too long-lined, too many-tokened or
// too deeply nested to be a scenario, and returns its tokens otherwise.
func (l *loader) checkShape(src []byte) (token.Tokens, bool) {
	start := Pos{File: l.file, Line: 1, Col: 1}
	if len(src) > MaxFileSize {
		l.errorf(start, "%s", tooLarge(fmt.Sprintf("%d bytes", len(src))))
		return nil, false
	}
	if !l.scanBytes(src) {
		return nil, false
	}
	tokens, err := safeTokenize(src)
	if err != nil {
		l.errorf(start, "YAML syntax error: %v", err)
		return nil, false
	}
	if !l.checkTokens(tokens) {
		return nil, false
	}
	return tokens, true
}

// scanBytes is the byte-level pre-scan: every line at most maxLineLength
// bytes, and an estimate of the tokens at most twice maxTokens, so that
// the tokenizer (a few hundred bytes of memory per token) never runs on
// input the exact check would refuse many times over. The estimate counts
// runs of non-blank characters, flow punctuation, quoted scalars and
// mapping colons, and skips comments: it over-counts plain scalars of
// several words, so it is a gate, not the limit.
func (l *loader) scanBytes(src []byte) bool {
	line, col := 1, 0
	estimate := 0
	var quote byte // ' or " while inside a quoted scalar
	inRun, inComment := false, false
	for i := 0; i < len(src); i++ {
		b := src[i]
		if b == '\n' {
			line, col, inRun, inComment = line+1, 0, false, false
			continue
		}
		col++
		if col > maxLineLength {
			l.errorf(Pos{File: l.file, Line: line, Col: col},
				"line %d is longer than %d bytes; a scenario's lines are far shorter", line, maxLineLength)
			return false
		}
		counted := false
		switch {
		case inComment:
		case quote == '"':
			if b == '\\' && i+1 < len(src) && src[i+1] != '\n' {
				i, col = i+1, col+1
			} else if b == '"' {
				quote, inRun = 0, true
			}
		case quote == '\'':
			if b == '\'' && i+1 < len(src) && src[i+1] == '\'' {
				i, col = i+1, col+1
			} else if b == '\'' {
				quote, inRun = 0, true
			}
		case b == ' ' || b == '\t' || b == '\r':
			inRun = false
		case b == '#' && !inRun:
			inComment = true
		case strings.IndexByte(",[]{}", b) >= 0:
			counted, inRun = true, false
		case (b == '"' || b == '\'') && !inRun:
			counted, quote = true, b
		case b == ':' && (i+1 == len(src) || strings.IndexByte(" \t\r\n,[]{}", src[i+1]) >= 0):
			counted, inRun = true, false
		case !inRun:
			counted, inRun = true, true
		}
		if counted {
			estimate++
			if estimate > 2*maxTokens {
				l.errorf(Pos{File: l.file, Line: line, Col: col},
					"the file holds far more than %d YAML tokens (keys, values, punctuation); a scenario needs far fewer", maxTokens)
				return false
			}
		}
	}
	return true
}

// blockLevel is an open block collection: the column of its keys or
// entries, and for a mapping how many keys it has had.
type blockLevel struct {
	column, keys int
	sequence     bool
}

// checkTokens applies the exact limits to the tokens: their number, the
// nesting of collections and the keys of each mapping. Block collections
// are followed by the columns of their keys and entries (a key or entry
// left of an open collection's ends it), flow collections by their
// brackets.
func (l *loader) checkTokens(tokens token.Tokens) bool {
	at := func(tk *token.Token) Pos {
		return Pos{File: l.file, Line: tk.Position.Line, Col: max(tk.Position.Column, 1)}
	}
	var (
		count int
		flow  []int // per open flow collection: keys counted (-1: a sequence)
		block []blockLevel
		prev  *token.Token
	)
	// open finds or opens the block level of a key (sequence false) or an
	// entry (sequence true) at column c and returns it.
	open := func(c int, sequence bool) *blockLevel {
		for n := len(block); n > 0; n = len(block) {
			top := block[n-1]
			// An indentless sequence ("key:\n- item") shares its parent
			// key's column; the parent's next key ends it.
			if top.column > c || top.column == c && top.sequence && !sequence {
				block = block[:n-1]
				continue
			}
			if top.column == c && top.sequence == sequence {
				return &block[n-1]
			}
			break
		}
		block = append(block, blockLevel{column: c, sequence: sequence})
		return &block[len(block)-1]
	}
	for _, tk := range tokens {
		if tk == nil || tk.Position == nil || tk.Type == token.CommentType {
			continue
		}
		count++
		if count > maxTokens {
			l.errorf(at(tk), "the file holds more than %d YAML tokens (keys, values, punctuation); a scenario needs far fewer", maxTokens)
			return false
		}
		depth := len(block) + len(flow)
		switch tk.Type {
		case token.SequenceStartType, token.MappingStartType:
			keys := 0
			if tk.Type == token.SequenceStartType {
				keys = -1
			}
			flow = append(flow, keys)
			depth++
		case token.SequenceEndType, token.MappingEndType:
			if len(flow) > 0 {
				flow = flow[:len(flow)-1]
			}
		case token.SequenceEntryType, token.MappingKeyType:
			if len(flow) == 0 {
				open(tk.Position.Column, true)
				depth = len(block)
			}
		case token.MappingValueType:
			keys := 0
			switch {
			case len(flow) > 0 && flow[len(flow)-1] >= 0:
				flow[len(flow)-1]++
				keys = flow[len(flow)-1]
			case len(flow) == 0 && prev != nil && prev.Position != nil:
				level := open(prev.Position.Column, false)
				level.keys++
				keys = level.keys
				depth = len(block)
			}
			if keys > maxKeys {
				l.errorf(at(prev), "a mapping with more than %d keys; a scenario's mappings have a few dozen at most", maxKeys)
				return false
			}
		}
		if depth > maxNesting {
			l.errorf(at(tk), "collections nested more than %d levels deep; a scenario needs far fewer", maxNesting)
			return false
		}
		prev = tk
	}
	return true
}

func safeTokenize(src []byte) (tokens token.Tokens, err error) {
	defer func() {
		if r := recover(); r != nil {
			tokens, err = nil, fmt.Errorf("the YAML tokenizer failed on this input (%v)", r)
		}
	}()
	return lexer.Tokenize(string(src)), nil
}

// safeParse runs the YAML parser on the checked tokens, turning a panic
// inside it into an error: a scenario file is user input and must never
// crash the program.
func safeParse(tokens token.Tokens) (file *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			file, err = nil, fmt.Errorf("the YAML parser failed on this input (%v)", r)
		}
	}()
	// Duplicate keys are reported by the loader, together with everything
	// else, rather than by the parser as a lone fatal error.
	file, err = parser.Parse(tokens, 0, parser.AllowDuplicateMapKey())
	if err == nil && file == nil {
		err = errors.New("the YAML parser returned nothing")
	}
	return file, err
}
