// Package password hashes and verifies passwords with argon2id, parameters
// stored in each hash (PHC string format), and checks a new password against
// the basic NIST 800-63B rules. Sign-in flows and the full policy (blocklist,
// rehash on sign-in) build on it.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// Params are argon2id's cost parameters.
type Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
	KeyLen    uint32
	SaltLen   uint32
}

// Default follows OWASP's argon2id recommendation (19 MiB, t=2, p=1).
var Default = Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16}

// MinLength and MaxLength bound a password, in characters (NIST 800-63B:
// at least 8, and at least 64 accepted).
const (
	MinLength = 8
	MaxLength = 256
)

// ErrMismatch is returned when a password does not match its hash.
var ErrMismatch = errors.New("password does not match")

// Normalize returns the form of a password that is hashed: Unicode NFKC,
// so the same password typed on different keyboards matches.
func Normalize(pw string) string { return norm.NFKC.String(pw) }

// Check reports what is wrong with a new password, or nil.
func Check(pw, email string) error {
	pw = Normalize(pw)
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinLength:
		return fmt.Errorf("password must be at least %d characters", MinLength)
	case n > MaxLength:
		return fmt.Errorf("password must be at most %d characters", MaxLength)
	case email != "" && strings.EqualFold(pw, strings.TrimSpace(email)):
		return errors.New("password must not be the email address")
	case IsCommon(pw):
		return errors.New("password is one of the most common passwords; choose another")
	}
	return nil
}

// Hash returns the PHC-format argon2id hash of pw.
func Hash(pw string, p Params) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(Normalize(pw)), salt, p.Time, p.MemoryKiB, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify checks pw against a PHC-format argon2id hash in constant time.
func Verify(pw, encoded string) error {
	p, salt, key, err := decode(encoded)
	if err != nil {
		return err
	}
	got := argon2.IDKey([]byte(Normalize(pw)), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(key)))
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return ErrMismatch
	}
	return nil
}

// Bounds on parameters read from a stored hash, so a corrupted row cannot
// make one verification take gigabytes or minutes.
const (
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxTime      = 16
	maxKeyLen    = 128
)

func decode(encoded string) (Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return Params{}, nil, nil, errors.New("password: not an argon2id hash")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return Params{}, nil, nil, errors.New("password: unsupported argon2 version")
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil ||
		p.MemoryKiB == 0 || p.MemoryKiB > maxMemoryKiB || p.Time == 0 || p.Time > maxTime || p.Threads == 0 {
		return Params{}, nil, nil, errors.New("password: bad argon2 parameters")
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return Params{}, nil, nil, errors.New("password: bad salt")
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) == 0 || len(key) > maxKeyLen {
		return Params{}, nil, nil, errors.New("password: bad key")
	}
	return p, salt, key, nil
}

// NeedsRehash reports whether a stored hash was made with parameters other
// than p, so sign-in can replace it transparently.
func NeedsRehash(encoded string, p Params) bool {
	got, salt, key, err := decode(encoded)
	if err != nil {
		return true
	}
	return got.MemoryKiB != p.MemoryKiB || got.Time != p.Time || got.Threads != p.Threads ||
		uint32(len(key)) != p.KeyLen || uint32(len(salt)) != p.SaltLen
}

// dummyHash is verified for unknown accounts so that a sign-in for an
// address that does not exist costs the same as one that does.
var (
	dummyOnce sync.Once
	dummy     string
)

// VerifyDummy spends the time of one verification with p and always fails.
func VerifyDummy(pw string, p Params) error {
	dummyOnce.Do(func() { dummy, _ = Hash("not a real password: timing only", p) })
	_ = Verify(pw, dummy)
	return ErrMismatch
}
