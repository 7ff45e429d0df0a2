package report

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"strings"
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
	model, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	fmt.Fprintf(&b, "<meta http-equiv=\"Content-Security-Policy\" content=\"%s\">\n", contentSecurityPolicy)
	fmt.Fprintf(&b, "<title>%s: ladder</title>\n<style>\n%s</style>\n</head>\n<body>\n", html.EscapeString(run.Name), ladderCSS)
	b.WriteString("<header>\n")
	fmt.Fprintf(&b, "<h1>%s</h1>\n", html.EscapeString(run.Name))
	failed := len(failedVerdicts(run.Verdicts))
	fmt.Fprintf(&b, "<div class=\"meta\">%s · seed %d · %s simulated · %d events · %d of %d expectations met</div>\n",
		html.EscapeString(run.File), run.Seed, html.EscapeString(run.Duration.String()), len(run.Events),
		len(run.Verdicts)-failed, len(run.Verdicts))
	if run.Err != "" {
		fmt.Fprintf(&b, "<div class=\"failed\">the run stopped: %s</div>\n", html.EscapeString(run.Err))
	}
	if len(l.Spans) > 0 {
		b.WriteString("<div id=\"timers\">timers:")
		for i, s := range l.Spans {
			if i > 0 {
				b.WriteString(";")
			}
			fmt.Fprintf(&b, " %s (started at %s)", html.EscapeString(s.Label), s.At)
		}
		b.WriteString("</div>\n")
	}
	b.WriteString("<ul id=\"verdicts\">\n")
	for _, v := range run.Verdicts {
		class := "ok"
		if !v.OK {
			class = "failed"
		}
		fmt.Fprintf(&b, "<li class=\"%s\" title=\"%s\">%s — %s</li>\n", class, html.EscapeString(v.Position),
			html.EscapeString(v.Expectation), html.EscapeString(v.Message))
	}
	b.WriteString("</ul>\n</header>\n<main>\n<div id=\"ladder\"></div>\n")
	b.WriteString("<aside id=\"detail\"><pre id=\"detail-text\">Click an arrow to see the decoded message.</pre></aside>\n</main>\n")
	// json.Marshal escapes <, > and &, so the model cannot end the element.
	fmt.Fprintf(&b, "<script type=\"application/json\" id=\"model\">%s</script>\n", model)
	fmt.Fprintf(&b, "<script>\n%s</script>\n</body>\n</html>\n", ladderJS)
	_, err = io.WriteString(w, b.String())
	return err
}
