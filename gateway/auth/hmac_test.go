package auth

import (
	"errors"
	"strconv"
	"testing"
	"time"
)

func TestHMACRoundTripAndTampering(t *testing.T) {
	secret := []byte("department-secret")
	now := time.Unix(1_800_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	body := []byte(`{"type":"accepted","ticket_code":"12345-0001"}`)
	sig := SignHMAC(secret, ts, body)
	if err := VerifyHMAC(secret, sig, ts, body, now.Add(30*time.Second), 5*time.Minute); err != nil {
		t.Fatalf("valid signature refused: %v", err)
	}
	cases := map[string]error{
		"body":      VerifyHMAC(secret, sig, ts, append(body, ' '), now, time.Minute),
		"secret":    VerifyHMAC([]byte("other"), sig, ts, body, now, time.Minute),
		"timestamp": VerifyHMAC(secret, sig, strconv.FormatInt(now.Unix()+1, 10), body, now, time.Minute),
		"format":    VerifyHMAC(secret, sig[7:], ts, body, now, time.Minute),
		"hex":       VerifyHMAC(secret, "sha256=zz", ts, body, now, time.Minute),
		"ts":        VerifyHMAC(secret, sig, "yesterday", body, now, time.Minute),
	}
	for name, err := range cases {
		if !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s tampering: want ErrBadSignature, got %v", name, err)
		}
	}
	if err := VerifyHMAC(secret, sig, ts, body, now.Add(10*time.Minute), 5*time.Minute); !errors.Is(err, ErrStaleSignature) {
		t.Errorf("replay outside window: %v", err)
	}
	if err := VerifyHMAC(secret, sig, ts, body, now.Add(-10*time.Minute), 5*time.Minute); !errors.Is(err, ErrStaleSignature) {
		t.Errorf("future timestamp: %v", err)
	}
}

func FuzzVerifyHMAC(f *testing.F) {
	f.Add("sha256=00", "1800000000", []byte("{}"))
	f.Fuzz(func(t *testing.T, header, ts string, body []byte) {
		_ = VerifyHMAC([]byte("k"), header, ts, body, time.Unix(1_800_000_000, 0), time.Minute)
	})
}
