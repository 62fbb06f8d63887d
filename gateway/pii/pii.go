package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrKey is returned for keys of the wrong size; ErrSealed for sealed values
// that cannot be opened (wrong key or tampering).
var (
	ErrKey    = errors.New("pii: key must be 32 bytes")
	ErrSealed = errors.New("pii: cannot open sealed value")
)

const sealedPrefix = "v1:"

// Sealer seals and opens personal data and derives lookup hashes. The
// encryption key and the hash key are distinct so that leaking the hash key
// does not reveal sealed values.
type Sealer struct {
	aead    cipher.AEAD
	hashKey []byte
}

// New builds a Sealer from a 32-byte encryption key and a hash key of at
// least 32 bytes.
func New(encKey, hashKey []byte) (*Sealer, error) {
	if len(encKey) != 32 || len(hashKey) < 32 {
		return nil, ErrKey
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	return &Sealer{aead: aead, hashKey: append([]byte(nil), hashKey...)}, nil
}

// Seal encrypts plain; the empty string stays empty.
func (s *Sealer) Seal(plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("pii: nonce: %w", err)
	}
	out := s.aead.Seal(nonce, nonce, []byte(plain), nil)
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts a value produced by Seal.
func (s *Sealer) Open(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	raw, ok := strings.CutPrefix(sealed, sealedPrefix)
	if !ok {
		return "", ErrSealed
	}
	b, err := base64.RawStdEncoding.DecodeString(raw)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", ErrSealed
	}
	plain, err := s.aead.Open(nil, b[:s.aead.NonceSize()], b[s.aead.NonceSize():], nil)
	if err != nil {
		return "", ErrSealed
	}
	return string(plain), nil
}

// Hash is the keyed lookup hash of a canonical value (e.g. a normalised
// phone number key); equal inputs give equal hashes, and without the key
// the hash cannot be tested against guesses.
func (s *Sealer) Hash(canonical string) string {
	m := hmac.New(sha256.New, s.hashKey)
	m.Write([]byte(canonical))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:20])
}

// MaskName keeps the first character: 张三 → 张*, 欧阳娜娜 → 欧***.
func MaskName(name string) string {
	n := utf8.RuneCountInString(name)
	if n == 0 {
		return ""
	}
	r, _ := utf8.DecodeRuneInString(name)
	return string(r) + strings.Repeat("*", max(n-1, 1))
}

// MaskPhone keeps the first three and last four digits of a mobile and the
// last four of anything else: 138****5678, ****4321.
func MaskPhone(phone string) string {
	var d []byte
	for i := 0; i < len(phone); i++ {
		if phone[i] >= '0' && phone[i] <= '9' {
			d = append(d, phone[i])
		}
	}
	if len(d) == 13 && d[0] == '8' && d[1] == '6' {
		d = d[2:]
	}
	switch {
	case len(d) == 0:
		return ""
	case len(d) <= 4:
		return strings.Repeat("*", len(d))
	case len(d) == 11 && d[0] == '1':
		return string(d[:3]) + "****" + string(d[len(d)-4:])
	}
	return "****" + string(d[len(d)-4:])
}
