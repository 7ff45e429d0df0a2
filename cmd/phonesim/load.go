package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/callwake/callwake/internal/histogram"
	"github.com/callwake/callwake/internal/shard"
	"github.com/callwake/callwake/realnet"

	"github.com/rs/zerolog"
)

// loadUsage is the synopsis of `phonesim load`.
const loadUsage = `usage: phonesim load --gk HOST[:1719] --count N [--alias-prefix load] [--first-number DIGITS]
                     [--password P] [--ttl 60s] [--rate R] [--duration D] [--reregister D]
                     [--ip 127.0.0.1] [--discover] [--shard I/N] [--json FILE] [-v]
                     [--dtls | --h460-17 [--tls]] [--h235 hmac|md5] [--ca FILE] [--cert FILE --key FILE]

Registers a population of N endpoints (aliases PREFIX0..PREFIX<N-1>, zero-padded;
numbers from --first-number), --rate per second (0: all at once), keeps them
registered with keep-alives for --duration after the last one started (0: until
interrupted), then unregisters them all at the same --rate (URQs paced like the
RRQs). Each endpoint has its own RAS port and its own call-signalling port (a
listener each, so a gatekeeper that keys endpoints by call-signalling address sees
N endpoints); RAS retransmissions are jittered by ±10 %. A population larger than
the open-file limit is split with --shard I/N over several processes or machines.
Calls to the population are refused with cause 17.

It prints the counts every second and a summary at the end (--json: also as JSON,
with the registration times' percentiles in milliseconds and their histogram, which
phonesim merge-load joins over shards); exit 0 when every endpoint registered
with an endpointIdentifier of its own and none was lost, 1 otherwise (endpoints
that share an identifier are failures), 2 on a bad command line.
`

// runLoad is `phonesim load`; see loadUsage.
func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("phonesim load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	gk := fs.String("gk", "", "gatekeeper RAS address, HOST[:PORT] (port 1719 by default)")
	count := fs.Int("count", 0, "endpoints in the whole population")
	prefix := fs.String("alias-prefix", "load", "h323-ID alias of endpoint k: this prefix and k")
	firstNumber := fs.String("first-number", "", "dialledDigits alias of endpoint 0; endpoint k has this number + k (none when empty)")
	password := fs.String("password", "", "H.235 password of every endpoint (none: no tokens)")
	ttl := fs.Duration("ttl", 60*time.Second, "registration time to live to ask for")
	rate := fs.Float64("rate", 0, "endpoints that start registering per second (0: all at once)")
	duration := fs.Duration("duration", 0, "stay registered this long after the last endpoint started (0: until interrupted)")
	reregister := fs.Duration("reregister", 0, "register again this long after a registration failed or was lost (0: never)")
	ip := fs.String("ip", "127.0.0.1", "local IP to bind (0.0.0.0: the address of the route to the gatekeeper)")
	discover := fs.Bool("discover", false, "send a GRQ before each RRQ")
	part := shard.All
	fs.Func("shard", "run only endpoints k with k mod N == I (`I/N`, I from 0)", func(s string) error {
		var err error
		part, err = shard.Parse(s)
		return err
	})
	jsonPath := fs.String("json", "", "write the counts and registration times as JSON to `FILE`")
	verbose := fs.Bool("v", false, "log socket details to stderr")
	limits := realnet.DefaultLimits()
	limits.AddFlags(fs)
	var sec secureFlags
	sec.add(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, loadUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	cfg, err := parseLoad(*gk, *count, *prefix, *firstNumber, *ip, *rate, *ttl, *duration, *reregister)
	if err == nil && sec.dtls {
		cfg.Gatekeeper, err = gatekeeperAddrPort(*gk, sec.gatekeeperPort())
	}
	if err == nil {
		cfg.Secure, err = sec.settings(cfg.Gatekeeper)
	}
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err == nil {
		err = limits.Check()
	}
	cfg.Limits = limits
	if err != nil {
		fmt.Fprintf(stderr, "phonesim load: %v\n", err)
		return exitUsage
	}
	cfg.Password, cfg.Discover, cfg.Shard, cfg.Shards = *password, *discover, part.Index, part.Count
	level := zerolog.WarnLevel
	if *verbose {
		level = zerolog.DebugLevel
	}
	cfg.Log = zerolog.New(zerolog.ConsoleWriter{Out: stderr, NoColor: true}).Level(level).With().Timestamp().Logger()
	cfg.Progress = stdout
	res, err := runLoadNodes(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "phonesim load: %v\n", err)
		return exitFailed
	}
	fmt.Fprint(stdout, loadSummary(res))
	if *jsonPath != "" {
		if err := writeLoadJSON(*jsonPath, cfg, res); err != nil {
			fmt.Fprintf(stderr, "phonesim load: --json: %v\n", err)
			return exitFailed
		}
	}
	if res.Registered < res.Endpoints || len(res.Failed) > 0 || len(res.Lost) > 0 || res.Duplicates() > 0 {
		return exitFailed
	}
	return exitOK
}

