package importer

import (
	"slices"
	"time"
)

// deviceFacts are what the capture tells of one endpoint.
type deviceFacts struct {
	// latency is the one-way delay measured on its RAS exchanges: a
	// capture taken where messages are sent (or on one host) shows it as
	// the time between a request and its answer. spread is how much the
	// measurements differ (jitter).
	latency, spread time.Duration
	measured        bool
	ttl             int64  // time-to-live its RRQ asked for, in seconds (0: none)
	signs           string // hmac, md5 or "" (unsigned)
	gkidAsked       string // the gatekeeper ID its GRQ asked for
	rejected        string // the reason of a refused discovery or registration
	skew            time.Duration
	spans           []span
	// moves are the full RRQs it sent while registered (not a keep-alive,
	// not a retransmission): a phone that registers again from where it
	// is now, as after a change of network.
	moves []time.Duration
	// losses are the datagrams of its link the exchanges say were lost.
	losses []*message
	// app: the inference made it an app; notes are for its device.
	app   bool
	notes []string
	// tunnel: its RAS travels inside its call-signalling connection
	// (H.460.17): tunnelled in the capture, or written as datagrams from
	// the very port of that connection.
	tunnel bool
}

// span is one registration attempt: from its first RAS message to its end.
type span struct {
	start      time.Duration
	registered time.Duration // the RCF, -1 when it never came
	end        time.Duration // the URQ (or a reject), -1 while it lasts
	byGK       bool          // the gatekeeper ended it
	rejected   string
	first      *message // GRQ or RRQ that started it
	// gaveUp: the endpoint unregistered after a registration request
	// of its own went unanswered (it gives up on a registration it may
	// hold); retry: the span after one that gave up, the endpoint's own
	// registering again (the model's phones do both by themselves).
	gaveUp, retry bool
}

const never = time.Duration(-1)

func (s span) activeAt(t time.Duration) bool {
	return s.registered >= 0 && s.registered <= t && (s.end < 0 || s.end > t)
}

// exchange pairs a request with its answer.
type exchange struct {
	copies []*message // the request and its retransmissions, in order
	answer *message   // the first answer, nil when none came
	// answerOf holds, per copy, the first answer seen after it and
	// before the next copy (nil: none).
	answerOf []*message
}

// answers maps a request kind to its answers.
var answers = map[string][]string{
	"grq": {"gcf", "grj"}, "rrq": {"rcf", "rrj"}, "urq": {"ucf", "urj"}, "arq": {"acf", "arj"},
	"brq": {"bcf", "brj"}, "drq": {"dcf", "drj"}, "lrq": {"lcf", "lrj"}, "irq": {"irr"},
}

// exchanges groups an endpoint's RAS messages into requests (with their
// retransmissions: the same kind and sequence number from the same side)
// and answers.
func exchanges(e *endpoint) []*exchange {
	var out []*exchange
	open := map[[2]any]*exchange{}
	for _, m := range e.msgs {
		kind := rasEvents[m.typ]
		if _, isRequest := answers[kind]; isRequest {
			// The same kind and sequence number from the same side is a
			// retransmission, whether or not an answer was seen (a lost
			// answer is in a capture taken where it was sent).
			k := [2]any{kind + m.from.ident(), m.seq()}
			if x := open[k]; x != nil {
				x.copies = append(x.copies, m)
				x.answerOf = append(x.answerOf, nil)
				continue
			}
			x := &exchange{copies: []*message{m}, answerOf: []*message{nil}}
			open[k] = x
			out = append(out, x)
			continue
		}
		for req, ans := range answers {
			if !slices.Contains(ans, kind) {
				continue
			}
			k := [2]any{req + m.to.ident(), m.seq()}
			if x := open[k]; x != nil {
				if x.answer == nil {
					x.answer = m
				}
				if i := len(x.copies) - 1; x.answerOf[i] == nil {
					x.answerOf[i] = m
				}
			}
		}
	}
	return out
}

