package replay

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// writeHTMLReport replays the fixture and writes its HTML page.
func writeHTMLReport(t *testing.T) (path string, rep *Report) {
	t.Helper()
	rep, _ = runFixture(t, writeFixture(t, "zip", fixtureFiles()), Options{Threshold: 0.6})
	var b bytes.Buffer
	if err := Write(&b, rep, "html"); err != nil {
		t.Fatalf("Write(html): %v", err)
	}
	path = filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, rep
}

// TestHTMLSelfContained checks the page's source loads nothing: no
// scripts, no links out, no fonts or images by URL.
func TestHTMLSelfContained(t *testing.T) {
	path, _ := writeHTMLReport(t)
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script", "http://", "https://", "url(", "@import", "<link", "<img", "<iframe", "src="} {
		if bytes.Contains(page, []byte(bad)) {
			t.Errorf("report.html contains %q; it must be self-contained", bad)
		}
	}
}

// TestHTMLInBrowser opens the page in headless Chromium with the network
// off, checks it asked for nothing but itself, and checks through the DOM
// that the charts and the sweep table rendered. It leaves a screenshot in
// the test's temp dir, or at $NUDGE_REPLAY_SCREENSHOT when set.
func TestHTMLInBrowser(t *testing.T) {
	browser := "/usr/bin/chromium"
	if _, err := os.Stat(browser); err != nil {
		p, err := exec.LookPath("chromium")
		if err != nil {
			t.Skip("no Chromium on this machine (CI installs it)")
		}
		browser = p
	}
	path, rep := writeHTMLReport(t)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1200, 900),
	)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	var (
		mu   sync.Mutex
		urls []string
	)
	if err := chromedp.Listen(bctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Request != nil {
			mu.Lock()
			urls = append(urls, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	if _, err := chromedp.Call(bctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("Network.enable: %v", err)
	}
	if _, err := chromedp.Call(bctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}},
	}); err != nil {
		t.Fatalf("network offline: %v", err)
	}
	if _, err := chromedp.Call(bctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
		t.Fatalf("network offline: %v", err)
	}
	pageURL := "file://" + path
	if err := chromedp.Do(bctx, chromedp.Navigate(pageURL)); err != nil {
		t.Fatalf("open %s: %v", pageURL, err)
	}

	type dom struct {
		Title                              string
		ScoreBars, ScoreDrawn, ScoreHot    int
		ScoreXTicks, ScoreYTicks           int
		ScoreAxes, ScoreMarker             int
		SweepBars, SweepDrawn, SweepChosen int
		SweepAxes, SweepMarker             int
		SweepRows, ChosenRows              int
		ChosenText                         string
		ChartWidth                         float64
		Nudges, Scored                     string
		ExampleRows                        int
	}
	got, err := chromedp.Run(bctx, chromedp.Evaluate[dom](`(() => {
		const q = s => document.querySelectorAll(s);
		const drawn = s => [...q(s)].filter(r => r.getBBox().height > 0 && r.getBBox().width > 0).length;
		const chosen = q('#sweep-table tbody tr.chosen');
		return {
			Title: document.title,
			ScoreBars: q('#score-chart rect.bar').length,
			ScoreDrawn: drawn('#score-chart rect.bar'),
			ScoreHot: q('#score-chart rect.bar.hot').length,
			ScoreXTicks: q('#score-chart .x-axis text').length,
			ScoreYTicks: q('#score-chart .y-axis text').length,
			ScoreAxes: q('#score-chart .axis > line').length,
			ScoreMarker: q('#score-chart line.marker').length,
			SweepBars: q('#sweep-chart rect.bar').length,
			SweepDrawn: drawn('#sweep-chart rect.bar'),
			SweepChosen: q('#sweep-chart rect.bar.hot').length,
			SweepAxes: q('#sweep-chart .axis > line').length,
			SweepMarker: q('#sweep-chart line.marker').length,
			SweepRows: q('#sweep-table tbody tr').length,
			ChosenRows: chosen.length,
			ChosenText: chosen.length ? chosen[0].cells[0].textContent : '',
			ChartWidth: document.querySelector('#score-chart').getBoundingClientRect().width,
			Nudges: document.querySelector('#nudges').textContent,
			Scored: document.querySelector('#scored').textContent,
			ExampleRows: q('#examples-table tbody tr').length,
		};
	})()`))
	if err != nil {
		t.Fatalf("query the page: %v", err)
	}

	nonEmpty, hot := 0, 0
	for _, b := range rep.Histogram {
		if b.Count > 0 {
			nonEmpty++
			if b.Lo+1e-9 >= rep.Threshold {
				hot++
			}
		}
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"title", strings.HasPrefix(got.Title, "nudgebot replay"), true},
		{"score bars", got.ScoreBars, histBins},
		{"score bars drawn (non-empty bins)", got.ScoreDrawn, nonEmpty},
		{"score bars at or above the threshold", got.ScoreHot, histBins - int(rep.Threshold*histBins)},
		{"score x-axis labels (4 ticks + title)", got.ScoreXTicks, 6},
		{"score y-axis labels (5 ticks + title)", got.ScoreYTicks, 6},
		{"score axis lines (2 axes + 5 ticks)", got.ScoreAxes, 7},
		{"score threshold marker", got.ScoreMarker, 1},
		{"sweep bars", got.SweepBars, len(Thresholds())},
		{"sweep chosen bar", got.SweepChosen, 1},
		{"sweep axis lines (2 axes + 13 ticks)", got.SweepAxes, 15},
		{"sweep marker", got.SweepMarker, 1},
		{"sweep table rows", got.SweepRows, len(Thresholds())},
		{"sweep table chosen rows", got.ChosenRows, 1},
		{"chosen row", got.ChosenText, "0.60 (chosen)"},
		{"nudges card", got.Nudges, group(rep.Nudges)},
		{"scored card", got.Scored, group(rep.Messages.Scored)},
		{"example rows", got.ExampleRows, max(len(rep.Examples), 1)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	if hot == 0 || got.SweepDrawn == 0 {
		t.Errorf("fixture gives %d hot bins and %d drawn sweep bars; want some of each", hot, got.SweepDrawn)
	}
	if got.ChartWidth < 300 {
		t.Errorf("score chart is %vpx wide; the layout broke", got.ChartWidth)
	}

	png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	shot := filepath.Join(t.TempDir(), "report.png")
	if p := os.Getenv("NUDGE_REPLAY_SCREENSHOT"); p != "" {
		shot = p
	}
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", shot)

	mu.Lock()
	defer mu.Unlock()
	if len(urls) == 0 {
		t.Errorf("saw no request at all; the network listener is not working")
	}
	for _, u := range urls {
		if u != pageURL && !strings.HasPrefix(u, "data:") {
			t.Errorf("the page requested %s; it must load nothing but itself", u)
		}
	}
}

func TestGroup(t *testing.T) {
	tests := []struct {
		give int
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {121525, "121,525"}, {-1234567, "-1,234,567"}}
	for _, tt := range tests {
		if got := group(tt.give); got != tt.want {
			t.Errorf("group(%d) = %q, want %q", tt.give, got, tt.want)
		}
	}
}