// loadReport is the JSON a load run writes (--json), for tools that track a
// PBX's registration capacity from run to run. Times are in milliseconds.
type loadReport struct {
	Gatekeeper    string  `json:"gatekeeper"`
	Count         int     `json:"count"`
	Shard         string  `json:"shard"`
	Rate          float64 `json:"rate"`
	Endpoints     int     `json:"endpoints"`
	Registrations int     `json:"registrations"`
	KeepAlives    int     `json:"keep_alives"`
	CallsRefused  int     `json:"calls_refused"`
	// EndpointIDs is how many distinct endpointIdentifiers the gatekeeper
	// assigned; Duplicates how many phones share one with another.
	EndpointIDs int            `json:"endpoint_ids"`
	Duplicates  int            `json:"duplicates"`
	Failed      map[string]int `json:"failed"`
	Lost        map[string]int `json:"lost"`
	// RegistrationMS: percentiles of the time from an endpoint's first
	// request to its RCF, read from RegistrationTimes (load_report.go).
	RegistrationMS    map[string]float64   `json:"registration_ms"`
	RegistrationTimes *histogram.Histogram `json:"registration_times"`
	// Shards is how many reports a merge joined (phonesim merge-load).
	Shards int `json:"shards,omitempty"`
}

func writeLoadJSON(path string, cfg loadConfigT, res loadResult) error {
	rep := loadReport{Gatekeeper: cfg.Gatekeeper.String(), Count: cfg.Count, Shard: fmt.Sprintf("%d/%d", cfg.Shard, cfg.Shards),
		Rate: cfg.Rate, Endpoints: res.Endpoints, Registrations: res.Registered, KeepAlives: res.KeepAlives,
		CallsRefused: res.Calls, EndpointIDs: len(res.EndpointIDs), Duplicates: res.Duplicates(), Failed: res.Failed, Lost: res.Lost}
	rep.setRegistrationTimes(res.Latencies)
	return rep.write(path)
}

// loadConfig checks the flags and builds the configuration.
func parseLoad(gk string, count int, prefix, firstNumber, ip string, rate float64, ttl, duration, reregister time.Duration) (loadConfigT, error) {
	var cfg loadConfigT
	var err error
	if cfg.Gatekeeper, err = gatekeeperAddr(gk); err != nil {
		return cfg, err
	}
	if count < 1 {
		return cfg, errors.New("--count: want at least 1 endpoint")
	}
	if cfg.IP, err = netip.ParseAddr(ip); err != nil {
		return cfg, fmt.Errorf("--ip: %w", err)
	}
	if firstNumber != "" {
		var n int
		if _, err := fmt.Sscan(firstNumber, &n); err != nil || n < 1 || strings.Trim(firstNumber, "0123456789") != "" {
			return cfg, fmt.Errorf("--first-number %q: want digits, not starting the population at 0", firstNumber)
		}
		cfg.FirstNumber = n
	}
	if rate < 0 || ttl < 0 || duration < 0 || reregister < 0 {
		return cfg, errors.New("--rate, --ttl, --duration and --reregister must not be negative")
	}
	cfg.Count, cfg.AliasPrefix, cfg.Rate, cfg.TTL, cfg.Duration, cfg.Reregister = count, prefix, rate, ttl, duration, reregister
	return cfg, nil
}

// loadSummary is the final report of a load run.
func loadSummary(res loadResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "endpoints %d, registrations %d, keep-alive RRQs %d, calls refused %d\n",
		res.Endpoints, res.Registered, res.KeepAlives, res.Calls)
	if d := res.Duplicates(); d > 0 {
		fmt.Fprintf(&b, "failed: %d phones share an endpointIdentifier (%d distinct): the gatekeeper took them for fewer endpoints\n", d, len(res.EndpointIDs))
	}
	if len(res.Latencies) > 0 {
		fmt.Fprintf(&b, "registration time: p50 %v, p90 %v, p99 %v, max %v\n",
			round(res.Percentile(50)), round(res.Percentile(90)), round(res.Percentile(99)), round(res.Percentile(100)))
	}
	for _, counts := range []struct {
		what string
		by   map[string]int
	}{{"failed", res.Failed}, {"lost", res.Lost}} {
		for _, reason := range slices.Sorted(maps.Keys(counts.by)) {
			fmt.Fprintf(&b, "%s: %d (%s)\n", counts.what, counts.by[reason], reason)
		}
	}
	return b.String()
}

func round(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }
