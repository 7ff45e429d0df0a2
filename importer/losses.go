package importer

// Losses: the capture's lost datagrams and late call-signalling messages
// reproduced as loss windows on the devices' links, each calibrated by
// running the scenario as it stands.

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/callwake/callwake/scenario"
	"github.com/callwake/callwake/timeline"
)

// lossSpec is a datagram the capture shows lost, on a device's link, or
// a call-signalling message that may have been.
type lossSpec struct {
	dev  *endpoint
	m    *message
	k    int // its index among the messages of the device's link
	note string
	// late: not a datagram lost but a Setup on a lossy link, which the
	// capture may show later than the run (its connection's handshake
	// lost and retried); the loss is set only if the run is early.
	late bool
	// cause, for a late message the gatekeeper sent: the last message
	// another endpoint sent the gatekeeper before it (causeK its index on
	// that endpoint's link), when that is more recent than this link's
	// own: its late delivery is what may have delayed this one.
	cause  *endpoint
	causeM *message
	causeK int
}

// linkCache keeps a run's links, by device name, while the scenario's
// actions stay the same (a late message on time changes nothing).
type linkCache map[string]*linkRun

// link lists the messages a scenario can name that cross a device's
// link, in order.
func (in *inference) link(e *endpoint) []*message {
	if in.links == nil {
		in.links = map[*endpoint][]*message{}
		for _, m := range in.w.c.msgs {
			if m.event() == "" {
				continue
			}
			for _, a := range []*actor{m.from, m.to} {
				if a != nil && a.ep != nil {
					in.links[a.ep] = append(in.links[a.ep], m)
				}
			}
		}
	}
	return in.links[e]
}

// causeOf finds, for a late message of the gatekeeper's, the message
// another endpoint sent it last before, if that is later than prev (the
// message before on the same link).
func (in *inference) causeOf(sp *lossSpec, prev *message) {
	for _, m := range in.w.c.msgs {
		if m.n >= sp.m.n {
			break
		}
		if m.n > prev.n && m.to == sp.m.from && m.from != nil && m.from.ep != nil && m.from.ep != sp.dev && m.event() != "" {
			sp.causeM = m
		}
	}
	if sp.causeM == nil {
		return
	}
	sp.cause = sp.causeM.from.ep
	sp.causeK = slices.Index(in.link(sp.cause), sp.causeM)
	sp.note = fmt.Sprintf("the capture shows %s from the PBX at %s, later than the model sends it: %s from %s was lost on its link and sent again by TCP", sp.m.event(), dur(sp.m.at), sp.causeM.event(), sp.cause.name)
}

// lossSpecs lists the losses to reproduce, in the order they happened.
func (in *inference) lossSpecs() []lossSpec {
	var specs []lossSpec
	for _, e := range in.w.eps {
		link := in.link(e)
		for _, lost := range e.inf.losses {
			k := slices.Index(link, lost)
			if k < 0 {
				continue
			}
			specs = append(specs, lossSpec{dev: e, m: lost, k: k,
				note: fmt.Sprintf("the capture shows %s %s (seq %d) lost: retransmitted, or never answered", lost.event(), dirOf(lost, e), lost.seq())})
		}
		for k, m := range link {
			if (!m.ras || m.tunnel || e.inf.tunnel) && k > 0 {
				sp := lossSpec{dev: e, m: m, k: k, late: true,
					note: fmt.Sprintf("the capture shows %s %s at %s, later than the model sends it: lost on the link and sent again by TCP", m.event(), dirOf(m, e), dur(m.at))}
				if m.from.gk != nil {
					in.causeOf(&sp, link[k-1])
				}
				specs = append(specs, sp)
			}
		}
	}
	slices.SortStableFunc(specs, func(a, b lossSpec) int { return a.m.n - b.m.n })
	return specs
}

// MaxLosses bounds the losses an import reproduces one by one, and
// maxCalibrationRuns the runs it spends on them.
const (
	MaxLosses          = 200
	maxCalibrationRuns = 1000
	// calibrationBudget bounds the runs by the capture's size too: runs
	// times messages (a run costs about as much as its capture is long).
	calibrationBudget = 5_000_000
)

// lossCandidates are the loss probabilities tried for a window, in order:
// a loss of 1 is the plain reading; a lower one, whose draws the seed
// fixes, may also explain what a loss did to the streams at that moment
// (a TCP handshake delayed by a retransmission instead of failed).
var lossCandidates = []float64{1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1}

// lateCandidates are those tried for a late message: a stream's delays
// are drawn where its segments or its handshake are sent (a loss of 1
// makes a connection fail), so a finer range below 1.
var lateCandidates = []float64{0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.5, 0.45, 0.4, 0.35, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05, 1}

