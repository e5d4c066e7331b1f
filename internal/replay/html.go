package replay

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
)

//go:embed report.html.tmpl
var reportHTML string

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"f2":    f2,
	"group": group,
	"f3":    f3,
	"pct":   pct,
	"add":   func(a, b any) float64 { return num(a) + num(b) },
	"sub":   func(a, b any) float64 { return num(a) - num(b) },
	"half":  func(a any) float64 { return num(a) / 2 },
}).Parse(reportHTML))

// group writes n with thousands separators, for the headline cards.
func group(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

func num(v any) float64 {
	switch v := v.(type) {
	case int:
		return float64(v)
	case float64:
		return v
	}
	panic(fmt.Sprintf("replay: template number of type %T", v))
}

// chart is an SVG bar chart laid out in Go, so the template only draws.
type chart struct {
	ID                      string
	W, H                    int
	Left, Top, PlotW, PlotH float64
	Bars                    []bar
	XTicks, YTicks          []tick
	XLabel, YLabel          string
	// Marker is the chosen threshold's x position, with its label.
	MarkerX     float64
	MarkerLabel string
	Empty       bool
}

type bar struct {
	X, Y, W, H float64
	Hot        bool   // at or above the chosen threshold
	Title      string // tooltip
	Label      string // value shown above the bar, or ""
}

type tick struct {
	Pos   float64
	Label string
}

const (
	chartW, chartH  = 480, 280
	left, top       = 64.0, 26.0
	plotW, plotH    = chartW - left - 16, chartH - top - 48
	histChartLabel  = "score (0 = reads fine, 1 = reads like arguing)"
	sweepChartLabel = "threshold"
)

// niceMax rounds v up to 1, 2 or 5 times a power of ten, for axis ticks.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func fmtTick(v float64) string {
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

func yTicks(maxV float64) []tick {
	var out []tick
	for i := 0; i <= 4; i++ {
		v := maxV * float64(i) / 4
		out = append(out, tick{Pos: top + plotH - plotH*float64(i)/4, Label: fmtTick(v)})
	}
	return out
}

func histChart(rep *Report) chart {
	c := chart{ID: "score-chart", W: chartW, H: chartH, Left: left, Top: top, PlotW: plotW, PlotH: plotH,
		XLabel: histChartLabel, YLabel: "messages"}
	maxC := 0
	for _, b := range rep.Histogram {
		maxC = max(maxC, b.Count)
	}
	c.Empty = maxC == 0
	ymax := niceMax(float64(maxC))
	bw := plotW / float64(len(rep.Histogram))
	for i, b := range rep.Histogram {
		h := plotH * float64(b.Count) / ymax
		label := ""
		if b.Count > 0 {
			label = strconv.Itoa(b.Count)
		}
		c.Bars = append(c.Bars, bar{
			X: left + float64(i)*bw + 1, Y: top + plotH - h, W: bw - 2, H: h,
			Hot:   b.Lo+1e-9 >= rep.Threshold,
			Title: fmt.Sprintf("score %s–%s: %d messages", f2(b.Lo), f2(b.Hi), b.Count),
			Label: label,
		})
	}
	for _, v := range []float64{0, 0.25, 0.5, 0.75, 1} {
		c.XTicks = append(c.XTicks, tick{Pos: left + plotW*v, Label: f2(v)})
	}
	c.YTicks = yTicks(ymax)
	c.MarkerX = left + plotW*rep.Threshold
	c.MarkerLabel = "threshold " + f2(rep.Threshold)
	return c
}

func sweepChart(rep *Report) chart {
	c := chart{ID: "sweep-chart", W: chartW, H: chartH, Left: left, Top: top, PlotW: plotW, PlotH: plotH,
		XLabel: sweepChartLabel, YLabel: "nudges per agent per active day"}
	maxV := 0.0
	for _, s := range rep.Sweep {
		maxV = math.Max(maxV, s.PerAgentActiveDay)
	}
	c.Empty = rep.Messages.Scored == 0
	ymax := niceMax(maxV)
	if maxV == 0 {
		ymax = 1
	}
	bw := plotW / float64(len(rep.Sweep))
	c.MarkerX = -1
	for i, s := range rep.Sweep {
		h := plotH * s.PerAgentActiveDay / ymax
		x := left + float64(i)*bw
		c.Bars = append(c.Bars, bar{
			X: x + 3, Y: top + plotH - h, W: bw - 6, H: h,
			Hot:   s.Chosen,
			Title: fmt.Sprintf("threshold %s: %d nudges, %s per agent per active day", f2(s.Threshold), s.Nudges, f2(s.PerAgentActiveDay)),
			Label: f2(s.PerAgentActiveDay),
		})
		c.XTicks = append(c.XTicks, tick{Pos: x + bw/2, Label: f2(s.Threshold)})
		if s.Chosen {
			c.MarkerX = x + bw/2
			c.MarkerLabel = "chosen " + f2(s.Threshold)
		}
	}
	c.YTicks = yTicks(ymax)
	return c
}

type htmlView struct {
	*Report
	Hist, SweepChart chart
	Matched          int
	Chosen           *SweepRow
	SkippedMessages  int
	FileReasons      []reasonCount
	SkipReasons      []reasonCount
}

func writeHTML(w io.Writer, rep *Report) error {
	v := htmlView{Report: rep, Hist: histChart(rep), SweepChart: sweepChart(rep),
		Matched: rep.Messages.Scored - rep.Unmatched, SkippedMessages: skippedTotal(rep),
		FileReasons: fileReasons(rep)}
	for i := range rep.Sweep {
		if rep.Sweep[i].Chosen {
			v.Chosen = &rep.Sweep[i]
		}
	}
	for _, k := range sortedKeys(rep.Messages.Skipped) {
		v.SkipReasons = append(v.SkipReasons, reasonCount{k, rep.Messages.Skipped[k]})
	}
	return reportTmpl.Execute(w, v)
}
