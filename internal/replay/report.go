package replay

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/nudgebot/nudgebot/internal/score"
)

// Report is what a replay found. Without ShowText it holds no message
// text: IDs, counts, scores, rule IDs, families and span lengths only.
type Report struct {
	// Export is the export's file or folder name as given.
	Export    string  `json:"export"`
	Threshold float64 `json:"threshold"`
	ShowText  bool    `json:"show_text"`
	// Since and Until are the date filter ("" when open).
	Since string `json:"since,omitempty"`
	Until string `json:"until,omitempty"`
	// First and Last are the UTC days of the first and last scored
	// message; SpanDays counts the days from First to Last inclusive.
	First    string `json:"first_day"`
	Last     string `json:"last_day"`
	SpanDays int    `json:"span_days"`
	// HomeTeam is the team taken as the workspace's own (the most common
	// team_id in users.json); AgentsKnown counts its agents, or the
	// --agents given (AgentsFrom says which).
	HomeTeam    string `json:"home_team"`
	AgentsKnown int    `json:"agents_known"`
	AgentsFrom  string `json:"agents_from"`

	Files    FileCounts    `json:"files"`
	Messages MessageCounts `json:"messages"`
	// Nudges counts the would-be nudges at Threshold.
	Nudges   int            `json:"nudges"`
	Channels []ChannelStats `json:"channels"`
	Agents   []AgentStats   `json:"agents"`
	// Cells are the per channel and agent figures, the CSV's rows.
	Cells    []CellStats   `json:"cells"`
	Families []FamilyStats `json:"families"`
	// Histogram is the score distribution of the messages that matched
	// any rule, in bins of 0.05 from 0 to 1; Unmatched counts the rest.
	Histogram []Bin `json:"histogram"`
	Unmatched int   `json:"unmatched"`
	// Sweep is the threshold sweep, 0.30 to 0.90 in steps of 0.05.
	Sweep    []SweepRow `json:"sweep"`
	Examples []Example  `json:"examples"`
	Warnings []string   `json:"warnings,omitempty"`
}

// FileCounts says how many files were read and which were skipped, why.
type FileCounts struct {
	Read    int           `json:"day_files_read"`
	Skipped []skippedFile `json:"skipped"`
}

// MessageCounts says what happened to the messages of the day files read.
type MessageCounts struct {
	Read     int `json:"read"`
	Scored   int `json:"scored"`
	Customer int `json:"customer"`
	// Skipped counts the messages neither scored nor used as context, by
	// reason.
	Skipped map[string]int `json:"skipped"`
}

// ChannelStats are one channel's figures.
type ChannelStats struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Private bool   `json:"private"`
	Scored  int    `json:"scored"`
	Nudges  int    `json:"nudges"`
}

// AgentStats are one agent's figures, over the channels replayed.
type AgentStats struct {
	ID     string `json:"id"`
	Scored int    `json:"scored"`
	Nudges int    `json:"nudges"`
	// ActiveDays counts the distinct UTC days with the agent's messages.
	ActiveDays int `json:"active_days"`
	// PerActiveDay is Nudges / ActiveDays.
	PerActiveDay float64 `json:"nudges_per_active_day"`
}

// CellStats are one agent's figures in one channel.
type CellStats struct {
	Channel    string `json:"channel"`
	ChannelID  string `json:"channel_id"`
	Agent      string `json:"agent"`
	Scored     int    `json:"scored"`
	Nudges     int    `json:"nudges"`
	ActiveDays int    `json:"active_days"`
	// ByFamily counts the nudges per family, in score.Families order.
	ByFamily []int `json:"nudges_by_family"`
	// Sweep counts the nudges at each threshold of Thresholds().
	Sweep []int `json:"sweep"`
}

// FamilyStats counts one family's would-be nudges (the family that led the
// score) and the scored messages with any hit of it.
type FamilyStats struct {
	Family   score.Family `json:"family"`
	Nudges   int          `json:"nudges"`
	Messages int          `json:"messages_with_hits"`
}

// Bin is one histogram bin: scores in [Lo, Hi), the last one closed.
type Bin struct {
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
	Count int     `json:"count"`
}

