package score

import "testing"

func BenchmarkEvalMix(b *testing.B) {
	rules := DefaultRules()
	texts := []string{
		"As I already explained, refunds take 5-7 business days.",
		"Thanks for your patience! Your replacement ships today, tracking to follow.",
		"Could you send me a screenshot of the error so I can pass it to engineering?",
		"That's not my department, you'll have to contact the carrier.",
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, t := range texts {
			Evaluate(Message{Text: t, Context: "where is my refund?"}, rules)
		}
	}
}
