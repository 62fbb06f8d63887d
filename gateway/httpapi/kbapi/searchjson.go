package kbapi

import (
	"math"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/hallgate/hallgate/knowledgebase"
)

// A search answer is ten answers' worth of Chinese text; encoding/json
// walks it rune by rune through reflection. appendSearchResult writes the
// same bytes as json.Marshal(knowledgebase.SearchResult) (field order,
// HTML escaping, \ufffd for invalid UTF-8, \u2028/\u2029, ES6 float
// format), checked against json.Marshal in searchjson_test.go. The
// gateway's Fiber app keeps its default encoder (json.Marshal), so the
// search route answers exactly as every other route would.

// searchBufs recycles encoding buffers; the body is copied into the
// response, so a buffer goes back as soon as the handler is done with it.
var searchBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// maxPooledBuf keeps one huge answer (100 hits of long guides) from
// pinning its buffer in the pool.
const maxPooledBuf = 256 << 10

// appendSearchResult appends r as JSON; ok is false when r holds a value
// json.Marshal refuses (a NaN or infinite score), which the caller then
// hands to json.Marshal for its error.
func appendSearchResult(dst []byte, r knowledgebase.SearchResult) (_ []byte, ok bool) {
	if !finite(r.TookMS) {
		return dst, false
	}
	if r.Hits == nil {
		dst = append(dst, `{"hits":null`...)
	} else {
		dst = append(dst, `{"hits":[`...)
		for i, h := range r.Hits {
			if !finite(h.Score) {
				return dst, false
			}
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"id":`...)
			dst = appendJSONString(dst, h.ID)
			dst = append(dst, `,"kind":`...)
			dst = appendJSONString(dst, h.Kind)
			dst = append(dst, `,"question":`...)
			dst = appendJSONString(dst, h.Question)
			dst = append(dst, `,"answer":`...)
			dst = appendJSONString(dst, h.Answer)
			dst = append(dst, `,"department":`...)
			dst = appendJSONString(dst, h.Department)
			dst = append(dst, `,"score":`...)
			dst = appendJSONFloat(dst, h.Score)
			dst = append(dst, `,"highlight":`...)
			dst = appendJSONString(dst, h.Highlight)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"total":`...)
	dst = strconv.AppendInt(dst, int64(r.Total), 10)
	dst = append(dst, `,"took_ms":`...)
	dst = appendJSONFloat(dst, r.TookMS)
	dst = append(dst, `,"search_id":`...)
	dst = appendJSONString(dst, r.SearchID)
	return append(dst, '}'), true
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// appendJSONFloat is encoding/json's float64 format: like %g but with
// ES6's exponent cutoffs and no zero-padded exponent.
func appendJSONFloat(dst []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

const hexDigits = "0123456789abcdef"

// jsonSafe marks the ASCII bytes encoding/json writes as they are with
// HTML escaping on: printable, except '"', '\\', '<', '>' and '&'.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = true
	}
	for _, b := range `"\<>&` {
		t[b] = false
	}
	return t
}()

// appendJSONString quotes s as encoding/json does with HTML escaping.
// Valid UTF-8 (the store only holds valid text) is copied in runs: each
// multi-byte sequence is checked as utf8.DecodeRuneInString would and
// skipped whole, and only U+2028/U+2029 among them are escaped. At the
// first invalid sequence the string starts over on the rune-by-rune path.
func appendJSONString(dst []byte, s string) []byte {
	mark := len(dst)
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			i++
			if jsonSafe[b] {
				continue
			}
			dst = append(dst, s[start:i-1]...)
			dst = appendEscapedASCII(dst, b)
			start = i
			continue
		}
		// Chinese text is mostly three-byte runes whose lead byte needs no
		// check of the second byte's range (E1–EC, EE, EF; not E2: U+2028).
		if i+2 < len(s) && threeByteLead[b] && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
			i += 3
			continue
		}
		n := validRuneLen(s, i)
		if n == 0 {
			return appendJSONStringSlow(dst[:mark], s)
		}
		if n == 3 && b == 0xE2 && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9) {
			// U+2028 and U+2029 are E2 80 A8 and E2 80 A9.
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[s[i+2]&0xF])
			start = i + 3
		}
		i += n
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// threeByteLead marks the lead bytes of three-byte sequences that are valid
// with any two continuation bytes and are not the lead of U+2028/U+2029.
var threeByteLead = func() (t [256]bool) {
	for b := 0xE1; b <= 0xEF; b++ {
		t[b] = b != 0xE2 && b != 0xED
	}
	return t
}()

// validRuneLen is the length of the valid UTF-8 sequence of two to four
// bytes at s[i] (a byte >= 0x80), or 0 when it is not one (the ranges of
// the Unicode standard's table 3-7, as the utf8 package checks them).
func validRuneLen(s string, i int) int {
	cont := func(k int) bool { return k < len(s) && s[k]&0xC0 == 0x80 }
	switch b := s[i]; {
	case b >= 0xC2 && b <= 0xDF:
		if cont(i + 1) {
			return 2
		}
	case b >= 0xE0 && b <= 0xEF:
		if !cont(i+1) || !cont(i+2) {
			return 0
		}
		if c := s[i+1]; (b == 0xE0 && c < 0xA0) || (b == 0xED && c > 0x9F) {
			return 0
		}
		return 3
	case b >= 0xF0 && b <= 0xF4:
		if !cont(i+1) || !cont(i+2) || !cont(i+3) {
			return 0
		}
		if c := s[i+1]; (b == 0xF0 && c < 0x90) || (b == 0xF4 && c > 0x8F) {
			return 0
		}
		return 4
	}
	return 0
}

func appendEscapedASCII(dst []byte, b byte) []byte {
	switch b {
	case '\\', '"':
		return append(dst, '\\', b)
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
}

// appendJSONStringSlow is encoding/json's loop, for strings with invalid
// UTF-8 (each bad byte becomes \ufffd).
func appendJSONStringSlow(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if jsonSafe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = appendEscapedASCII(dst, b)
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
