package hotline

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	n := Normalizer{DefaultAreaCode: "0710"}
	cases := []struct {
		raw, key, kind, ext string
		confidence          float64
	}{
		{"13812345678", "+8613812345678", KindMobile, "", 1},
		{"+86 138-1234-5678", "+8613812345678", KindMobile, "", 1},
		{"+86 13812345678", "+8613812345678", KindMobile, "", 1},
		{"008613812345678", "+8613812345678", KindMobile, "", 1},
		{"8613812345678", "+8613812345678", KindMobile, "", 1},
		{"013812345678", "+8613812345678", KindMobile, "", 0.95},
		{"１３８１２３４５６７８", "+8613812345678", KindMobile, "", 1},
		{"1795113812345678", "+8613812345678", KindMobile, "", 0.9},
		{"(027)87654321", "+86-27-87654321", KindLandline, "", 1},
		{"027-87654321", "+86-27-87654321", KindLandline, "", 1},
		{"+86 27 8765 4321", "+86-27-87654321", KindLandline, "", 1},
		{"+86 (0)27 87654321", "+86-27-87654321", KindLandline, "", 1},
		{"(027)87654321-123", "+86-27-87654321", KindLandline, "123", 1},
		{"027-87654321转8001", "+86-27-87654321", KindLandline, "8001", 1},
		{"010-6512-3456", "+86-10-65123456", KindLandline, "", 1},
		{"07103212345", "+86-710-3212345", KindLandline, "", 1},
		{"3212345", "+86-710-3212345", KindLandline, "", 0.8},
		{"87654321", "+86-710-87654321", KindLandline, "", 0.8},
		{"12345", "12345", KindService, "", 1},
		{"12315", "12315", KindService, "", 1},
		{"95588", "95588", KindService, "", 1},
		{"4008123123", "4008123123", KindService, "", 1},
		{"110", "110", KindEmergency, "", 1},
		{"120", "120", KindEmergency, "", 1},
	}
	for _, c := range cases {
		got, err := n.Normalize(c.raw)
		if err != nil {
			t.Errorf("Normalize(%q): %v", c.raw, err)
			continue
		}
		if got.Key != c.key || got.Kind != c.kind || got.Extension != c.ext || got.Confidence != c.confidence {
			t.Errorf("Normalize(%q) = %+v, want key %s kind %s ext %q confidence %v", c.raw, got, c.key, c.kind, c.ext, c.confidence)
		}
	}
}

func TestNormalizeRejects(t *testing.T) {
	n := Normalizer{}
	for _, raw := range []string{"", "abc", "123", "+44 20 7946 0958", "1381234567", "02712", "3212345" /* no default area */, strings.Repeat("1", 70), "138\x001234"} {
		if got, err := n.Normalize(raw); !errors.Is(err, ErrBadNumber) {
			t.Errorf("Normalize(%q) = %+v, %v; want ErrBadNumber", raw, got, err)
		}
	}
}

func TestSameCallerMatchesAcrossForms(t *testing.T) {
	n := Normalizer{DefaultAreaCode: "027"}
	forms := []string{"87654321", "027-87654321", "+86 27 87654321", "0086 27 87654321", "(027) 8765-4321"}
	var key string
	for _, f := range forms {
		got, err := n.Normalize(f)
		if err != nil {
			t.Fatalf("Normalize(%q): %v", f, err)
		}
		if key == "" {
			key = got.Key
		} else if got.Key != key {
			t.Errorf("Normalize(%q).Key = %s, want %s", f, got.Key, key)
		}
	}
}

func TestLast4(t *testing.T) {
	num, _ := Normalizer{}.Normalize("+86 138 1234 5678")
	if num.Last4() != "5678" {
		t.Errorf("Last4 = %s", num.Last4())
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"13812345678", "+86 138-1234-5678", "(027)87654321-123", "027-87654321转8001", "12345", "１３８", "+", "0086", "转", "-0-"} {
		f.Add(s)
	}
	n := Normalizer{DefaultAreaCode: "0710"}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := n.Normalize(raw)
		if err != nil {
			if !errors.Is(err, ErrBadNumber) {
				t.Fatalf("unexpected error type %v", err)
			}
			return
		}
		if got.Key == "" || got.Kind == "" || got.Confidence <= 0 || got.Confidence > 1 {
			t.Fatalf("incomplete number %+v from %q", got, raw)
		}
		if !utf8.ValidString(got.Key) || strings.ContainsFunc(got.Key, func(r rune) bool { return !(r == '+' || r == '-' || (r >= '0' && r <= '9')) }) {
			t.Fatalf("key %q has characters other than digits, + and -", got.Key)
		}
		// Normalising the key again is stable: the canonical form is a fixed point.
		again, err := n.Normalize(got.Key)
		if err != nil || again.Key != got.Key {
			t.Fatalf("key %q of %q does not normalise to itself: %+v %v", got.Key, raw, again, err)
		}
	})
}
