package routing

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReadJSONL: imported history is outside input; the parser must never
// panic and must either fail or return one example per non-empty line.
func FuzzReadJSONL(f *testing.F) {
	f.Add(`{"text":"家里停水了","department":"water","type":"求助"}` + "\n\n" + `{"text":"x","department":"y"}`)
	f.Add(`{"text":`)
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, in string) {
		exs, err := ReadJSONL[Example](strings.NewReader(in))
		if err != nil {
			return
		}
		lines := 0
		for _, l := range strings.Split(in, "\n") {
			if strings.TrimSpace(l) != "" {
				lines++
			}
		}
		if len(exs) != lines {
			t.Fatalf("%d examples from %d lines", len(exs), lines)
		}
	})
}

// FuzzFeatures: tokenising and location stripping accept any text.
func FuzzFeatures(f *testing.F) {
	f.Add("【位置】某路12号 【描述】井盖丢失，请尽快处理")
	f.Add("地址")
	f.Add("【位置】")
	f.Fuzz(func(t *testing.T, in string) {
		s := stripLocation(in)
		if utf8.ValidString(in) && !utf8.ValidString(s) {
			t.Fatalf("stripLocation broke UTF-8: %q → %q", in, s)
		}
		for _, tok := range CharNGrams(s) {
			if tok == "" {
				t.Fatal("empty token")
			}
		}
		_ = cueTerms(in)
		_, _ = urgentByLexicon(in, "求助")
		if m := phraseFind(in, "冒…烟"); m != "" && !strings.Contains(in, m) {
			t.Fatalf("phraseFind quoted %q, which is not in %q", m, in)
		}
		_ = defaultConcepts.Match(in)
	})
}

// FuzzConceptEdits: a city's concept edits come through the API. Parsing
// and applying them must never panic, every problem names a line of the
// input, and applying never leaves a concept without its name or with its
// formal count beyond its terms.
func FuzzConceptEdits(f *testing.F) {
	f.Add("特种设备 | 观光梯 -电梯\n-殡葬\n共享单车 互联网租赁自行车 | 小黄车")
	f.Add("| x\n-\n--特种设备\n特种设备 -特种设备 |")
	f.Add("欠薪 | -工钱 工钱\n\xff\xfe | 词语")
	f.Fuzz(func(t *testing.T, in string) {
		edits, problems := ParseConceptEdits(in)
		lines := strings.Count(in, "\n") + 1
		for _, p := range problems {
			if p.Line < 1 || p.Line > max(lines, MaxConceptEditLines+1) || p.Reason == "" {
				t.Fatalf("problem %+v of a %d-line input", p, lines)
			}
		}
		out, ch := ApplyConceptEdits(shippedConcepts[:min(len(shippedConcepts), 30)], edits)
		for _, c := range out {
			if len(c.Terms) == 0 || c.Terms[0] != c.Name || c.Formal < 1 || c.Formal > len(c.Terms) {
				t.Fatalf("concept %+v after %q", c, in)
			}
		}
		if ch.Concepts != len(out) {
			t.Fatalf("change says %d concepts, %d remain", ch.Concepts, len(out))
		}
		_ = NewConceptIndex(out).Match(in)
	})
}
