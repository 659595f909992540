// Package mail sends the sign-in emails (address verification, password
// reset, invitations, new-address confirmation, and notices about an
// account's second factors) from templates that carry the workspace's
// name. With MANDATE_SMTP_URL it sends over SMTP through
// github.com/wneessen/go-mail; without it (development) it keeps messages
// in the database for the dashboard's dev outbox. It does not decide when
// to send: the sign-in flows and the factor packages do.
package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/mandatehq/mandate/ent"
)

// Message is one email.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
}

// Sender delivers messages. ctx is bound to the workspace the message is
// for.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SMTP sends through an SMTP server.
type SMTP struct {
	host, user, pass, from string
	port                   int
	tls                    string // "starttls" (default), "none", "implicit"
}

// ParseSMTPURL reads MANDATE_SMTP_URL:
//
//	smtp://user:pass@host:587?from=Mandate%20%3Cno-reply%40example.com%3E&tls=starttls|none|implicit
//
// smtps:// means implicit TLS. The password never appears in an error.
func ParseSMTPURL(raw string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, errors.New("SMTP URL must look like smtp://user:pass@host:587?from=no-reply@example.com")
	}
	s := &SMTP{host: u.Hostname(), tls: "starttls"}
	if u.Scheme == "smtps" {
		s.tls = "implicit"
	}
	if t := u.Query().Get("tls"); t != "" {
		if t != "starttls" && t != "none" && t != "implicit" {
			return nil, fmt.Errorf("SMTP URL: tls must be starttls, none or implicit, not %q", t)
		}
		s.tls = t
	}
	s.port = 587
	if s.tls == "implicit" {
		s.port = 465
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return nil, errors.New("SMTP URL: bad port")
		}
		s.port = n
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	s.from = u.Query().Get("from")
	if s.from == "" {
		s.from = "no-reply@" + s.host
	}
	return s, nil
}

// Send delivers m.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return fmt.Errorf("mail: from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("mail: recipient: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	opts := []gomail.Option{gomail.WithPort(s.port), gomail.WithTimeout(15 * time.Second)}
	switch s.tls {
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case "implicit":
		opts = append(opts, gomail.WithSSL())
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.user != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(s.user), gomail.WithPassword(s.pass))
	}
	c, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("mail: send: %s", strings.ReplaceAll(err.Error(), s.pass+"@", "xxxxx@"))
	}
	return nil
}

// Outbox keeps messages in the database, for development without SMTP.
type Outbox struct {
	Client *ent.Client
	Log    *slog.Logger
}

// Send keeps m in the outbox of the workspace in ctx.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	if err := o.Client.OutboxMessage.Create().
		SetTo(m.To).SetSubject(m.Subject).SetText(m.Text).SetHTML(m.HTML).
		Exec(ctx); err != nil {
		return fmt.Errorf("mail: outbox: %w", err)
	}
	// The message holds a secret link: log that it exists, not what it says.
	o.Log.InfoContext(ctx, "email kept in the dev outbox (no SMTP configured)", "subject", m.Subject)
	return nil
}