// linkRun is a device's link as a run shows it.
type linkRun struct {
	at   []time.Duration
	name []string
	lost []bool
}

// runLinks runs the scenario as it stands and returns every device's
// link as the run shows it, by device name (one run for all of them).
func (in *inference) runLinks(name string, out *scenarioOut) (linkCache, error) {
	f, err := scenario.Parse(name, out.yaml())
	if err != nil {
		return nil, fmt.Errorf("the scenario written does not load (please report it): %w", err)
	}
	r, err := scenario.Run(f, scenario.RunOptions{Record: true})
	if err != nil {
		return nil, fmt.Errorf("the scenario written does not run (please report it): %w", err)
	}
	links := linkCache{}
	add := func(dev string, ev timeline.Event) {
		l := links[dev]
		if l == nil {
			l = &linkRun{}
			links[dev] = l
		}
		lost, _ := ev.Get("lost")
		l.at, l.name, l.lost = append(l.at, ev.At), append(l.name, ev.Name), append(l.lost, lost == "true")
	}
	for _, ev := range r.Timeline.Events() {
		if !strings.HasPrefix(ev.Name, "ras.") && !strings.HasPrefix(ev.Name, "q931.") {
			continue
		}
		from, _ := ev.Get("from")
		to, _ := ev.Get("to")
		add(from, ev)
		if to != from {
			add(to, ev)
		}
	}
	return links, nil
}

// of is a device's link in the run (empty when the run has none).
func (c linkCache) of(dev string) *linkRun {
	if l := c[dev]; l != nil {
		return l
	}
	return &linkRun{}
}

// agrees reports whether a run's link repeats the capture's up to and
// including message n: the same messages, lost where they were, at about
// the same times.
func (l *linkRun) agrees(capture []*message, n int, tol time.Duration) bool {
	if n >= len(capture) {
		n = len(capture) - 1
	}
	if n >= len(l.at) {
		return false
	}
	for i := 0; i <= n; i++ {
		if l.name[i] != capture[i].event() || l.lost[i] != capture[i].lost || (l.at[i]-capture[i].at).Abs() > tol {
			return false
		}
	}
	return true
}

