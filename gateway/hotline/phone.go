package hotline

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrBadNumber is returned for input that is not a telephone number.
var ErrBadNumber = errors.New("hotline: not a telephone number")

// Number kinds.
const (
	KindMobile    = "mobile"
	KindLandline  = "landline"
	KindService   = "service"   // short service numbers: 12345, 12315, 95xxx, 400/800
	KindEmergency = "emergency" // 110, 119, 120, 122
)

// Number is a normalised telephone number. Key is the canonical form used to
// match callers (and to derive the keyed hash stored on tickets).
type Number struct {
	Key        string  `json:"key"`        // e.g. "+8613812345678", "+86-27-87654321", "12345"
	Kind       string  `json:"kind"`       // mobile, landline, service, emergency
	AreaCode   string  `json:"area_code"`  // landlines: with the leading 0, e.g. "027"
	Local      string  `json:"local"`      // subscriber part
	Extension  string  `json:"extension"`  // landline extension, not part of Key
	Confidence float64 `json:"confidence"` // 1 when nothing was assumed
}

// emergencyNumbers are transfer targets, never callers' identities.
var emergencyNumbers = map[string]bool{"110": true, "119": true, "120": true, "122": true}

// twoDigitAreas are the area codes of two digits after the trunk 0
// (Beijing 010, and 020–029). All others have three.
func areaCodeLen(afterZero string) int {
	if afterZero == "" {
		return 0
	}
	switch afterZero[0] {
	case '1':
		return 2 // 010
	case '2':
		return 2 // 020–029
	}
	return 3
}

// Normalizer turns raw caller ids into Numbers. DefaultAreaCode (with the
// leading 0) is assumed for landlines dialled without one.
type Normalizer struct {
	DefaultAreaCode string
}

// Normalize parses raw as it arrives from telephony platforms: "+86 138-1234-5678",
// "008613812345678", "8613812345678", "(027)87654321-123", "87654321",
// "12345", full-width digits and separators included.
func (n Normalizer) Normalize(raw string) (Number, error) {
	digits, ext, ok := cleanDigits(raw)
	if !ok || digits == "" {
		return Number{}, ErrBadNumber
	}
	confidence := 1.0
	international := false
	switch {
	case strings.HasPrefix(digits, "0086"):
		digits, international = digits[4:], true
	case strings.HasPrefix(digits, "+86"):
		digits, international = digits[3:], true
	case strings.HasPrefix(digits, "+"):
		return Number{}, ErrBadNumber // foreign numbers are not matched
	case strings.HasPrefix(digits, "86") && len(digits) == 13 && digits[2] == '1':
		digits, international = digits[2:], true // 86 + mobile without '+'
	}
	// IP long-distance prefixes some exchanges leave in the caller id.
	for _, p := range []string{"17951", "17911", "12593", "17909"} {
		if !international && strings.HasPrefix(digits, p) && len(digits) >= len(p)+10 {
			digits = digits[len(p):]
			confidence = 0.9
			break
		}
	}
	if international && strings.HasPrefix(digits, "0") {
		digits = digits[1:] // "+86 (0)27 ..." written with the trunk prefix
	}
	if emergencyNumbers[digits] {
		return Number{Key: digits, Kind: KindEmergency, Local: digits, Confidence: 1}, nil
	}
	// Mobile: 11 digits starting 1[3-9]; a leading trunk 0 is sometimes added.
	if len(digits) == 12 && digits[0] == '0' && digits[1] == '1' && digits[2] >= '3' {
		digits = digits[1:]
		confidence = min(confidence, 0.95)
	}
	if len(digits) == 11 && digits[0] == '1' && digits[1] >= '3' && digits[1] <= '9' {
		return Number{Key: "+86" + digits, Kind: KindMobile, Local: digits, Confidence: confidence}, nil
	}
	if !international && isServiceNumber(digits) {
		return Number{Key: digits, Kind: KindService, Local: digits, Confidence: confidence}, nil
	}
	// Landline with area code: after international prefix the trunk 0 is gone.
	if international {
		digits = "0" + digits
	}
	if digits[0] == '0' {
		al := areaCodeLen(digits[1:])
		// "00…" is an international prefix other than China's; subscriber
		// numbers never start with 0 or 1.
		if len(digits) < 1+al+7 || digits[1] == '0' || digits[1+al] < '2' {
			return Number{}, ErrBadNumber
		}
		area, local := digits[:1+al], digits[1+al:]
		if len(local) < 7 || len(local) > 8 {
			return Number{}, ErrBadNumber
		}
		return Number{Key: "+86-" + area[1:] + "-" + local, Kind: KindLandline, AreaCode: area,
			Local: local, Extension: ext, Confidence: confidence}, nil
	}
	// Local landline without area code: assume the city's own.
	if (len(digits) == 7 || len(digits) == 8) && digits[0] >= '2' && n.DefaultAreaCode != "" {
		area := n.DefaultAreaCode
		return Number{Key: "+86-" + strings.TrimPrefix(area, "0") + "-" + digits, Kind: KindLandline,
			AreaCode: area, Local: digits, Extension: ext, Confidence: min(confidence, 0.8)}, nil
	}
	return Number{}, ErrBadNumber
}

func isServiceNumber(d string) bool {
	switch {
	case len(d) == 5 && strings.HasPrefix(d, "123"): // 12345, 12315, 12333, ...
		return true
	case len(d) == 5 && strings.HasPrefix(d, "95"): // 95xxx enterprise service numbers
		return true
	case len(d) == 10 && (strings.HasPrefix(d, "400") || strings.HasPrefix(d, "800")):
		return true
	}
	return false
}

// cleanDigits keeps a leading '+' and the digits (full-width digits folded),
// drops common separators, and splits a trailing extension ("-123" after a
// complete landline, "转123", "ext 123", "#123").
func cleanDigits(raw string) (digits, ext string, ok bool) {
	s := strings.TrimSpace(raw)
	if len(s) > 64 {
		return "", "", false
	}
	if !utf8.ValidString(s) {
		return "", "", false
	}
	lower := asciiLower(s) // same byte offsets as s
	for _, sep := range []string{"转", "ext.", "ext", "x", "#", ","} {
		if i := strings.Index(lower, sep); i > 0 {
			ext = onlyDigits(s[i+len(sep):])
			s = s[:i]
			break
		}
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '０' && r <= '９':
			b.WriteRune('0' + (r - '０'))
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case (r == '+' || r == '＋') && i == 0:
			b.WriteByte('+')
		case r == '-' || r == '－' || r == '(' || r == ')' || r == '（' || r == '）' || r == '.' || unicode.IsSpace(r):
		default:
			return "", "", false
		}
	}
	digits = b.String()
	// "(027)87654321-123": a dash-separated tail after a full landline is an
	// extension; only split when the head is already a complete number.
	if ext == "" {
		if i := strings.LastIndexAny(strings.TrimSpace(s), "-－"); i > 0 {
			head, tail := onlyDigits(s[:i]), onlyDigits(s[i:])
			if len(tail) >= 1 && len(tail) <= 5 && len(head) >= 10 && head[0] == '0' {
				digits, ext = head, tail
			}
		}
	}
	return digits, ext, true
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func onlyDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else if r >= '０' && r <= '９' {
			b.WriteRune('0' + (r - '０'))
		}
	}
	return b.String()
}

// Last4 returns the last four digits of a number's subscriber part, which
// citizens give to follow their tickets.
func (n Number) Last4() string {
	if len(n.Local) < 4 {
		return n.Local
	}
	return n.Local[len(n.Local)-4:]
}
