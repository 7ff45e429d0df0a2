package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/callwake/callwake/realnet"
	"github.com/callwake/callwake/timeline"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
)

// serveMetrics are serve's Prometheus metrics, counted off the timeline's
// events as they are recorded (on the host's loop).
type serveMetrics struct {
	registrations *prometheus.CounterVec // by result: confirmed, keepalive, rejected; reason for RRJ
	unregistered  prometheus.Counter
	calls         *prometheus.CounterVec // Release Completes the PBX sent, by Q.850 cause
	srv           *http.Server
}

func startMetrics(addr, pbxName string, host *realnet.Host, log zerolog.Logger) (*serveMetrics, error) {
	reg := prometheus.NewRegistry()
	m := &serveMetrics{
		registrations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "callwake_registrations_total",
			Help: "RRQs answered: result confirmed (a full registration), keepalive (a keep-alive RRQ confirmed) or rejected (with the RRJ reason)"},
			[]string{"result", "reason"}),
		unregistered: prometheus.NewCounter(prometheus.CounterOpts{Name: "callwake_unregistrations_total",
			Help: "URQs confirmed"}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "callwake_call_legs_cleared_total",
			Help: "Release Completes the PBX sent, by Q.850 cause"}, []string{"cause"}),
	}
	conns := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "callwake_connections",
		Help: "open call-signalling connections (TCP and TLS) of the PBX"}, func() float64 { return float64(host.Connections()) })
	reg.MustRegister(m.registrations, m.unregistered, m.calls, conns)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := m.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error().Err(err).Msg("metrics")
		}
	}()
	log.Info().Stringer("addr", ln.Addr()).Msg("metrics on /metrics")
	return m, nil
}

func (m *serveMetrics) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = m.srv.Shutdown(ctx)
}

// event counts one event of the PBX named self.
func (m *serveMetrics) event(self string, e *timeline.Event, keepAlive bool) {
	from, _ := e.Get("from")
	if from != self {
		return
	}
	switch e.Name {
	case "ras.rcf":
		if keepAlive {
			m.registrations.WithLabelValues("keepalive", "").Inc()
		} else {
			m.registrations.WithLabelValues("confirmed", "").Inc()
		}
	case "ras.rrj":
		reason, _ := e.Get("reason")
		m.registrations.WithLabelValues("rejected", reason).Inc()
	case "ras.ucf":
		m.unregistered.Inc()
	case "q931.release_complete":
		cause, _ := e.Get("cause")
		m.calls.WithLabelValues(cause).Inc()
	}
}
