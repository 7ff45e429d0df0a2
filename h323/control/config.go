package control

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Codec is an audio codec the peer offers, opens and accepts.
type Codec int

// The G.711 codecs at 64 kbit/s (H.245 AudioCapability g711Alaw64k and g711Ulaw64k).
const (
	G711Alaw Codec = iota + 1
	G711Ulaw
)

// String returns the codec's H.245 AudioCapability name.
func (c Codec) String() string {
	switch c {
	case G711Alaw:
		return "g711Alaw64k"
	case G711Ulaw:
		return "g711Ulaw64k"
	}
	return fmt.Sprintf("Codec(%d)", int(c))
}

// H.323 terminal types for master-slave determination (H.323 Table 1): with equal types the
// random numbers decide.
const (
	TerminalTypeTerminal = 50 // an entity without MC: softphones, desk phones
	TerminalTypeGateway  = 60 // a gateway without MC (a PBX towards its phones)
)

// DefaultTimeout is the T101, T103 and T106 value when Config.Timeout is 0: H.245 leaves it
// to the implementation, and the open-source stacks wait tens of seconds.
const DefaultTimeout = 30 * time.Second

// maxTries is N100 of H.245 C.2: how many master-slave determinations with indeterminate
// results the peer makes before it gives up.
const maxTries = 3

// Config describes one peer.
type Config struct {
	// TerminalType is sent in masterSlaveDetermination (0..255); 0 means TerminalTypeTerminal.
	TerminalType int
	// Codecs are offered and accepted, in preference order for our transmit channel; nil
	// means G711Alaw then G711Ulaw.
	Codecs []Codec
	// FramesPerPacket is the G.711 frames (milliseconds of audio) a packet may carry, the
	// value of our capabilities and the most our channels send (1..256); 0 means 20.
	FramesPerPacket int
	// RTP is where we receive media (openLogicalChannelAck mediaChannel) and RTCP where we
	// receive reports (mediaControlChannel of our openLogicalChannel and of our acks). Without
	// RTP a peer's channel is rejected; without RTCP the field is left out.
	RTP, RTCP netip.AddrPort
	// Random returns the randomness of master-slave determination (its low 24 bits are the
	// statusDeterminationNumber). Required.
	Random func() uint32
	// Timeout is the value of T101, T103 and T106; 0 means DefaultTimeout.
	Timeout time.Duration
}

// ErrConfig: New was given a Config it cannot work with.
var ErrConfig = errors.New("control: invalid configuration")

// withDefaults checks cfg and fills in the defaults.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.TerminalType == 0 {
		cfg.TerminalType = TerminalTypeTerminal
	}
	if cfg.FramesPerPacket == 0 {
		cfg.FramesPerPacket = 20
	}
	if cfg.Codecs == nil {
		cfg.Codecs = []Codec{G711Alaw, G711Ulaw}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	switch {
	case cfg.TerminalType < 0 || cfg.TerminalType > 255:
		return cfg, fmt.Errorf("%w: terminal type %d is not in 0..255", ErrConfig, cfg.TerminalType)
	case cfg.FramesPerPacket < 1 || cfg.FramesPerPacket > 256:
		return cfg, fmt.Errorf("%w: %d frames a packet is not in 1..256", ErrConfig, cfg.FramesPerPacket)
	case len(cfg.Codecs) == 0:
		return cfg, fmt.Errorf("%w: no codec", ErrConfig)
	case cfg.Random == nil:
		return cfg, fmt.Errorf("%w: no random source", ErrConfig)
	case cfg.Timeout < 0:
		return cfg, fmt.Errorf("%w: negative timeout", ErrConfig)
	}
	seen := map[Codec]bool{}
	for _, c := range cfg.Codecs {
		if c != G711Alaw && c != G711Ulaw || seen[c] {
			return cfg, fmt.Errorf("%w: codec list %v", ErrConfig, cfg.Codecs)
		}
		seen[c] = true
	}
	cfg.Codecs = append([]Codec(nil), cfg.Codecs...)
	return cfg, nil
}