// SweepRow is what one threshold would have produced.
type SweepRow struct {
	Threshold float64 `json:"threshold"`
	Nudges    int     `json:"nudges"`
	// PerAgentActiveDay is Nudges over the agent-days with messages (each
	// agent's distinct active days, added up).
	PerAgentActiveDay float64 `json:"per_agent_active_day"`
	// PerAgentSpanDay is Nudges over agents with messages × SpanDays.
	PerAgentSpanDay float64 `json:"per_agent_span_day"`
	// MaxAgentActiveDay is the busiest agent's nudges per active day.
	MaxAgentActiveDay float64 `json:"max_agent_per_active_day"`
	Chosen            bool    `json:"chosen,omitempty"`
}

// Example is one of the top would-be nudges.
type Example struct {
	Channel string       `json:"channel"`
	Agent   string       `json:"agent"`
	TS      string       `json:"ts"`
	Day     string       `json:"day"`
	Score   float64      `json:"score"`
	Family  score.Family `json:"family"`
	RuleID  string       `json:"rule"`
	// SpanLen is the quoted span's length in bytes; Span is its text, only
	// with ShowText.
	SpanLen  int    `json:"span_len"`
	Span     string `json:"span,omitempty"`
	Reminder string `json:"reminder"`
	// HadContext says whether a customer message was passed as context.
	HadContext bool `json:"had_context"`
}

// Thresholds are the sweep's thresholds: 0.30 to 0.90 in steps of 0.05.
func Thresholds() []float64 {
	out := make([]float64, 0, 13)
	for p := 30; p <= 90; p += 5 {
		out = append(out, float64(p)/100)
	}
	return out
}

const histBins = 20

func newReport(opts Options, lay *layout, dir *directory) *Report {
	rep := &Report{
		Threshold:   opts.Threshold,
		ShowText:    opts.ShowText,
		Since:       opts.Since,
		Until:       opts.Until,
		HomeTeam:    dir.home,
		AgentsKnown: len(dir.agents),
		AgentsFrom:  "users.json",
		Messages:    MessageCounts{Skipped: map[string]int{}},
		Warnings:    slices.Clone(lay.warns),
	}
	if len(opts.Agents) > 0 {
		rep.AgentsFrom = "--agents"
	}
	rep.Files.Skipped = slices.Clone(lay.skipped)
	return rep
}

func (rep *Report) addChannel(m channelMeta) int {
	rep.Channels = append(rep.Channels, ChannelStats{ID: m.ID, Name: m.Name, Private: m.Kind == privateChannel})
	return len(rep.Channels) - 1
}

func (rep *Report) skipFile(name string, err error) {
	rep.Files.Skipped = append(rep.Files.Skipped, skippedFile{File: name, Reason: err.Error()})
	rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: %v: skipped", name, err))
}

// tally is one scorer's share of the figures; finish merges them.
type tally struct {
	threshold  float64
	showText   bool
	nExamples  int
	thresholds []float64
	channels   []ChannelStats
	names      []string
	cells      map[cellKey]*cell
	families   map[score.Family]*FamilyStats
	hist       [histBins]int
	unmatched  int
	scored     int
	nudges     int
	minDay     string
	maxDay     string
	examples   []Example
}

type cellKey struct {
	channel int
	agent   string
}

type cell struct {
	scored, nudges int
	days           map[int32]struct{}
	byFamily       []int
	sweep          []int
}

func newTally(rep *Report, opts Options) *tally {
	names := make([]string, len(rep.Channels))
	for i, c := range rep.Channels {
		names[i] = c.Name
	}
	return &tally{
		threshold:  opts.Threshold,
		showText:   opts.ShowText,
		nExamples:  opts.Examples,
		thresholds: Thresholds(),
		channels:   make([]ChannelStats, len(rep.Channels)),
		names:      names,
		cells:      map[cellKey]*cell{},
		families:   map[score.Family]*FamilyStats{},
	}
}

func familyIndex(f score.Family) int {
	return slices.Index(score.Families(), f)
}

