package analysis

import (
	"sync"

	gopinyin "github.com/mozillazg/go-pinyin"
)

// pinyinTable holds the toneless first reading of every basic CJK ideograph
// and the set of valid syllables. Built once (a few milliseconds) on first
// use instead of calling go-pinyin per character, which allocates.
type pinyinTable struct {
	byRune    []string   // index r-0x4E00: the most common reading
	alts      [][]string // index r-0x4E00, polyphonic only: every distinct toneless reading, most common first
	syllables map[string]struct{}
	maxSyl    int
}

var (
	pyOnce  sync.Once
	pyTable *pinyinTable
)

// Warm builds the tables the analyzer otherwise builds on first use (the
// pinyin table, ~0.1 s), so a process can do it beside its other start-up
// work instead of in its first search.
func Warm() { pinyinTab() }

func pinyinTab() *pinyinTable {
	pyOnce.Do(func() {
		t := &pinyinTable{
			byRune:    make([]string, 0x9FFF-0x4E00+1),
			alts:      make([][]string, 0x9FFF-0x4E00+1),
			syllables: make(map[string]struct{}, 512),
		}
		args := gopinyin.NewArgs() // Normal style: no tones
		hetero := args
		hetero.Heteronym = true
		for r := rune(0x4E00); r <= 0x9FFF; r++ {
			if _, ok := gopinyin.PinyinDict[int(r)]; !ok {
				continue
			}
			p := gopinyin.SinglePinyin(r, args)
			if len(p) == 0 || p[0] == "" {
				continue
			}
			s := p[0]
			t.byRune[r-0x4E00] = s
			if all := gopinyin.SinglePinyin(r, hetero); len(all) > 1 {
				// 还 hai/huan, 行 xing/hang, 长 chang/zhang: callers type
				// either, and go-pinyin cannot tell which from one character.
				t.alts[r-0x4E00] = all[:min(len(all), maxReadings)]
			}
			t.syllables[s] = struct{}{}
			if len(s) > t.maxSyl {
				t.maxSyl = len(s)
			}
		}
		pyTable = t
	})
	return pyTable
}

// maxReadings caps the readings kept per polyphonic character.
const maxReadings = 3

// runeReadings returns every kept reading of a Han character (most common
// first), or nil.
func runeReadings(r rune) []string {
	if r < 0x4E00 || r > 0x9FFF {
		return nil
	}
	t := pinyinTab()
	if alts := t.alts[r-0x4E00]; alts != nil {
		return alts
	}
	if p := t.byRune[r-0x4E00]; p != "" {
		return []string{p}
	}
	return nil
}

// runePinyin returns the toneless pinyin of a Han character, or "".
func runePinyin(r rune) string {
	if r < 0x4E00 || r > 0x9FFF {
		return ""
	}
	return pinyinTab().byRune[r-0x4E00]
}

// Pinyin returns the toneless syllables of the Han characters in s (other
// characters are skipped). Polyphonic characters take their first reading,
// consistently on the index and the query side.
func Pinyin(s string) []string {
	var out []string
	for _, r := range s {
		if p := runePinyin(r); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// splitSyllables splits a Latin run such as "shebaoka" into pinyin
// syllables (she bao ka), preferring the fewest syllables; it returns nil if
// the run is not pinyin (e.g. "gjj", "passport").
func splitSyllables(s string) []string {
	t := pinyinTab()
	n := len(s)
	if n == 0 || n > 64 {
		return nil
	}
	const inf = 1 << 30
	best := make([]int, n+1)
	prev := make([]int, n+1)
	for i := 1; i <= n; i++ {
		best[i] = inf
	}
	for i := 0; i < n; i++ {
		if best[i] == inf {
			continue
		}
		for l := 1; l <= t.maxSyl && i+l <= n; l++ {
			if _, ok := t.syllables[s[i:i+l]]; !ok {
				continue
			}
			if best[i]+1 < best[i+l] {
				best[i+l] = best[i] + 1
				prev[i+l] = i
			}
		}
	}
	if best[n] == inf {
		return nil
	}
	out := make([]string, best[n])
	for i, k := n, best[n]-1; i > 0; k-- {
		out[k] = s[prev[i]:i]
		i = prev[i]
	}
	return out
}
