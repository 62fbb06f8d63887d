package connectors_test

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/hallgate/hallgate/connectors"
)

// FuzzVerify feeds outside callback headers and bodies to Verify: it never
// panics, accepts only what Sign made for that body and time, and a body
// changed after signing never verifies.
func FuzzVerify(f *testing.F) {
	f.Add("1700000000", "sha256=00", []byte(`{"id":"e1","type":"accepted","ticket_id":"t1"}`), int64(0))
	f.Add("", "", []byte{}, int64(5))
	f.Add(" 1700000000 ", "v1=abc", []byte("{}"), int64(-400))
	f.Add("-9223372036854775808", "x", []byte("\x00\xff"), int64(1<<40))
	f.Add("1e9", "sha256=", []byte(`[`), int64(299))
	secret := []byte("fuzz-callback-secret-0123456789")
	now := time.Unix(1700000000, 0)
	const tol = 5 * time.Minute
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte, skew int64) {
		err := connectors.Verify(secret, ts, sig, body, now, tol)
		if err == nil {
			n, perr := strconv.ParseInt(ts, 10, 64)
			if perr != nil {
				// Verify trims the timestamp; accept only if the trimmed form parses.
				n, perr = strconv.ParseInt(trim(ts), 10, 64)
			}
			if perr != nil || trim(sig) != connectors.Sign(secret, n, body) {
				t.Fatalf("accepted a signature Sign did not make: ts=%q sig=%q", ts, sig)
			}
		} else if !errors.Is(err, connectors.ErrSignatureMissing) && !errors.Is(err, connectors.ErrSignatureInvalid) && !errors.Is(err, connectors.ErrSignatureExpired) {
			t.Fatalf("error outside the package's sentinels: %v", err)
		}
		// A genuine signature at a fuzzed clock skew.
		at := now.Add(time.Duration(skew%int64(time.Hour/time.Second)) * time.Second)
		good := connectors.Sign(secret, at.Unix(), body)
		err = connectors.Verify(secret, strconv.FormatInt(at.Unix(), 10), good, body, now, tol)
		inWindow := now.Sub(at) <= tol && at.Sub(now) <= tol
		if inWindow != (err == nil) {
			t.Fatalf("genuine signature at skew %v: %v", now.Sub(at), err)
		}
		if inWindow {
			tampered := append(append([]byte(nil), body...), ' ')
			if connectors.Verify(secret, strconv.FormatInt(at.Unix(), 10), good, tampered, now, tol) == nil {
				t.Fatal("a body changed after signing verified")
			}
		}
	})
}

func trim(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r' || s[0] == '\v' || s[0] == '\f') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t' || s[len(s)-1] == '\n' || s[len(s)-1] == '\r' || s[len(s)-1] == '\v' || s[len(s)-1] == '\f') {
		s = s[:len(s)-1]
	}
	return s
}
