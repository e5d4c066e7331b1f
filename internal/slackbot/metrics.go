package slackbot

import "github.com/prometheus/client_golang/prometheus"

// metrics are the bot's Prometheus series, registered on an injected
// Registerer (no globals, so tests read their own registry).
type metrics struct {
	events     *prometheus.CounterVec // by type
	skipped    *prometheus.CounterVec // messages not scored, by reason
	scored     prometheus.Counter
	nudges     *prometheus.CounterVec // by family and outcome
	feedback   *prometheus.CounterVec // by answer
	apiErrors  *prometheus.CounterVec // by method
	apiRetries *prometheus.CounterVec // by method
	reconnects prometheus.Counter
	connected  prometheus.Gauge
	ackLatency prometheus.Histogram
	score      prometheus.Histogram
	nudgeDelay prometheus.Histogram

	storeRetries prometheus.Counter
	rechecks     prometheus.Counter
	dropped      *prometheus.CounterVec // by reason
	held         prometheus.Gauge
	slash        *prometheus.CounterVec // by command and outcome
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nudgebot_events_received_total",
			Help: "Socket Mode envelopes received, by type (message, member_joined_channel, slash_commands, interactive, ...).",
		}, []string{"type"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nudgebot_messages_skipped_total",
			Help: "Message events not scored, by reason.",
		}, []string{"reason"}),
		scored: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "nudgebot_messages_scored_total",
			Help: "Agent messages scored.",
		}),
		nudges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nudgebot_nudges_total",
			Help: "Messages that passed their threshold, by family and outcome (sent, shadowed, withheld, capped, failed).",
		}, []string{"family", "outcome"}),
		feedback: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nudgebot_feedback_total",
			Help: "Clicks on a nudge's buttons, by answer.",
		}, []string{"answer"}),
		apiErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nudgebot_slack_api_errors_total",
			Help: "Slack Web API calls that failed for good, by method.",
		}, []string{"method"}),
		apiRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nudgebot_slack_api_retries_total",
			Help: "Slack Web API calls retried after a 429, by method.",
		}, []string{"method"}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "nudgebot_socket_reconnects_total",
			Help: "Socket Mode connections opened after the first one.",
		}),
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "nudgebot_socket_connected",
			Help: "1 while the Socket Mode connection is up.",
		}),
		ackLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "nudgebot_ack_latency_seconds",
			Help:    "From an envelope reaching the bot to its ack being handed to the socket.",
			Buckets: []float64{.00001, .00005, .0001, .0005, .001, .005, .01, .05, .1, .5, 1, 3},
		}),
		score: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "nudgebot_message_score",
			Help:    "Scores of the agent messages scored.",
			Buckets: prometheus.LinearBuckets(0.1, 0.1, 10),
		}),
		nudgeDelay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "nudgebot_nudge_latency_seconds",
			Help:    "From a message reaching the bot to its nudge being posted.",
			Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		storeRetries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "nudgebot_store_retries_total",
			Help: "Messages put aside to retry because the store was unavailable.",
		}),
		rechecks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "nudgebot_event_rechecks_total",
			Help: "Looks again at an event another replica claimed, waiting for it to finish or its lease to end.",
		}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nudgebot_messages_dropped_total",
			Help: "Messages given up on, by reason (store_unavailable, held_full, shutdown).",
		}, []string{"reason"}),
		held: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "nudgebot_messages_held",
			Help: "Messages waiting to be retried or re-checked.",
		}),
		slash: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nudgebot_slash_commands_total",
			Help: "/nudge commands, by command and outcome (ok, usage, refused, error).",
		}, []string{"command", "outcome"}),
	}
	for _, c := range []prometheus.Collector{m.events, m.skipped, m.scored, m.nudges, m.feedback,
		m.apiErrors, m.apiRetries, m.reconnects, m.connected, m.ackLatency, m.score, m.nudgeDelay,
		m.storeRetries, m.rechecks, m.dropped, m.held, m.slash} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	// The series a dashboard or an alert reads are there from the start,
	// at 0, not only once something first counts.
	for _, a := range []string{"helpful", "not_helpful"} {
		m.feedback.WithLabelValues(a)
	}
	for _, method := range apiMethods {
		m.apiErrors.WithLabelValues(method)
		m.apiRetries.WithLabelValues(method)
	}
	return m, nil
}

// apiMethods are the Slack calls the bot makes, by the name its metrics
// give them.
var apiMethods = []string{"auth.test", "chat.postEphemeral", "users.info", "views.publish", "response_url"}
