package control

import (
	"fmt"

	"github.com/callwake/callwake/h323/h245"
)

// msdState is the state of H.245's master-slave determination signalling entity (MSDSE).
type msdState int

const (
	msdIdle     msdState = iota
	msdOutgoing          // our masterSlaveDetermination is unanswered (T106)
	msdIncoming          // we acknowledged the peer's and wait for its Ack (T106)
)

// role is the outcome of a determination.
type role int

const (
	indeterminate role = iota
	master
	slave
)

// determination is the master-slave determination state.
type determination struct {
	state  msdState
	status role
	number uint32 // our statusDeterminationNumber
	tries  int    // determinations sent with this run (N100 bounds it)
}

// determined reports a finished determination.
func (d *determination) determined() bool { return d.state == msdIdle && d.status != indeterminate }

// decide is H.245's determination (C.2.1 / 8.2): the larger terminal type is master; for
// equal types, (remote number - local number) mod 2^24 decides: 1..2^23-1 makes the local
// terminal master, 2^23+1..2^24-1 slave, 0 and 2^23 are indeterminate.
func decide(localType, remoteType int, localNumber, remoteNumber uint32) role {
	switch {
	case localType > remoteType:
		return master
	case localType < remoteType:
		return slave
	}
	diff := (remoteNumber - localNumber) & 0xFFFFFF
	switch {
	case diff == 0 || diff == 0x800000:
		return indeterminate
	case diff < 0x800000:
		return master
	}
	return slave
}

// ackDecision is the decision an Ack carries: the result for the terminal that receives it.
func ackDecision(local role) *h245.MasterSlaveDeterminationAck {
	d := h245.MasterSlaveDeterminationAckDecisionMaster
	if local == master {
		d = h245.MasterSlaveDeterminationAckDecisionSlave
	}
	return &h245.MasterSlaveDeterminationAck{Decision: h245.MasterSlaveDeterminationAckDecision{Choice: d}}
}

func (p *Peer) sendAck(local role) Effect {
	return send(response(&h245.ResponseMessage{Choice: h245.ResponseMessageMasterSlaveDeterminationAck, MasterSlaveDeterminationAck: ackDecision(local)}))
}

// startDetermination begins a determination with a fresh random number.
func (p *Peer) startDetermination(out []Effect) []Effect {
	p.msd = determination{}
	return p.sendDetermination(out)
}

// sendDetermination sends masterSlaveDetermination with a new number and (re)starts T106.
func (p *Peer) sendDetermination(out []Effect) []Effect {
	d := &p.msd
	d.number = p.cfg.Random() & 0xFFFFFF
	d.tries++
	d.state = msdOutgoing
	return append(out,
		send(request(&h245.RequestMessage{Choice: h245.RequestMessageMasterSlaveDetermination, MasterSlaveDetermination: &h245.MasterSlaveDetermination{
			TerminalType: int64(p.cfg.TerminalType), StatusDeterminationNumber: int64(d.number)}})),
		SetTimer{Timer: T106, After: p.cfg.Timeout})
}

// resetDetermination forgets the roles (the empty capability set of a third-party pause).
func (p *Peer) resetDetermination(out []Effect) []Effect {
	if p.msd.state != msdIdle {
		out = append(out, StopTimer{T106})
	}
	p.msd = determination{}
	return out
}

// fail ends the determination without a result.
func (p *Peer) failDetermination(out []Effect, err error) []Effect {
	p.msd.state, p.msd.status = msdIdle, indeterminate
	return append(out, StopTimer{T106}, Failure{Err: err})
}

func (p *Peer) peerDetermination(m *h245.MasterSlaveDetermination, out []Effect) []Effect {
	d := &p.msd
	if d.state == msdIncoming {
		return p.failDetermination(out, fmt.Errorf("%w: a second masterSlaveDetermination before our Ack was acknowledged", ErrProtocol))
	}
	r := decide(p.cfg.TerminalType, int(m.TerminalType), d.number, uint32(m.StatusDeterminationNumber))
	if d.state == msdIdle && d.number == 0 && d.tries == 0 {
		// A determination the peer starts when ours has not run (after a pause, or before
		// Start): we need a number of our own to compare.
		d.number = p.cfg.Random() & 0xFFFFFF
		r = decide(p.cfg.TerminalType, int(m.TerminalType), d.number, uint32(m.StatusDeterminationNumber))
	}
	if r != indeterminate {
		d.status, d.state = r, msdIncoming
		return append(out, p.sendAck(r), SetTimer{Timer: T106, After: p.cfg.Timeout})
	}
	if d.state == msdOutgoing {
		// Both sent the same number: try again with a new one, N100 times at most.
		if d.tries < maxTries {
			return p.sendDetermination(out)
		}
		return p.failDetermination(out, fmt.Errorf("%w: master-slave determination indeterminate %d times", ErrProtocol, d.tries))
	}
	return append(out, send(response(&h245.ResponseMessage{Choice: h245.ResponseMessageMasterSlaveDeterminationReject,
		MasterSlaveDeterminationReject: &h245.MasterSlaveDeterminationReject{Cause: h245.MasterSlaveDeterminationRejectCause{Choice: h245.MasterSlaveDeterminationRejectCauseIdenticalNumbers}}})))
}

func (p *Peer) determinationAck(ack *h245.MasterSlaveDeterminationAck, out []Effect) []Effect {
	d := &p.msd
	got := slave
	if ack.Decision.Choice == h245.MasterSlaveDeterminationAckDecisionMaster {
		got = master
	}
	switch d.state {
	case msdOutgoing:
		// The peer decided; we confirm with the decision for it.
		d.status, d.state = got, msdIdle
		return append(out, StopTimer{T106}, p.sendAck(got), MasterSlaveDetermined{Master: got == master})
	case msdIncoming:
		if got != d.status {
			return p.failDetermination(out, fmt.Errorf("%w: the peer's Ack makes us %s, our determination %s", ErrProtocol, roleName(got), roleName(d.status)))
		}
		d.state = msdIdle
		return append(out, StopTimer{T106}, MasterSlaveDetermined{Master: got == master})
	}
	return out // no determination waits for it
}

func (p *Peer) determinationReject(out []Effect) []Effect {
	d := &p.msd
	switch d.state {
	case msdOutgoing:
		if d.tries < maxTries {
			return p.sendDetermination(out)
		}
		return p.failDetermination(out, fmt.Errorf("%w: masterSlaveDetermination %d times", ErrRejected, d.tries))
	case msdIncoming:
		return p.failDetermination(out, fmt.Errorf("%w: masterSlaveDetermination rejected after our Ack", ErrProtocol))
	}
	return out
}

func (p *Peer) determinationReleased(out []Effect) []Effect {
	if p.msd.state == msdIdle {
		return out
	}
	return p.failDetermination(out, fmt.Errorf("%w: the peer released the master-slave determination", ErrProtocol))
}

func (p *Peer) determinationTimeout(out []Effect) []Effect {
	switch p.msd.state {
	case msdOutgoing:
		out = append(out, send(indication(&h245.IndicationMessage{Choice: h245.IndicationMessageMasterSlaveDeterminationRelease,
			MasterSlaveDeterminationRelease: &h245.MasterSlaveDeterminationRelease{}})))
	case msdIdle:
		return out
	}
	p.msd.state, p.msd.status = msdIdle, indeterminate
	return append(out, Failure{Err: fmt.Errorf("%w: master-slave determination unanswered (T106)", ErrTimeout)})
}

func roleName(r role) string {
	switch r {
	case master:
		return "master"
	case slave:
		return "slave"
	}
	return "indeterminate"
}
