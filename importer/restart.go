package importer

// Restarts: a gatekeeper that falls silent while several endpoints ask it
// things, and afterwards treats endpoints registered before as strangers,
// restarted (the scenario's `restart` action with its `down` time). Its
// silence is then no loss on the endpoints' links.

import (
	"fmt"
	"time"
)

// restart is a restart of a gatekeeper the capture shows.
type restart struct {
	gk       *gatekeeper
	at, down time.Duration
	// silent counts the requests nobody answered while it was down, from
	// how many endpoints.
	silent, endpoints int
}

// restarts finds every gatekeeper's restarts and takes the requests its
// silence left unanswered off the losses. It runs after facts (the
// latencies and losses are measured); restartActions writes them once the
// gatekeepers have their names.
func (in *inference) restarts() {
	sent := map[*gatekeeper][]*message{}
	for _, m := range in.w.c.msgs {
		if m.ras && m.from != nil && m.from.gk != nil {
			sent[m.from.gk] = append(sent[m.from.gk], m)
		}
	}
	for _, g := range in.w.gks {
		in.restartList = append(in.restartList, in.findRestarts(g, sent[g])...)
	}
}

func (in *inference) restartActions() {
	for _, r := range in.restartList {
		in.actions = append(in.actions, actionOut{at: r.at, restart: r.gk.name, down: r.down,
			note: fmt.Sprintf("%s answers nothing from %s for %s while %s go unanswered (%s), then treats endpoints registered before as unknown: it restarted, off the network meanwhile",
				r.gk.name, dur(r.at), dur(r.down), plural(r.silent, "request"), plural(r.endpoints, "endpoint"))})
	}
}

// findRestarts reads one gatekeeper's restarts from the gaps between the
// messages it sent: a gap in which requests of at least two endpoints
// arrived and went unanswered, followed by an answer that says a
// registration held before the gap is gone (URJ notCurrentlyRegistered,
// RRJ fullRegistrationRequired).
func (in *inference) findRestarts(g *gatekeeper, sent []*message) []restart {
	var out []restart
	if len(sent) < 2 {
		return nil
	}
	// requests to g, in order, with the index of the first message g sent
	// after each.
	var reqs []*message
	for _, m := range in.w.c.msgs {
		if m.ras && m.to == g.self && m.from != nil && m.from.ep != nil {
			if _, isRequest := answers[rasEvents[m.typ]]; isRequest {
				reqs = append(reqs, m)
			}
		}
	}
	r := 0
	for i := 0; i+1 < len(sent); i++ {
		a, b := sent[i], sent[i+1]
		lat := in.latency
		// Requests that reached g inside the gap (a, b): none answered.
		for r < len(reqs) && reqs[r].at+lat <= a.at {
			r++
		}
		var inGap []*message
		eps := map[*endpoint]bool{}
		for k := r; k < len(reqs) && reqs[k].at+lat < b.at; k++ {
			if m := reqs[k]; m.lost {
				inGap = append(inGap, m)
				eps[m.from.ep] = true
			}
		}
		if len(eps) < 2 || !forgets(sent[i+1:], a.at) {
			continue
		}
		// Restarted after its last message and before the first request
		// it left unanswered arrived (the capture cannot tell when: model
		// choice, just before that request, the shortest time down); up
		// again after the last one arrived and no later than the request
		// it answered first.
		first, last := inGap[0], inGap[len(inGap)-1]
		at := max(a.at+time.Microsecond, first.at+lat-time.Millisecond)
		up := b.at - lat
		if req := answered(b); req != nil {
			up = req.at + lat
		}
		lastIn := last.at + lat
		if up <= lastIn {
			up = lastIn + time.Millisecond
		}
		up = lastIn + (up-lastIn)/2
		rs := restart{gk: g, at: at.Truncate(time.Millisecond), silent: len(inGap), endpoints: len(eps)}
		rs.down = max(0, up-rs.at).Round(time.Millisecond)
		for _, m := range inGap {
			in.unlose(m)
		}
		out = append(out, rs)
	}
	return out
}

// forgets reports whether the gatekeeper's messages after a gap show that
// a registration held before since is gone: a URJ notCurrentlyRegistered
// or an RRJ fullRegistrationRequired to an endpoint it confirmed a
// registration to before the gap (which began at since).
func forgets(after []*message, since time.Duration) bool {
	for _, m := range after {
		if m.at > after[0].at+forgetHorizon {
			break
		}
		if !m.is("urj") && !m.is("rrj") || m.to == nil || m.to.ep == nil {
			continue
		}
		if m.f.RejectReason != "notCurrentlyRegistered" && m.f.RejectReason != "fullRegistrationRequired" {
			continue
		}
		for _, x := range m.to.ep.msgs {
			if x.is("rcf") && x.at <= since {
				return true
			}
		}
	}
	return false
}

// forgetHorizon: how long after a gatekeeper's silence an answer that
// forgets a registration still tells of a restart in it (a phone's retries
// and backoff after it went unanswered take about 15 s).
const forgetHorizon = time.Minute

// answered is the request an answer answers (the same kind's request with
// its sequence number, last before it), nil when not found.
func answered(ans *message) *message {
	if ans.to == nil || ans.to.ep == nil {
		return nil
	}
	var req *message
	for _, m := range ans.to.ep.msgs {
		if m.at > ans.at {
			break
		}
		if m.from == ans.to && m.seq() == ans.seq() {
			req = m
		}
	}
	return req
}

// unlose takes a request the gatekeeper's restart left unanswered off its
// endpoint's losses: the restart explains it.
func (in *inference) unlose(m *message) {
	if !m.lost {
		return
	}
	m.lost = false
	e := m.from.ep
	for i, l := range e.inf.losses {
		if l == m {
			e.inf.losses = append(e.inf.losses[:i], e.inf.losses[i+1:]...)
			break
		}
	}
}
