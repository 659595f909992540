package mail

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	texttemplate "text/template"
	"time"
)

// Kind names a template.
type Kind string

// The templates.
const (
	VerifyEmail    Kind = "verify_email"
	ResetPassword  Kind = "reset_password"
	Invitation     Kind = "invitation"
	ChangeEmail    Kind = "change_email"
	AccountExists  Kind = "account_exists"
	PasswordChange Kind = "password_changed"
	// RecoveryCodeUsed tells a person a recovery code of theirs was spent
	// (Data.Remaining says how many are left).
	RecoveryCodeUsed Kind = "recovery_code_used"
	// FactorsReset tells a person an admin removed their second factors.
	FactorsReset Kind = "factors_reset"
	// ApprovalRequested asks an approver to decide on an agent's request
	// (Data.Agent and Data.Summary say who asks for what).
	ApprovalRequested Kind = "approval_requested"
)

// Data fills a template.
type Data struct {
	Workspace string
	Link      string
	ExpiresIn time.Duration
	Role      string
	// Remaining counts what is left (recovery codes).
	Remaining int
	// Agent and Summary describe an approval request.
	Agent, Summary string
}

type template struct {
	subject, intro, action, outro string
}

var templates = map[Kind]template{
	ApprovalRequested: {
		subject: "{{.Agent}} asks for your approval in {{.Workspace}}",
		intro:   "The agent {{.Agent}} asks you to approve: {{.Summary}}. Check the details, then approve or deny it in your approvals inbox.",
		action:  "Review the request",
		outro:   "If you do not recognise this request, deny it. It expires on its own if nobody answers.",
	},
	VerifyEmail: {
		subject: "Verify your email address for {{.Workspace}}",
		intro:   "Confirm that this is your address to finish setting up your {{.Workspace}} account.",
		action:  "Verify my address",
		outro:   "If you did not sign up, ignore this message.",
	},
	ResetPassword: {
		subject: "Reset your {{.Workspace}} password",
		intro:   "Someone asked to reset the password of your {{.Workspace}} account. Choose a new one:",
		action:  "Choose a new password",
		outro:   "If it was not you, ignore this message: your password stays as it is.",
	},
	Invitation: {
		subject: "You are invited to {{.Workspace}}",
		intro:   "You are invited to join {{.Workspace}} as {{.Role}}.",
		action:  "Accept the invitation",
		outro:   "If you did not expect this, ignore this message.",
	},
	ChangeEmail: {
		subject: "Confirm your new address for {{.Workspace}}",
		intro:   "Confirm this address to make it the sign-in address of your {{.Workspace}} account.",
		action:  "Confirm my new address",
		outro:   "If you did not ask for this, ignore this message: nothing changes.",
	},
	AccountExists: {
		subject: "Sign-up attempt for your {{.Workspace}} account",
		intro:   "Someone tried to sign up to {{.Workspace}} with this address, which already has an account. To sign in, or to reset a forgotten password, go to:",
		action:  "Sign in",
		outro:   "If it was not you, no action is needed.",
	},
	PasswordChange: {
		subject: "Your {{.Workspace}} password was changed",
		intro:   "The password of your {{.Workspace}} account was just changed and your other sessions were signed out.",
		action:  "Review your account",
		outro:   "If it was not you, reset your password now.",
	},
	RecoveryCodeUsed: {
		subject: "A recovery code was used for your {{.Workspace}} account",
		intro: "A recovery code was just used to sign in to your {{.Workspace}} account. " +
			"{{if eq .Remaining 0}}You have no recovery codes left: generate new ones now.{{else if eq .Remaining 1}}You have 1 recovery code left.{{else}}You have {{.Remaining}} recovery codes left.{{end}}",
		action: "Review your security settings",
		outro:  "If it was not you, change your password and generate new recovery codes now.",
	},
	FactorsReset: {
		subject: "Your {{.Workspace}} two-factor settings were reset",
		intro: "An administrator of {{.Workspace}} removed the second factors of your account (authenticator app, recovery codes and passkeys). " +
			"Your password is unchanged; set up a second factor again from your account page.",
		action: "Set up two-factor authentication",
		outro:  "If you did not ask for this, tell your workspace's administrators.",
	},
}

var htmlLayout = htmltemplate.Must(htmltemplate.New("html").Parse(`<!doctype html>
<html><body style="font-family: sans-serif; max-width: 34rem; margin: 2rem auto; color: #1a1a2e">
<h2>{{.Workspace}}</h2>
<p>{{.Intro}}</p>
<p><a href="{{.Link}}" style="display: inline-block; padding: .6rem 1rem; background: #3b4cca; color: #fff; text-decoration: none; border-radius: 6px">{{.Action}}</a></p>
<p style="font-size: .9rem; color: #555">Or open this link: {{.Link}}{{if .Expires}}<br>It expires in {{.Expires}} and works once.{{end}}</p>
<p style="font-size: .9rem; color: #555">{{.Outro}}</p>
</body></html>`))

var textLayout = texttemplate.Must(texttemplate.New("text").Parse(`{{.Workspace}}

{{.Intro}}

{{.Action}}: {{.Link}}
{{if .Expires}}
The link expires in {{.Expires}} and works once.
{{end}}
{{.Outro}}
`))

// Render builds the message of kind k to the address to.
func Render(k Kind, to string, d Data) (Message, error) {
	t, ok := templates[k]
	if !ok {
		return Message{}, fmt.Errorf("mail: no template %q", k)
	}
	fill := func(s string) (string, error) {
		tt, err := texttemplate.New("").Parse(s)
		if err != nil {
			return "", err
		}
		var b bytes.Buffer
		err = tt.Execute(&b, d)
		return b.String(), err
	}
	subject, err := fill(t.subject)
	if err != nil {
		return Message{}, err
	}
	intro, err := fill(t.intro)
	if err != nil {
		return Message{}, err
	}
	view := struct {
		Workspace, Intro, Action, Outro, Link, Expires string
	}{d.Workspace, intro, t.action, t.outro, d.Link, humanDuration(d.ExpiresIn)}
	var h, x bytes.Buffer
	if err := htmlLayout.Execute(&h, view); err != nil {
		return Message{}, err
	}
	if err := textLayout.Execute(&x, view); err != nil {
		return Message{}, err
	}
	return Message{To: to, Subject: subject, Text: x.String(), HTML: h.String()}, nil
}

func humanDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d%(24*time.Hour) == 0:
		n := int(d / (24 * time.Hour))
		if n == 1 {
			return "1 day"
		}
		return fmt.Sprintf("%d days", n)
	case d%time.Hour == 0:
		n := int(d / time.Hour)
		if n == 1 {
			return "1 hour"
		}
		return fmt.Sprintf("%d hours", n)
	default:
		return fmt.Sprintf("%d minutes", int(d/time.Minute))
	}
}
