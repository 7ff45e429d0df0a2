package report

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html"
	"io"
)

// The page's style and script are kept in files of their own so they can be
// read and linted as CSS and JavaScript, and inlined into every page so that
// the page needs nothing but itself.
var (
	//go:embed ladder.css
	ladderCSS string
	//go:embed ladder.js
	ladderJS string
)

// contentSecurityPolicy forbids the page every fetch: it runs its own
// inline style and script and nothing else, so opening a report cannot
// reach the network even by accident.
const contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

// WriteHTML writes run as one self-contained HTML page with a ladder
// diagram: a column per actor (callers, PBXs, the push service, APNs/FCM,
// the phones), an arrow per message event (see IsMessage) labelled with its
// name and time, a dot per other event, the visible timers as spans beside
// the PBX's column (registration timeout, CFNR; see timerSpans), and each
// failed expectation as a red mark at the time and column where its event
// should have been. Clicking an arrow shows the message's decoded fields
// (DecodeWire). The diagram is drawn by the page's script from a JSON model
// computed here; the same run gives the same bytes.
func WriteHTML(w io.Writer, run RunView) error {
	l := buildLadder(run)
	out := &errWriter{w: bufio.NewWriter(w)}
	out.printf("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	out.printf("<meta http-equiv=\"Content-Security-Policy\" content=\"%s\">\n", contentSecurityPolicy)
	out.printf("<title>%s: ladder</title>\n<style>\n%s</style>\n</head>\n<body>\n", html.EscapeString(run.Name), ladderCSS)
	out.printf("<header>\n")
	out.printf("<h1>%s</h1>\n", html.EscapeString(run.Name))
	failed := len(failedVerdicts(run.Verdicts))
	out.printf("<div class=\"meta\">%s · seed %d · %s simulated · %d events · %d of %d expectations met</div>\n",
		html.EscapeString(run.File), run.Seed, html.EscapeString(run.Duration.String()), len(run.Events),
		len(run.Verdicts)-failed, len(run.Verdicts))
	if run.Err != "" {
		out.printf("<div class=\"failed\">the run stopped: %s</div>\n", html.EscapeString(run.Err))
	}
	if len(l.Spans) > 0 {
		out.printf("<div id=\"timers\">timers:")
		for i, s := range l.Spans {
			if i > 0 {
				out.printf(";")
			}
			out.printf(" %s (started at %s)", html.EscapeString(s.Label), s.At)
		}
		out.printf("</div>\n")
	}
	out.printf("<ul id=\"verdicts\">\n")
	for _, v := range run.Verdicts {
		class := "ok"
		if !v.OK {
			class = "failed"
		}
		out.printf("<li class=\"%s\" title=\"%s\">%s — %s</li>\n", class, html.EscapeString(v.Position),
			html.EscapeString(v.Expectation), html.EscapeString(v.Message))
	}
	out.printf("</ul>\n</header>\n<main>\n<div id=\"ladder\"></div>\n")
	out.printf("<aside id=\"detail\"><pre id=\"detail-text\">Click an arrow to see the decoded message.</pre></aside>\n</main>\n")
	// json.Marshal escapes <, > and &, so the model cannot end the element.
	out.printf("<script type=\"application/json\" id=\"model\">")
	writeModel(out, l)
	out.printf("</script>\n<script>\n%s</script>\n</body>\n</html>\n", ladderJS)
	if out.err == nil {
		out.err = out.w.Flush()
	}
	if out.err != nil {
		return fmt.Errorf("report: html: %w", out.err)
	}
	return nil
}

// writeModel writes the ladder as the page's JSON model, row by row (each
// row's message decoded as it goes), so that a writer that stops accepting
// bytes stops the work.
func writeModel(out *errWriter, l ladder) {
	rows, spans := l.Rows, l.Spans
	l.Rows, l.Spans = nil, nil
	head, err := json.Marshal(l)
	if err != nil {
		out.err = err
		return
	}
	// {"name":...,"rows":null,"spans":null} -> the fields, then the lists.
	tail := []byte(`,"rows":null,"spans":null}`)
	if !bytes.HasSuffix(head, tail) {
		out.err = fmt.Errorf("the ladder model does not end with its rows and spans")
		return
	}
	out.write(bytes.TrimSuffix(head, tail))
	out.printf(`,"rows":[`)
	for i, r := range rows {
		if out.err != nil {
			return
		}
		if i > 0 {
			out.printf(",")
		}
		b, err := json.Marshal(r.withDetail())
		if err != nil {
			out.err = err
			return
		}
		out.write(b)
	}
	out.printf(`],"spans":`)
	if spans == nil {
		spans = []ladderSpan{}
	}
	b, err := json.Marshal(spans)
	if err != nil {
		out.err = err
		return
	}
	out.write(b)
	out.printf("}")
}

// errWriter keeps the first write error and drops everything after it.
type errWriter struct {
	w   *bufio.Writer
	err error
}

func (e *errWriter) write(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