// measure finds an endpoint's latency and losses from its exchanges.
func measure(e *endpoint) {
	var deltas []time.Duration
	for _, x := range exchanges(e) {
		n := len(x.copies) - 1
		if a := x.answerOf[n]; a != nil && !x.copies[n].tunnel {
			deltas = append(deltas, a.at-x.copies[n].at)
		}
		for i, c := range x.copies {
			switch a := x.answerOf[i]; {
			case a != nil && i < n:
				// Answered, yet asked again: the answer was lost. It is
				// in the capture because it was taken where it was sent.
				a.lost = true
				e.inf.losses = append(e.inf.losses, a)
			case a == nil && !c.tunnel:
				// Never answered: the request was lost (a stream loses
				// nothing; tunnelled RAS is left as it is).
				c.lost = true
				e.inf.losses = append(e.inf.losses, c)
			}
		}
	}
	if len(deltas) > 0 {
		// The lower median: a delay only ever adds (a retransmission on a
		// stream, a busy peer), so of two the shorter is the link's.
		slices.Sort(deltas)
		e.inf.latency = deltas[(len(deltas)-1)/2]
		e.inf.spread = deltas[len(deltas)-1] - deltas[0]
		e.inf.measured = true
	}
	slices.SortFunc(e.inf.losses, func(a, b *message) int { return a.n - b.n })
}

// registrations reads an endpoint's registration attempts and what its
// requests say of it (time-to-live, tokens, gatekeeper asked for).
func registrations(e *endpoint) {
	var cur *span
	lastRRQ := int64(-1)
	unanswered, gaveUp := false, false
	closeAt := func(t time.Duration, byGK bool, rejected string) {
		if cur != nil {
			cur.end, cur.byGK, cur.rejected = t, byGK, rejected
			e.inf.spans = append(e.inf.spans, *cur)
			cur = nil
		}
	}
	for _, m := range e.msgs {
		fromEP := m.from.ep == e
		switch {
		case m.is("grq") && fromEP:
			if m.f.GatekeeperIdentifier != "" {
				e.inf.gkidAsked = m.f.GatekeeperIdentifier
			}
			if cur == nil {
				cur = &span{start: m.at, registered: never, end: never, first: m}
			}
		case m.is("rrq") && fromEP:
			unanswered = true
			if m.f.TimeToLive != nil && e.inf.ttl == 0 {
				e.inf.ttl = *m.f.TimeToLive
			}
			if s := signature(m); s != "" {
				e.inf.signs = s
			}
			if !m.f.KeepAlive && cur == nil {
				cur = &span{start: m.at, registered: never, end: never, first: m, retry: gaveUp}
				gaveUp = false
			} else if !m.f.KeepAlive && cur.registered >= 0 && m.seq() != lastRRQ {
				e.inf.moves = append(e.inf.moves, m.at)
			}
			lastRRQ = m.seq()
		case m.is("gcf") && !fromEP:
		case (m.is("grj") || m.is("rrj")) && !fromEP:
			unanswered = false
			if m.is("rrj") || cur != nil && cur.registered < 0 {
				e.inf.rejected = m.f.RejectReason
				if cur != nil && cur.registered < 0 {
					closeAt(m.at, true, m.f.RejectReason)
				}
			}
		case m.is("rcf") && !fromEP:
			unanswered = false
			if cur != nil && cur.registered < 0 {
				cur.registered = m.at
			}
		case m.is("urq"):
			if cur != nil {
				if fromEP && unanswered {
					cur.gaveUp, gaveUp = true, true
				}
				closeAt(m.at, !fromEP, "")
			}
		}
	}
	if cur != nil {
		e.inf.spans = append(e.inf.spans, *cur)
	}
}

// signature names how a request is signed: hmac (H.235.1 HMAC-SHA1-96 in
// a nested hashed token), md5 (cryptoEPPwdHash), or "".
func signature(m *message) string {
	sig := ""
	for _, t := range m.f.Tokens {
		switch t.Kind {
		case "cryptoHashedToken":
			return "hmac"
		case "cryptoEPPwdHash":
			sig = "md5"
		}
	}
	return sig
}

// registeredAt reports whether the endpoint held a registration at t.
func (e *endpoint) registeredAt(t time.Duration) bool {
	for _, s := range e.inf.spans {
		if s.activeAt(t) {
			return true
		}
	}
	return false
}
