package score

import (
	"sync"
	"testing"
)

// BenchmarkModelPredict is the model's share of Evaluate over the dev
// corpus.
func BenchmarkModelPredict(b *testing.B) {
	rows := readCorpus(b, devCorpus(b))
	m := DefaultModel()
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		for _, r := range rows {
			pr := m.predict(r.Text)
			pr.release()
		}
		n += len(rows)
	}
	reportPerMsg(b, n)
	b.ReportMetric(0, "ns/op")
}

// BenchmarkLoadModel is the built-in model's parse, paid once at start-up.
func BenchmarkLoadModel(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseModel(builtinModel, builtinModelName); err != nil {
			b.Fatal(err)
		}
	}
}

// predict runs the model alone over text, tokenizing it itself (Evaluate
// feeds the model the tokens of the rules' scan instead).
func (m *Model) predict(text string) prediction {
	p := m.newPredictor()
	rd := readerPool.Get().(*reader)
	rd.reset(m, text, false)
	feedReader(rd, &p, text)
	pr := p.finish(rd)
	readerPool.Put(rd)
	return pr
}

var readerPool = sync.Pool{New: func() any { return new(reader) }}
