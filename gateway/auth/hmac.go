package auth

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

// Errors of signature verification.
var (
	ErrBadSignature   = errors.New("auth: bad signature")
	ErrStaleSignature = errors.New("auth: signature timestamp outside the replay window")
)

// Signature headers used by signed callbacks and signed deliveries.
const (
	HeaderSignature = "X-Hallgate-Signature" // "sha256=<hex>"
	HeaderTimestamp = "X-Hallgate-Timestamp" // unix seconds
)

// SignHMAC returns "sha256=<hex>" of HMAC-SHA256(secret, timestamp + "." + body).
// Binding the timestamp into the MAC lets the receiver refuse replays outside
// a window without keeping every signature it saw.
func SignHMAC(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifyHMAC checks header (as made by SignHMAC) against body and ts, and
// that ts (unix seconds) is within tolerance of now. Duplicate deliveries
// inside the window must be caught by the caller (event ids).
func VerifyHMAC(secret []byte, header, ts string, body []byte, now time.Time, tolerance time.Duration) error {
	sec, err := strconv.ParseInt(strings.TrimSpace(ts), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q is not unix seconds", ErrBadSignature, ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: off by %s", ErrStaleSignature, d.Round(time.Second))
	}
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok {
		return fmt.Errorf("%w: expected sha256=<hex>", ErrBadSignature)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return fmt.Errorf("%w: not hex", ErrBadSignature)
	}
	want, _ := hex.DecodeString(strings.TrimPrefix(SignHMAC(secret, strings.TrimSpace(ts), body), "sha256="))
	if !hmac.Equal(got, want) {
		return ErrBadSignature
	}
	return nil
}