// calibrateLosses makes the run lose what the capture lost: for each lost
// datagram, in order, it runs the scenario as it stands, finds the same
// message of the device's link in the run (the model's times are not the
// capture's when jitter or a stream's delays made them), and switches the
// link's loss on from half-way after the message before it to half-way
// before the one after it, and back to none. It keeps the first loss
// probability (1, then lower ones) whose run repeats the capture's link up
// to the message after the lost one. A loss at a device's very first
// message is a link that starts lossy.
func (in *inference) calibrateLosses(out *scenarioOut, name string, margin time.Duration) error {
	specs := in.lossSpecs()
	if len(specs) > MaxLosses {
		lost := 0
		for _, sp := range specs {
			if !sp.late {
				lost++
			}
		}
		in.notef("the capture shows %s and %s that may have come late; the first %d of them are checked and reproduced", plural(lost, "lost datagram"), plural(len(specs)-lost, "call-signalling message"), MaxLosses)
		specs = specs[:MaxLosses]
	}
	saved := out.expect
	out.expect = "expect: []\n"
	defer func() { out.expect = saved }()
	runs := 0
	maxRuns := min(maxCalibrationRuns, max(1, calibrationBudget/max(1, len(in.w.c.msgs))))
	const reach = time.Second
	var cache linkCache // the run of the scenario as it stands
	for i, sp := range specs {
		if runs >= maxRuns {
			in.notef("the losses after the first %d are not reproduced: calibrating them would take more than %d runs of this capture", i, maxRuns)
			break
		}
		if cache == nil {
			var err error
			if cache, err = in.runLinks(name, out); err != nil {
				return err
			}
			runs++
		}
		base := cache.of(sp.dev.name)
		k := sp.k
		if k >= len(base.at) || base.name[k] != sp.m.event() {
			in.notef("%s: %s; the run does not reach that message the same way, so the loss is not reproduced", sp.dev.name, sp.note)
			continue
		}
		capture := in.link(sp.dev)
		tol := margin + sp.dev.inf.spread
		at := base.at[k]
		to := at + reach
		if k+1 < len(base.at) {
			to = min(to, (at+base.at[k+1])/2)
		}
		from := at - reach
		if k > 0 {
			from = max(from, (base.at[k-1]+at)/2)
		}
		// The windows to try, in order: a lost datagram has one, around
		// it; a late message one on its own link and, for one the PBX
		// sent, one on the link of what the PBX received last before it.
		type window struct {
			dev      *endpoint
			from, to time.Duration
		}
		var windows []window
		if sp.late {
			if !base.agrees(capture, k-1, tol) || sp.m.at-at <= tol {
				continue // on time, or the run differs before it anyway
			}
			// Lossy from just after the message before it (this one's
			// segments, or its connection's handshake, lost), or from
			// just before it (its late delivery is what delayed this
			// one: a capture shows when a message was sent, not when TCP
			// delivered it), to just before the capture's message.
			// It ends a one-way latency before the capture's message, or
			// two (a connection's handshake precedes its first message).
			to := sp.m.at - sp.dev.inf.latency - time.Millisecond
			// Before every message sent at that same moment (a Facility
			// and the RAS tunnelled with it): they travel together.
			j := k - 1
			for j > 0 && base.at[j-1] == base.at[k-1] {
				j--
			}
			before := base.at[j] - time.Microsecond
			if j >= 1 {
				before = max(before, base.at[j-1]+time.Microsecond)
			}
			for _, from := range []time.Duration{base.at[k-1] + time.Microsecond, before} {
				for _, to := range []time.Duration{to, to - sp.dev.inf.latency} {
					if to > from {
						windows = append(windows, window{sp.dev, from, to})
					}
				}
			}
			if sp.cause != nil {
				cb := cache.of(sp.cause.name)
				if ck := sp.causeK; ck >= 0 && ck < len(cb.at) && cb.name[ck] == sp.causeM.event() {
					from := cb.at[ck] - time.Microsecond
					if ck >= 1 {
						from = max(from, cb.at[ck-1]+time.Microsecond)
					}
					if to > from {
						windows = append(windows, window{sp.cause, from, to})
					}
				}
			}
		} else {
			if k > 0 && from >= at || to <= at {
				// Another message of the link at the same moment: a window
				// of that moment alone, where a loss below 1 may take one
				// and not the other (its draws fixed by the seed).
				from, to = at, at+time.Microsecond
			}
			windows = append(windows, window{sp.dev, from, to})
		}
		savedActions := in.actions
		cache = nil // the tries below change the actions
		try := func(wd window, p float64) {
			in.actions = slices.Clone(savedActions)
			zero := 0.0
			if k == 0 && !sp.late {
				in.startLossy[sp.dev] = sp.note
				in.startLoss[sp.dev] = p
			} else {
				in.actions = append(in.actions, actionOut{at: wd.from, device: wd.dev.name, loss: &p, note: sp.note})
			}
			in.actions = append(in.actions, actionOut{at: wd.to, device: wd.dev.name, loss: &zero})
			slices.SortStableFunc(in.actions, func(a, b actionOut) int { return int(a.at - b.at) })
			out.actions, out.network = in.actions, in.network()
		}
		upTo := k + 1
		if sp.late {
			upTo = k
		}
		accepted := false
		candidates := lossCandidates
		if sp.late {
			candidates = lateCandidates
		}
	tries:
		for _, wd := range windows {
			for _, p := range candidates {
				if runs >= maxRuns {
					break tries
				}
				try(wd, p)
				run, err := in.runLinks(name, out)
				if err != nil {
					return err
				}
				runs++
				ok := run.of(sp.dev.name).agrees(capture, upTo, tol)
				if ok && wd.dev != sp.dev {
					// The other link must still repeat the capture up to
					// this moment.
					other := in.link(wd.dev)
					last := -1
					for j, m := range other {
						if m.at <= sp.m.at {
							last = j
						}
					}
					ok = run.of(wd.dev.name).agrees(other, last, margin+wd.dev.inf.spread)
				}
				if ok {
					accepted = true
					if i := slices.IndexFunc(in.actions, func(a actionOut) bool { return a.at == wd.from && a.device == wd.dev.name && a.loss != nil }); p < 1 && i >= 0 {
						in.actions[i].note = fmt.Sprintf("%s; a loss of %g (its draws fixed by the seed) also gives the delay the capture shows after it", sp.note, p)
					}
					break tries
				}
			}
		}
		switch {
		case accepted:
		case sp.late:
			// No loss explains the delay: none is set.
			in.actions = savedActions
			out.actions, out.network = in.actions, in.network()
		default:
			// Nothing repeats the capture exactly: the plain reading, said.
			try(windows[0], 1)
			in.notef("%s: %s; reproduced with a loss of 1, but the run then differs from the capture right after it", sp.dev.name, sp.note)
		}
	}
	return nil
}

func dirOf(m *message, e *endpoint) string {
	if m.from == e.self {
		return "from it"
	}
	return "to it"
}
