package main

import (
	"fmt"
	"strings"
)

// tokenKind classifies a lexical item of ASN.1 (X.680 clause 12), reduced to what the
// H.225.0, H.235 and H.245 modules use.
type tokenKind int

const (
	tokEOF    tokenKind = iota
	tokIdent            // typereference, identifier, valuereference or keyword
	tokNumber           // non-negative number
	tokString           // "cstring", quotes removed and "" unescaped
	tokBinHex           // 'bits'B or 'hex'H, kept verbatim
	tokField            // &Type (a field reference of an information object class)
	tokPunct            // ::= ... .. and single characters
)

type token struct {
	kind tokenKind
	text string
	line int
}

func (t token) String() string {
	if t.kind == tokEOF {
		return "end of file"
	}
	return fmt.Sprintf("%q", t.text)
}

// lex splits an ASN.1 module into tokens. Comments run from "--" to the next "--" or the
// end of the line and may contain any byte (the H.225.0 module has 0x1E inside two comments);
// "/* */" comments nest.
func lex(src string) ([]token, error) {
	var toks []token
	line := 1
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			i += 2
			for i < len(src) && src[i] != '\n' {
				if src[i] == '-' && i+1 < len(src) && src[i+1] == '-' {
					i += 2
					break
				}
				i++
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			depth := 0
			for i < len(src) {
				if strings.HasPrefix(src[i:], "/*") {
					depth++
					i += 2
					continue
				}
				if strings.HasPrefix(src[i:], "*/") {
					depth--
					i += 2
					if depth == 0 {
						break
					}
					continue
				}
				if src[i] == '\n' {
					line++
				}
				i++
			}
			if depth != 0 {
				return nil, fmt.Errorf("line %d: unterminated /* comment", line)
			}
		case isLetter(c):
			j := i + 1
			for j < len(src) {
				if isLetter(src[j]) || isDigit(src[j]) {
					j++
					continue
				}
				// A single hyphen continues a name when a letter or digit follows; "--" starts a comment.
				if src[j] == '-' && j+1 < len(src) && (isLetter(src[j+1]) || isDigit(src[j+1])) {
					j++
					continue
				}
				break
			}
			toks = append(toks, token{tokIdent, src[i:j], line})
			i = j
		case isDigit(c):
			j := i
			for j < len(src) && isDigit(src[j]) {
				j++
			}
			toks = append(toks, token{tokNumber, src[i:j], line})
			i = j
		case c == '"':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(src) {
					return nil, fmt.Errorf("line %d: unterminated string", line)
				}
				if src[j] == '"' {
					if j+1 < len(src) && src[j+1] == '"' {
						b.WriteByte('"')
						j += 2
						continue
					}
					break
				}
				if src[j] == '\n' {
					line++
				}
				b.WriteByte(src[j])
				j++
			}
			toks = append(toks, token{tokString, b.String(), line})
			i = j + 1
		case c == '\'':
			j := strings.IndexByte(src[i+1:], '\'')
			if j < 0 || i+j+2 >= len(src) {
				return nil, fmt.Errorf("line %d: unterminated bstring/hstring", line)
			}
			end := i + j + 3
			toks = append(toks, token{tokBinHex, src[i:end], line})
			i = end
		case c == '&':
			j := i + 1
			for j < len(src) && (isLetter(src[j]) || isDigit(src[j]) || src[j] == '-') {
				j++
			}
			toks = append(toks, token{tokField, src[i:j], line})
			i = j
		case strings.HasPrefix(src[i:], "::="):
			toks = append(toks, token{tokPunct, "::=", line})
			i += 3
		case strings.HasPrefix(src[i:], "..."):
			toks = append(toks, token{tokPunct, "...", line})
			i += 3
		case strings.HasPrefix(src[i:], ".."):
			toks = append(toks, token{tokPunct, "..", line})
			i += 2
		case strings.HasPrefix(src[i:], "[["):
			toks = append(toks, token{tokPunct, "[[", line})
			i += 2
		case strings.HasPrefix(src[i:], "]]"):
			toks = append(toks, token{tokPunct, "]]", line})
			i += 2
		case strings.ContainsRune("{}()[],;|^<>.@!:-", rune(c)):
			toks = append(toks, token{tokPunct, string(c), line})
			i++
		default:
			return nil, fmt.Errorf("line %d: unexpected byte 0x%02x", line, c)
		}
	}
	toks = append(toks, token{kind: tokEOF, line: line})
	return toks, nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
