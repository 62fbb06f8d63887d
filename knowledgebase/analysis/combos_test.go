package analysis

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// refCombos is the straightforward form of appendCombos (one string per
// step and combination), kept as the reference the buffered one must match.
func refCombos(r run, i, j int, initials bool) ([]string, bool) {
	prefix := PinyinPrefix
	if initials {
		prefix = InitialsPrefix
	}
	out := []string{prefix}
	for k := i; k < j; k++ {
		rs := runeReadings(r.at(k))
		if len(rs) == 0 {
			return nil, false
		}
		next := []string{}
		for _, o := range out {
			for _, p := range rs {
				if len(next) == maxVariants {
					break
				}
				if initials {
					next = append(next, o+p[:1])
				} else {
					next = append(next, o+p)
				}
			}
		}
		out = slices.Compact(next)
	}
	return out, true
}

// TestCombosMatchReference compares the spellings of every n-gram (2–4
// runes) of random text rich in polyphonic characters with refCombos, with
// one scratch reused across all of them as IndexTerms does.
func TestCombosMatchReference(t *testing.T) {
	tab := pinyinTab()
	var poly, mono []rune
	for c := rune(0x4E00); c <= 0x9FFF; c++ {
		switch {
		case tab.alts[c-0x4E00] != nil:
			poly = append(poly, c)
		case tab.byRune[c-0x4E00] != "":
			mono = append(mono, c)
		}
	}
	if len(poly) < 100 {
		t.Fatalf("only %d polyphonic characters", len(poly))
	}
	rng := rand.New(rand.NewPCG(7, 11))
	var sc scratchCombos
	checked := 0
	for range 3000 {
		n := 2 + rng.IntN(10)
		text := make([]rune, n)
		for k := range text {
			switch rng.IntN(5) {
			case 0, 1:
				text[k] = poly[rng.IntN(len(poly))]
			case 2:
				text[k] = rune(0x3400 + rng.IntN(0x100)) // Han without pinyin
			default:
				text[k] = mono[rng.IntN(len(mono))]
			}
		}
		for _, r := range runs(string(text)) {
			for i := 0; i < r.n(); i++ {
				for j := i + 2; j <= min(i+4, r.n()); j++ {
					for _, ini := range []bool{false, true} {
						want, wok := refCombos(r, i, j, ini)
						var got []string
						var gok bool
						if ini {
							got, gok = sc.initials(r, i, j)
						} else {
							got, gok = sc.pinyin(r, i, j)
						}
						if gok != wok || (wok && !slices.Equal(got, want)) {
							t.Fatalf("%q [%d,%d) initials=%v: got %q %v, want %q %v", r.s, i, j, ini, got, gok, want, wok)
						}
						checked++
					}
				}
			}
		}
	}
	t.Logf("%d n-grams checked", checked)
}