func (t *tally) add(m *message, res score.Result) {
	t.scored++
	k := cellKey{channel: m.channel, agent: m.user}
	c := t.cells[k]
	if c == nil {
		c = &cell{days: map[int32]struct{}{}, byFamily: make([]int, len(score.Families())), sweep: make([]int, len(t.thresholds))}
		t.cells[k] = c
	}
	c.scored++
	c.days[int32(m.micros/(86400*1_000_000))] = struct{}{}
	t.channels[m.channel].Scored++
	day := dayOf(m.micros)
	if t.minDay == "" || day < t.minDay {
		t.minDay = day
	}
	if day > t.maxDay {
		t.maxDay = day
	}

	if res.Family == "" {
		t.unmatched++
	} else {
		b := int(res.Score * histBins)
		b = min(max(b, 0), histBins-1)
		t.hist[b]++
	}
	var seen score.FamilySet
	for _, h := range res.Hits {
		if seen.Has(h.Family) {
			continue
		}
		seen = seen.With(h.Family)
		t.family(h.Family).Messages++
	}
	for i, th := range t.thresholds {
		if res.Nudge(th) {
			c.sweep[i]++
		}
	}
	if !res.Nudge(t.threshold) {
		return
	}
	t.nudges++
	c.nudges++
	t.channels[m.channel].Nudges++
	t.family(res.Family).Nudges++
	if fi := familyIndex(res.Family); fi >= 0 {
		c.byFamily[fi]++
	}
	t.example(m, res)
}

func (t *tally) family(f score.Family) *FamilyStats {
	s := t.families[f]
	if s == nil {
		s = &FamilyStats{Family: f}
		t.families[f] = s
	}
	return s
}

// example offers a would-be nudge to the top examples.
func (t *tally) example(m *message, res score.Result) {
	if len(t.examples) == t.nExamples && !exampleLess(res.Score, t.channelName(m.channel), m.ts, t.examples[len(t.examples)-1]) {
		return
	}
	ex := Example{
		Channel:    t.channelName(m.channel),
		Agent:      m.user,
		TS:         m.ts,
		Day:        dayOf(m.micros),
		Score:      res.Score,
		Family:     res.Family,
		Reminder:   res.Reminder,
		HadContext: m.context != "",
	}
	// The quoted span is the heaviest hit of the leading family.
	best := -1
	for i, h := range res.Hits {
		if h.Family == res.Family && (best < 0 || h.Weight > res.Hits[best].Weight) {
			best = i
		}
	}
	if best >= 0 {
		h := res.Hits[best]
		ex.RuleID = h.RuleID
		if 0 <= h.Start && h.Start <= h.End && h.End <= len(m.text) {
			ex.SpanLen = h.End - h.Start
			if t.showText {
				ex.Span = m.text[h.Start:h.End]
			}
		}
	}
	t.examples = insertExample(t.examples, ex, t.nExamples)
}

func (t *tally) channelName(i int) string { return t.names[i] }

// exampleLess orders examples: higher score first, then channel name,
// then ts, so the pick does not depend on which scorer saw what.
func exampleLess(s float64, channel, ts string, e Example) bool {
	if s != e.Score {
		return s > e.Score
	}
	if channel != e.Channel {
		return channel < e.Channel
	}
	return tsLess(ts, e.TS)
}

func tsLess(a, b string) bool {
	am, _ := parseTS(a)
	bm, _ := parseTS(b)
	if am != bm {
		return am < bm
	}
	return a < b
}

func insertExample(list []Example, ex Example, n int) []Example {
	i, _ := slices.BinarySearchFunc(list, ex, func(e, target Example) int {
		if exampleLess(target.Score, target.Channel, target.TS, e) {
			return 1
		}
		return -1
	})
	list = slices.Insert(list, i, ex)
	if len(list) > n {
		list = list[:n]
	}
	return list
}

