package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"entgo.io/ent/dialect"

	"github.com/mandatehq/mandate/auth/mail"
	"github.com/mandatehq/mandate/internal/database"
)

// Config is read once at start from flags and MANDATE_* variables (a flag
// wins over its variable) and passed down.
type Config struct {
	Addr        string
	BaseURL     string
	DatabaseURL string
	// Secret is the master key material (MANDATE_SECRET, or the secret
	// file). Never logged.
	Secret     secret
	SecretFile string
	// PreviousSecrets (MANDATE_PREVIOUS_SECRETS, comma-separated) are
	// master secrets the vault still knows during a rotation: its data
	// keys wrapped by one of them keep opening until `mandate keys
	// rotate-master` re-wraps them. Never logged.
	PreviousSecrets []secret
	LogFormat       string
	LogLevel        string
	// SMTPURL (MANDATE_SMTP_URL) sends mail; without it mail is kept in the
	// dev outbox. It may hold a password: never logged.
	SMTPURL string
	Demo    bool
	// PrivatePings (MANDATE_PRIVATE_PINGS) lets CIBA pings go to
	// loopback and private addresses, for an agent developed on the
	// server's machine; by default an agent's ping endpoint must be
	// public.
	PrivatePings bool
	privatePings string

	database database.Target
}

// secret redacts itself in any formatted output.
type secret []byte

func (secret) String() string   { return "[redacted]" }
func (secret) GoString() string { return "[redacted]" }

// MinSecretLen is the shortest master secret accepted.
const MinSecretLen = 32

// env returns the MANDATE_ variable name, or its value.
func env(name, def string) string {
	if v, ok := os.LookupEnv("MANDATE_" + name); ok {
		return v
	}
	return def
}

// Validate reports every problem at once.
func (c *Config) Validate() error {
	var errs []error
	if host, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		errs = append(errs, fmt.Errorf("addr %q must be host:port, e.g. 127.0.0.1:8080", c.Addr))
	} else if host != "" && net.ParseIP(host) == nil && host != "localhost" {
		errs = append(errs, fmt.Errorf("addr %q: host must be an IP address or localhost", c.Addr))
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, fmt.Errorf("base URL %q must be an absolute http(s) URL with no query or fragment", c.BaseURL))
		}
	}
	t, err := database.Parse(c.DatabaseURL)
	if err != nil {
		errs = append(errs, err)
	}
	c.database = t
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log format must be text or json, not %q", c.LogFormat))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log level must be debug, info, warn or error, not %q", c.LogLevel))
	}
	if c.privatePings != "" {
		v, err := strconv.ParseBool(c.privatePings)
		if err != nil {
			errs = append(errs, fmt.Errorf("MANDATE_PRIVATE_PINGS must be true or false, not %q", c.privatePings))
		}
		c.PrivatePings = v
	}
	if c.SMTPURL != "" {
		if _, err := mail.ParseSMTPURL(c.SMTPURL); err != nil {
			errs = append(errs, err)
		}
	}
	if len(c.Secret) > 0 && len(c.Secret) < MinSecretLen {
		errs = append(errs, fmt.Errorf("MANDATE_SECRET must be at least %d characters", MinSecretLen))
	}
	for i, p := range c.PreviousSecrets {
		if len(p) < MinSecretLen {
			errs = append(errs, fmt.Errorf("MANDATE_PREVIOUS_SECRETS: secret %d must be at least %d characters", i+1, MinSecretLen))
		}
	}
	return errors.Join(errs...)
}

// parseSecrets splits a comma-separated list of secrets, dropping blanks.
func parseSecrets(list string) []secret {
	var out []secret
	for p := range strings.SplitSeq(list, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, secret(p))
		}
	}
	return out
}

// Masters are the master secrets the vault knows: the current one first,
// then the previous ones.
func (c *Config) Masters() [][]byte {
	out := [][]byte{c.Secret}
	for _, p := range c.PreviousSecrets {
		out = append(out, p)
	}
	return out
}

// EffectiveBaseURL is the configured base URL, or one derived from the
// listen address.
func (c *Config) EffectiveBaseURL() string {
	if c.BaseURL != "" {
		return strings.TrimRight(c.BaseURL, "/")
	}
	host, port, _ := net.SplitHostPort(c.Addr)
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// secretFileName is the generated secret's name beside the SQLite file.
const secretFileName = "mandate.secret"

// LoadSecret fills c.Secret from the secret file when MANDATE_SECRET is not
// set. In development (SQLite, no file configured) it generates one into a
// 0600 file beside the database. It returns the file it generated, if any.
func (c *Config) LoadSecret() (generated string, err error) {
	if len(c.Secret) > 0 {
		return "", nil
	}
	path := c.SecretFile
	if path == "" {
		if c.database.Dialect != dialect.SQLite || c.database.Path == "" {
			return "", errors.New("set MANDATE_SECRET (or --secret-file) with PostgreSQL: every replica must share the same master secret")
		}
		path = filepath.Join(filepath.Dir(c.database.Path), secretFileName)
	}
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		st, err := os.Stat(path)
		if err != nil {
			return "", err
		}
		if st.Mode().Perm()&0o077 != 0 {
			return "", fmt.Errorf("secret file %s is readable by others (mode %v); chmod 600 it", path, st.Mode().Perm())
		}
		s := strings.TrimSpace(string(b))
		if len(s) < MinSecretLen {
			return "", fmt.Errorf("secret file %s holds fewer than %d characters", path, MinSecretLen)
		}
		c.Secret = secret(s)
		return "", nil
	case errors.Is(err, fs.ErrNotExist) && c.SecretFile == "":
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return "", err
		}
		s := hex.EncodeToString(raw)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return "", fmt.Errorf("generate secret file: %w", err)
		}
		if _, err := f.WriteString(s + "\n"); err != nil {
			f.Close()
			return "", err
		}
		if err := f.Close(); err != nil {
			return "", err
		}
		c.Secret = secret(s)
		return path, nil
	default:
		return "", fmt.Errorf("read secret file: %w", err)
	}
}
