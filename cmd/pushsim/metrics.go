package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/callwake/callwake/timeline"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics serves --metrics: a counter of the timeline's events by name
// (push.login, push.forwarded, push.dropped …; the names are the
// program's own, so the label set is bounded) and the Go runtime's
// collectors. Without --metrics it counts nothing.
type metrics struct {
	events *prometheus.CounterVec
	srv    *http.Server
}

func startMetrics(addr string) (*metrics, error) {
	if addr == "" {
		return &metrics{}, nil
	}
	reg := prometheus.NewRegistry()
	m := &metrics{events: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "pushsim", Name: "events_total", Help: "Events of the push service and the emulators, by name.",
	}, []string{"event"})}
	reg.MustRegister(m.events, prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{MaxRequestsInFlight: 4, Timeout: 10 * time.Second}))
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 15 * time.Second, MaxHeaderBytes: 16 << 10}
	go func() {
		if err := m.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the listener failed after the start: nothing to tell but the missing metrics
		}
	}()
	return m, nil
}

func (m *metrics) event(e *timeline.Event) {
	if m.events != nil {
		m.events.WithLabelValues(e.Name).Inc()
	}
}

func (m *metrics) close() {
	if m.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = m.srv.Shutdown(ctx)
	}
}