// finish merges the scorers' tallies into rep.
func (rep *Report) finish(parts []*tally) {
	thresholds := Thresholds()
	cells := map[cellKey]*cell{}
	families := map[score.Family]*FamilyStats{}
	var examples []Example
	n := 10
	for _, t := range parts {
		n = t.nExamples
		for i, c := range t.channels {
			rep.Channels[i].Scored += c.Scored
			rep.Channels[i].Nudges += c.Nudges
		}
		for k, c := range t.cells {
			m := cells[k]
			if m == nil {
				cells[k] = c
				continue
			}
			m.scored += c.scored
			m.nudges += c.nudges
			maps.Copy(m.days, c.days)
			for i := range c.byFamily {
				m.byFamily[i] += c.byFamily[i]
			}
			for i := range c.sweep {
				m.sweep[i] += c.sweep[i]
			}
		}
		for f, s := range t.families {
			m := families[f]
			if m == nil {
				m = &FamilyStats{Family: f}
				families[f] = m
			}
			m.Nudges += s.Nudges
			m.Messages += s.Messages
		}
		if rep.Histogram == nil {
			rep.Histogram = make([]Bin, histBins)
		}
		for i, c := range t.hist {
			rep.Histogram[i].Count += c
		}
		rep.Unmatched += t.unmatched
		rep.Messages.Scored += t.scored
		rep.Nudges += t.nudges
		if t.minDay != "" && (rep.First == "" || t.minDay < rep.First) {
			rep.First = t.minDay
		}
		if t.maxDay > rep.Last {
			rep.Last = t.maxDay
		}
		for _, ex := range t.examples {
			examples = insertExample(examples, ex, n)
		}
	}
	if rep.Histogram == nil {
		rep.Histogram = make([]Bin, histBins)
	}
	for i := range rep.Histogram {
		rep.Histogram[i].Lo = float64(i) / histBins
		rep.Histogram[i].Hi = float64(i+1) / histBins
	}
	rep.Examples = examples
	if rep.Examples == nil {
		rep.Examples = []Example{}
	}
	if rep.First != "" {
		a, _ := time.Parse(time.DateOnly, rep.First)
		b, _ := time.Parse(time.DateOnly, rep.Last)
		rep.SpanDays = int(b.Sub(a).Hours()/24) + 1
	}

	for _, f := range score.Families() {
		s := families[f]
		if s == nil {
			s = &FamilyStats{Family: f}
		}
		rep.Families = append(rep.Families, *s)
	}

	// Cells and agents, in channel then agent order.
	keys := slices.SortedFunc(maps.Keys(cells), func(a, b cellKey) int {
		return cmp.Or(cmp.Compare(rep.Channels[a.channel].Name, rep.Channels[b.channel].Name), cmp.Compare(a.agent, b.agent))
	})
	agents := map[string]*AgentStats{}
	agentDays := map[string]map[int32]struct{}{}
	agentSweep := map[string][]int{}
	for _, k := range keys {
		c := cells[k]
		ch := rep.Channels[k.channel]
		rep.Cells = append(rep.Cells, CellStats{
			Channel: ch.Name, ChannelID: ch.ID, Agent: k.agent,
			Scored: c.scored, Nudges: c.nudges, ActiveDays: len(c.days),
			ByFamily: c.byFamily, Sweep: c.sweep,
		})
		a := agents[k.agent]
		if a == nil {
			a = &AgentStats{ID: k.agent}
			agents[k.agent] = a
			agentDays[k.agent] = map[int32]struct{}{}
			agentSweep[k.agent] = make([]int, len(thresholds))
		}
		a.Scored += c.scored
		a.Nudges += c.nudges
		maps.Copy(agentDays[k.agent], c.days)
		for i, v := range c.sweep {
			agentSweep[k.agent][i] += v
		}
	}
	totalAgentDays := 0
	for _, id := range slices.Sorted(maps.Keys(agents)) {
		a := agents[id]
		a.ActiveDays = len(agentDays[id])
		a.PerActiveDay = ratio(a.Nudges, a.ActiveDays)
		totalAgentDays += a.ActiveDays
		rep.Agents = append(rep.Agents, *a)
	}
	for i, th := range thresholds {
		row := SweepRow{Threshold: th, Chosen: math.Abs(th-rep.Threshold) < 1e-9}
		for id, s := range agentSweep {
			row.Nudges += s[i]
			row.MaxAgentActiveDay = max(row.MaxAgentActiveDay, ratio(s[i], len(agentDays[id])))
		}
		row.PerAgentActiveDay = ratio(row.Nudges, totalAgentDays)
		row.PerAgentSpanDay = ratio(row.Nudges, len(agents)*rep.SpanDays)
		rep.Sweep = append(rep.Sweep, row)
	}
	if rep.Cells == nil {
		rep.Cells = []CellStats{}
	}
	if rep.Agents == nil {
		rep.Agents = []AgentStats{}
	}
	slices.SortFunc(rep.Files.Skipped, func(a, b skippedFile) int { return cmp.Compare(a.File, b.File) })
	slices.Sort(rep.Warnings)
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}
