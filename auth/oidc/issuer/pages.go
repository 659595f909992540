package issuer

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"slices"

	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/internal/httpx"
)

type scopeLine struct{ Name, Description string }

// describe names the scopes for the consent page, from the workspace's
// catalog.
func (p *provider) describe(scopes []string) []scopeLine {
	out := make([]scopeLine, 0, len(scopes))
	for _, s := range scopes {
		out = append(out, scopeLine{Name: s, Description: p.settings.ScopeDescription(s)})
	}
	return out
}

var pageTemplates = template.Must(template.New("layout").Parse(`{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;background:#f5f6f8;color:#1b1f24;margin:0}
main{max-width:28rem;margin:4rem auto;background:#fff;border-radius:8px;padding:2rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.35rem;margin-top:0} ul{padding-left:1.2rem} li{margin:.4rem 0}
.muted{color:#57606a;font-size:.9rem} .actions{display:flex;gap:.75rem;margin-top:1.5rem}
button{font:inherit;padding:.55rem 1.1rem;border-radius:6px;border:1px solid #d0d7de;background:#f6f8fa;cursor:pointer}
button.primary{background:#1f6feb;color:#fff;border-color:#1f6feb}
input[type=text]{font:inherit;padding:.5rem;width:100%;box-sizing:border-box;letter-spacing:.15em;text-transform:uppercase}
.error{color:#cf222e} .ok{color:#1a7f37}
</style></head><body><main>{{end}}
{{define "foot"}}</main></body></html>{{end}}
{{define "consent"}}{{template "head" .}}
{{if .Agent}}<h1>Delegate to the agent {{.Client}}</h1>
<p>{{.Client}} is an AI agent of {{.Workspace}}, sponsored by <strong>{{.Agent.Sponsor}}</strong>. It will act on your behalf, signed in as <strong>{{.User}}</strong>, until the time you pick, and you can revoke it at any time.</p>
<p>It will be able to:</p>{{else}}<h1>{{.Client}} wants to access your {{.Workspace}} account</h1>
<p class="muted">Signed in as <strong>{{.User}}</strong></p>
<p>It will be able to:</p>{{end}}
<ul>{{range .Scopes}}<li><strong>{{.Name}}</strong>{{if .Description}}: {{.Description}}{{end}}</li>{{end}}</ul>
{{if .Details}}<p>Only for:</p><ul>{{range .Details}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Audience}}<p class="muted">For use with: {{range $i, $a := .Audience}}{{if $i}}, {{end}}{{$a}}{{end}}</p>{{end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="client_id" value="{{.ClientID}}">
<input type="hidden" name="request_uri" value="{{.RequestURI}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
{{if .Agent}}<p><label for="expiry">For</label>
<select id="expiry" name="expiry">{{range .Expiries}}<option value="{{.Index}}"{{if .Default}} selected{{end}}>{{.Label}}</option>{{end}}</select></p>{{end}}
<div class="actions">
<button class="primary" type="submit" name="consent" value="approve">Allow</button>
<button type="submit" name="consent" value="deny">Deny</button>
</div></form>
{{template "foot" .}}{{end}}
{{define "device"}}{{template "head" .}}
<h1>Connect a device to {{.Workspace}}</h1>
{{if .Message}}<p class="{{.MessageClass}}">{{.Message}}</p>{{end}}
{{if .Confirm}}
<p><strong>{{.Client}}</strong> asks to access your account (signed in as <strong>{{.User}}</strong>) with code <strong>{{.Code}}</strong>.</p>
<p>It will be able to:</p>
<ul>{{range .Scopes}}<li><strong>{{.Name}}</strong>{{if .Description}}: {{.Description}}{{end}}</li>{{end}}</ul>
<p class="muted">Only continue if you started this on your own device and the code matches.</p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="user_code" value="{{.Code}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<div class="actions">
<button class="primary" type="submit" name="decision" value="approve">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</div></form>
{{else if .AskCode}}
<form method="get" action="{{.Action}}">
<label for="user_code">Enter the code shown on your device</label>
<p><input id="user_code" type="text" name="user_code" autocomplete="off" autofocus required value="{{.Code}}"></p>
<div class="actions"><button class="primary" type="submit">Continue</button></div>
</form>
{{end}}
{{template "foot" .}}{{end}}
{{define "logout"}}{{template "head" .}}
<h1>Sign out of {{.Workspace}}</h1>
{{if .Message}}<p>{{.Message}}</p>{{end}}
{{if .Confirm}}<p>Do you want to sign out?</p>
<form method="post" action="{{.Action}}">{{range $k, $v := .Confirm}}<input type="hidden" name="{{$k}}" value="{{index $v 0}}">{{end}}
<div class="actions"><button class="primary" type="submit">Sign out</button></div></form>{{end}}
{{template "foot" .}}{{end}}`))

// renderPage writes one of the issuer's own pages. The consent page posts
// to the issuer, which then redirects to the client: the form-action
// allows the client's origin for that redirect.
func renderPage(w http.ResponseWriter, status int, name string, formTarget string, data any) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	csp := httpx.ContentSecurityPolicy
	if formTarget != "" {
		csp += " " + formTarget
	}
	h.Set("Content-Security-Policy", csp)
	w.WriteHeader(status)
	_ = pageTemplates.ExecuteTemplate(w, name, data)
}

func (i *Issuer) renderConsent(w http.ResponseWriter, p *provider, c *Client, u *ent.User, scopes, audience []string, requestURI, csrf string, agent *AgentInfo, details json.RawMessage) {
	target := ""
	if len(c.RedirectURIs) > 0 {
		for _, ru := range c.RedirectURIs {
			target += " " + originOf(ru)
		}
	}
	renderPage(w, http.StatusOK, "consent", target, map[string]any{
		"Title": "Allow " + c.Name + "?", "Client": c.Name, "Workspace": p.slug, "User": u.Email,
		"Scopes": p.describe(scopes), "Audience": audience,
		"Action": "/t/" + p.slug + "/oauth2/authorize", "ClientID": c.ID, "RequestURI": requestURI, "CSRF": csrf,
		"Agent": agent, "Expiries": p.expiries(), "Details": detailLines(details),
	})
}

type expiryOption struct {
	Index   int
	Label   string
	Default bool
}

// expiries are the grant durations the workspace allows, the shortest
// preselected.
func (p *provider) expiries() []expiryOption {
	var out []expiryOption
	for n, g := range grantDurations {
		if g.D <= p.settings.GrantLimit() {
			out = append(out, expiryOption{Index: n, Label: g.Label, Default: n == 0})
		}
	}
	return out
}

// detailLines renders authorization_details for the consent page, one
// line per object: its type, then its fields.
func detailLines(raw json.RawMessage) []string {
	var items []map[string]any
	if json.Unmarshal(raw, &items) != nil {
		return nil
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		line := fmt.Sprint(it["type"])
		keys := make([]string, 0, len(it))
		for k := range it {
			if k != "type" {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			v, _ := json.Marshal(it[k])
			line += ", " + k + " " + string(v)
		}
		out = append(out, line)
	}
	return out
}
