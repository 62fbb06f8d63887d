package connectors

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Header names of hallgate's HMAC signature scheme, used both for signed
// callbacks from departments and for outbound httpjson requests with HMAC auth.
// The signature is hex(HMAC-SHA256(secret, timestamp + "." + body)), sent as
// "sha256=<hex>"; the timestamp is Unix seconds.
const (
	HeaderTimestamp = "X-Hallgate-Timestamp"
	HeaderSignature = "X-Hallgate-Signature"
)

// SignatureTolerance is how far a signed timestamp may be from now.
const SignatureTolerance = 5 * time.Minute

// Signature verification failures.
var (
	ErrSignatureMissing = errors.New("connectors: signature or timestamp missing")
	ErrSignatureInvalid = errors.New("connectors: signature invalid")
	ErrSignatureExpired = errors.New("connectors: signature timestamp outside tolerance")
)

// Sign returns the value of HeaderSignature for body signed at ts.
func Sign(secret []byte, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(strconv.FormatInt(ts, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a signature made by Sign. The timestamp must be within
// tolerance of now in either direction so that captured requests cannot be
// replayed later; duplicate protection inside the window is the caller's job
// (by event id).
func Verify(secret []byte, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	if timestamp == "" || signature == "" {
		return ErrSignatureMissing
	}
	ts, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q", ErrSignatureInvalid, timestamp)
	}
	skew := now.Sub(time.Unix(ts, 0))
	if skew > tolerance || skew < -tolerance {
		return ErrSignatureExpired
	}
	want := Sign(secret, ts, body)
	if !hmac.Equal([]byte(want), []byte(strings.TrimSpace(signature))) {
		return ErrSignatureInvalid
	}
	return nil
}
