package health

import "github.com/prometheus/client_golang/prometheus"

// metrics are the server's own; the bot's are on the Gatherer it serves.
type metrics struct {
	readyChecks *prometheus.CounterVec
}

// newMetrics registers on reg; a nil reg keeps the metrics unregistered,
// so they still count but nobody sees them.
func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		readyChecks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "nudgebot",
			Subsystem: "health",
			Name:      "ready_checks_total",
			Help:      "Readiness checks served on /readyz, by result: ready, not_ready or timeout.",
		}, []string{"result"}),
	}
	if reg != nil {
		reg.MustRegister(m.readyChecks)
	}
	return m
}
