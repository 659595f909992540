// Interoperability with a certified relying party we did not write:
// oauth4webapi (OpenID Certified) against Mandate's issuer, from nothing but
// the issuer URL. Every protocol request is the library's own; the script
// only plays the browser (plain fetch and a small cookie jar).
//
// Run by the Go test TestNodeRelyingParty (auth/oidc/issuer), which starts
// the server, registers the clients and writes the configuration to the
// JSON file named by MANDATE_INTEROP_CONFIG:
//   { issuer, slug, user: {email, password},
//     web: {client_id, client_secret, redirect_uri},
//     service: {client_id, private_jwk}, device: {client_id},
//     agents: { planner: {client_id, private_jwk}, support: {client_id, private_jwk} } }
// The planner is an agent ann sponsors, with the web client's callback;
// support is the planner's subagent.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import * as oauth from 'oauth4webapi'

const configPath = process.env.MANDATE_INTEROP_CONFIG
if (!configPath) {
  throw new Error('MANDATE_INTEROP_CONFIG must name the JSON configuration (the Go test TestNodeRelyingParty writes it)')
}
const config = JSON.parse(await readFile(configPath, 'utf8'))
const issuer = new URL(config.issuer)
const base = issuer.origin
const slug = config.slug

// The test server is plain http on loopback; the library refuses that
// unless told.
const http = { [oauth.allowInsecureRequests]: true }

const web = { client_id: config.web.client_id }
const webAuth = oauth.ClientSecretBasic(config.web.client_secret)
const service = { client_id: config.service.client_id }
const device = { client_id: config.device.client_id }
const planner = { client_id: config.agents.planner.client_id }
const support = { client_id: config.agents.support.client_id }

// RFC 8693 section 3.
const tokenExchange = 'urn:ietf:params:oauth:grant-type:token-exchange'
const accessTokenType = 'urn:ietf:params:oauth:token-type:access_token'

// ---------------------------------------------------------------- helpers

let discovered
// metadata is the authorization server's metadata, discovered once.
function metadata () {
  discovered ??= oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...http })
    .then((res) => oauth.processDiscoveryResponse(issuer, res))
  return discovered
}

// Browser is a user agent: fetch with cookies, never following redirects
// itself so that a redirect off the server (to the client) can be read.
class Browser {
  cookies = new Map()

  async fetch (url, init = {}) {
    const headers = new Headers(init.headers)
    if (this.cookies.size > 0) {
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    }
    const res = await fetch(url, { ...init, headers, redirect: 'manual' })
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      const gone = value === '' || attrs.some((a) => /^\s*max-age\s*=\s*(0|-)/i.test(a))
      if (gone) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return res
  }

  // navigate GETs url and follows redirects that stay on the server. It
  // returns either { location } (a redirect elsewhere: the client's
  // callback) or { status, body, url } (the page it ended on).
  async navigate (url) {
    url = new URL(url, base)
    for (let hops = 0; hops < 10; hops++) {
      const res = await this.fetch(url)
      const loc = res.headers.get('location')
      if (res.status >= 300 && res.status < 400 && loc) {
        await res.body?.cancel()
        const next = new URL(loc, url)
        if (next.origin !== base) return { status: res.status, location: next }
        url = next
        continue
      }
      return { status: res.status, body: await res.text(), url }
    }
    throw new Error(`too many redirects from ${url}`)
  }

  // submit posts a form to a path on the server, as the server's own page
  // would (with its Origin), and returns where it sent the browser.
  async submit (path, fields) {
    const res = await this.fetch(new URL(path, base), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base },
      body: new URLSearchParams(fields),
    })
    const loc = res.headers.get('location')
    if (loc) {
      await res.body?.cancel()
      return { status: res.status, location: new URL(loc, base) }
    }
    return { status: res.status, body: await res.text() }
  }
}

// hiddenFields reads a page's hidden inputs, as a browser submits them.
function hiddenFields (html) {
  const fields = {}
  for (const m of html.matchAll(/<input type="hidden" name="([a-z_]+)" value="([^"]*)">/g)) {
    fields[m[1]] = m[2].replaceAll('&#43;', '+').replaceAll('&#34;', '"').replaceAll('&#39;', "'")
      .replaceAll('&quot;', '"').replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&')
  }
  return fields
}

let signedIn
// browser is one signed-in browser shared by the tests (consent given in
// one is remembered for the next, as for a real user).
function browser () {
  signedIn ??= (async () => {
    const b = new Browser()
    const res = await b.fetch(`${base}/t/${slug}/auth/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: config.user.email, password: config.user.password }),
    })
    const body = await res.text()
    assert.equal(res.status, 200, `sign-in: ${res.status} ${body}`)
    assert.ok(b.cookies.size > 0, 'sign-in set no cookie')
    return b
  })()
  return signedIn
}

// authorizationURL builds the authorization request the way the library's
// documentation does: from the discovered endpoint.
function authorizationURL (as, params) {
  const u = new URL(as.authorization_endpoint)
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v)
  return u
}

// authorize runs the browser through the authorization endpoint, approving
// consent when asked, and returns the URL it was finally sent to.
async function authorize (url) {
  const b = await browser()
  let step = await b.navigate(url)
  if (step.location === undefined && step.status === 200 && step.body.includes('name="consent"')) {
    const fields = hiddenFields(step.body)
    for (const f of ['client_id', 'request_uri', 'csrf']) assert.ok(fields[f], `consent page lacks ${f}`)
    step = await b.submit(`/t/${slug}/oauth2/authorize`, { ...fields, consent: 'approve' })
  }
  assert.ok(step.location, `the authorization ended on the server: ${step.status} ${step.url ?? ''}\n${step.body ?? ''}`)
  return step.location
}

// codeFlow runs the authorization code flow with PKCE for the web client
// (redeeming the code with wrongVerifier when given) and returns the token
// response, the raw response and the callback URL.
async function codeFlow ({ wrongVerifier } = {}) {
  const as = await metadata()
  const codeVerifier = oauth.generateRandomCodeVerifier()
  const state = oauth.generateRandomState()
  const nonce = oauth.generateRandomNonce()
  const callback = await authorize(authorizationURL(as, {
    client_id: web.client_id,
    redirect_uri: config.web.redirect_uri,
    response_type: 'code',
    scope: 'openid profile email',
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  }))
  assert.equal(`${callback.origin}${callback.pathname}`, config.web.redirect_uri)
  const params = oauth.validateAuthResponse(as, web, callback, state)
  const res = await oauth.authorizationCodeGrantRequest(as, web, webAuth, params, config.web.redirect_uri,
    wrongVerifier ?? codeVerifier, http)
  const tokens = await oauth.processAuthorizationCodeResponse(as, web, res, { expectedNonce: nonce, requireIdToken: true })
  return { tokens, res, callback }
}

// oauthError awaits a library call that must fail with an OAuth error
// response, and returns { status, error, description, challenges }.
async function oauthError (promise) {
  let err
  try {
    await promise
  } catch (e) {
    err = e
  }
  assert.ok(err, 'expected the server to refuse, and it did not')
  return asOAuthError(err)
}

// asOAuthError reads the OAuth error response the library rejected with,
// and rethrows anything else.
async function asOAuthError (err) {
  if (err instanceof oauth.ResponseBodyError) {
    return { status: err.status, error: err.error, description: err.error_description }
  }
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    const body = await err.response.json().catch(() => ({}))
    return { status: err.status, error: body.error, description: body.error_description, challenges: err.cause }
  }
  throw err
}

// explain turns a refusal into a message that says what the server said.
async function explain (err) {
  const e = await asOAuthError(err)
  return `${e.status} ${e.error}: ${e.description ?? ''}`
}

// ------------------------------------------------------------------ tests

test('discovery from nothing but the issuer URL', async () => {
  const as = await metadata()
  assert.equal(as.issuer, issuer.href)
  for (const field of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri',
    'introspection_endpoint', 'revocation_endpoint', 'device_authorization_endpoint']) {
    assert.ok(as[field]?.startsWith(issuer.href + '/'), `${field}: ${as[field]}`)
  }
  assert.ok(as.code_challenge_methods_supported.includes('S256'))
  assert.ok(as.token_endpoint_auth_methods_supported.includes('private_key_jwt'))
  assert.ok(as.grant_types_supported.includes('urn:ietf:params:oauth:grant-type:device_code'))
  assert.equal(as.authorization_response_iss_parameter_supported, true)
})

test('authorization code with PKCE through the hosted sign-in', async () => {
  const as = await metadata()
  const { tokens, res, callback } = await codeFlow()
  assert.equal(callback.searchParams.get('iss'), as.issuer, 'RFC 9207 iss in the callback')
  assert.equal(tokens.token_type.toLowerCase(), 'bearer')
  assert.ok(tokens.access_token && tokens.refresh_token)

  const claims = oauth.getValidatedIdTokenClaims(tokens)
  assert.equal(claims.iss, as.issuer)
  assert.ok([claims.aud].flat().includes(web.client_id), `aud ${claims.aud}`)
  assert.equal(claims.email, config.user.email)
  assert.ok(claims.sub && claims.auth_time)
  // The ID token's signature, against the published JWKS.
  await oauth.validateApplicationLevelSignature(as, res, http)

  const info = await oauth.processUserInfoResponse(as, web, claims.sub,
    await oauth.userInfoRequest(as, web, tokens.access_token, http))
  assert.equal(info.sub, claims.sub)
  assert.equal(info.email, config.user.email)
})

test('refresh rotation and reuse detection', async () => {
  const as = await metadata()
  const { tokens } = await codeFlow()
  const refresh = async (token) => oauth.processRefreshTokenResponse(as, web,
    await oauth.refreshTokenGrantRequest(as, web, webAuth, token, http))

  const fresh = await refresh(tokens.refresh_token)
  assert.ok(fresh.refresh_token, 'no new refresh token')
  assert.notEqual(fresh.refresh_token, tokens.refresh_token, 'the refresh token did not rotate')
  assert.notEqual(fresh.access_token, tokens.access_token)

  const reused = await oauthError(refresh(tokens.refresh_token))
  assert.equal(reused.error, 'invalid_grant', 'reusing the spent refresh token')
  const family = await oauthError(refresh(fresh.refresh_token))
  assert.equal(family.error, 'invalid_grant', 'the newest refresh token survived the reuse (family not revoked)')
})

// RFC 9126 section 2 (and FAPI 2.0, RFC 7523bis): the server MUST accept
// its issuer identifier as a client assertion's audience; it is what
// oauth4webapi sends.
test('client credentials with private_key_jwt (aud: the issuer, the library default)', async () => {
  const as = await metadata()
  const key = await importPrivateJWK(config.service.private_jwk)
  const auth = oauth.PrivateKeyJwt(key)
  let tokens
  try {
    tokens = await oauth.processClientCredentialsResponse(as, service,
      await oauth.clientCredentialsGrantRequest(as, service, auth, {}, http))
  } catch (err) {
    assert.fail(`the token endpoint refused a private_key_jwt assertion whose aud is the issuer identifier ` +
      `(${as.issuer}); RFC 9126 section 2 says the server MUST accept it: ${await explain(err)}`)
  }
  assert.ok(tokens.access_token)
  const info = await oauth.processIntrospectionResponse(as, service,
    await oauth.introspectionRequest(as, service, auth, tokens.access_token, http))
  assert.equal(info.active, true)
  assert.equal(info.client_id, service.client_id)
  assert.equal(info.sub, service.client_id)
})

// OpenID Connect Core section 9: the token endpoint URL as the audience,
// which the server must go on accepting too.
test('client credentials with private_key_jwt (aud: the token endpoint)', async () => {
  const as = await metadata()
  const key = await importPrivateJWK(config.service.private_jwk)
  const auth = oauth.PrivateKeyJwt(key, {
    [oauth.modifyAssertion]: (_header, payload) => { payload.aud = as.token_endpoint },
  })
  const tokens = await oauth.processClientCredentialsResponse(as, service,
    await oauth.clientCredentialsGrantRequest(as, service, auth, {}, http))
  assert.equal(tokens.token_type.toLowerCase(), 'bearer')
  const info = await oauth.processIntrospectionResponse(as, service,
    await oauth.introspectionRequest(as, service, auth, tokens.access_token, http))
  assert.equal(info.active, true)
  assert.equal(info.client_id, service.client_id)
  assert.equal(info.sub, service.client_id)
})

async function importPrivateJWK (jwk) {
  const key = await crypto.subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])
  return { key, kid: jwk.kid }
}

test('introspection and revocation', async () => {
  const as = await metadata()
  const { tokens } = await codeFlow()
  const claims = oauth.getValidatedIdTokenClaims(tokens)
  const introspect = async (token, hint) => oauth.processIntrospectionResponse(as, web,
    await oauth.introspectionRequest(as, web, webAuth, token,
      { ...http, additionalParameters: hint ? { token_type_hint: hint } : {} }))

  const active = await introspect(tokens.access_token)
  assert.equal(active.active, true)
  assert.equal(active.sub, claims.sub)
  assert.equal(active.client_id, web.client_id)
  assert.deepEqual(active.scope.split(' ').sort(), ['email', 'openid', 'profile'])

  await oauth.processRevocationResponse(await oauth.revocationRequest(as, web, webAuth, tokens.access_token, http))
  assert.equal((await introspect(tokens.access_token)).active, false, 'a revoked access token is still active')

  // Revoking a refresh token ends it and (RFC 7009 section 2.1, SHOULD) the
  // access tokens of the same grant.
  const other = (await codeFlow()).tokens
  assert.equal((await introspect(other.refresh_token, 'refresh_token')).active, true)
  await oauth.processRevocationResponse(await oauth.revocationRequest(as, web, webAuth, other.refresh_token,
    { ...http, additionalParameters: { token_type_hint: 'refresh_token' } }))
  assert.equal((await introspect(other.refresh_token, 'refresh_token')).active, false, 'a revoked refresh token is still active')
  assert.equal((await introspect(other.access_token)).active, false, "the revoked refresh token's access token is still active")
})

test('device authorization grant (RFC 8628)', { timeout: 90_000 }, async () => {
  const as = await metadata()
  const auth = oauth.None()
  const started = await oauth.processDeviceAuthorizationResponse(as, device,
    await oauth.deviceAuthorizationRequest(as, device, auth, { scope: 'openid email' }, http))
  assert.ok(started.verification_uri_complete, 'no verification_uri_complete')
  const poll = async () => oauth.processDeviceCodeResponse(as, device,
    await oauth.deviceCodeGrantRequest(as, device, auth, started.device_code, http))

  // Before the user acts, the device is told to wait.
  assert.equal((await oauthError(poll())).error, 'authorization_pending')

  // The user opens the link on another device, signed in, and approves.
  const b = await browser()
  const page = await b.navigate(started.verification_uri_complete)
  assert.equal(page.status, 200, `device page: ${page.status} ${page.location ?? ''}`)
  const fields = hiddenFields(page.body)
  assert.ok(fields.user_code && fields.csrf, 'the device page has no confirmation form')
  const done = await b.submit(`/t/${slug}/device`, { ...fields, decision: 'approve' })
  assert.equal(done.status, 200, `device approval: ${done.status}\n${done.body ?? ''}`)

  // Poll as RFC 8628 section 3.5 asks: wait the interval, slow down when told.
  let interval = started.interval ?? 5
  const deadline = Date.now() + started.expires_in * 1000
  let tokens
  while (!tokens) {
    assert.ok(Date.now() < deadline, 'the device code expired before tokens arrived')
    await sleep(interval * 1000)
    try {
      tokens = await poll()
    } catch (err) {
      const e = await asOAuthError(err)
      if (e.error === 'slow_down') interval += 5
      else if (e.error !== 'authorization_pending') throw err
    }
  }
  assert.ok(tokens.access_token && tokens.refresh_token)
  const claims = oauth.getValidatedIdTokenClaims(tokens)
  assert.ok([claims.aud].flat().includes(device.client_id), `aud ${claims.aud}`)
  const info = await oauth.processUserInfoResponse(as, device, claims.sub,
    await oauth.userInfoRequest(as, device, tokens.access_token, http))
  assert.equal(info.email, config.user.email)

  // The device code is single-use.
  assert.equal((await oauthError(poll())).error, 'invalid_grant')
})

// RFC 8693: ann delegates to the planner in the browser (an agent's consent
// page asks for how long), and the planner's subagent support exchanges
// the planner's token for one of its own, for ann, with the chain in act.
test('agents: delegation and token exchange (RFC 8693)', async (t) => {
  const as = await metadata()
  const plannerAuth = oauth.PrivateKeyJwt(await importPrivateJWK(config.agents.planner.private_jwk))
  const supportAuth = oauth.PrivateKeyJwt(await importPrivateJWK(config.agents.support.private_jwk))

  // ann delegates invoices:read (not refunds:preview, which both agents'
  // ceilings allow) to the planner.
  const codeVerifier = oauth.generateRandomCodeVerifier()
  const state = oauth.generateRandomState()
  const nonce = oauth.generateRandomNonce()
  const b = await browser()
  const page = await b.navigate(authorizationURL(as, {
    client_id: planner.client_id,
    redirect_uri: config.web.redirect_uri,
    response_type: 'code',
    scope: 'openid invoices:read',
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  }))
  assert.ok(page.location === undefined && page.status === 200 && page.body.includes('name="consent"'),
    `no consent page for the agent: ${page.status} ${page.location ?? ''}\n${page.body ?? ''}`)
  const fields = hiddenFields(page.body)
  assert.equal(fields.client_id, planner.client_id)
  assert.ok(fields.request_uri?.startsWith('urn:ietf:params:oauth:request_uri:'), `request_uri ${fields.request_uri}`)
  assert.ok(fields.csrf, 'consent page lacks csrf')
  assert.match(page.body, /<select[^>]*name="expiry"/, 'an agent\'s consent page asks for how long')
  const done = await b.submit(`/t/${slug}/oauth2/authorize`, { ...fields, consent: 'approve', expiry: '0' })
  assert.ok(done.location, `the consent ended on the server: ${done.status}\n${done.body ?? ''}`)
  assert.equal(`${done.location.origin}${done.location.pathname}`, config.web.redirect_uri)
  const params = oauth.validateAuthResponse(as, planner, done.location, state)
  let delegated
  try {
    delegated = await oauth.processAuthorizationCodeResponse(as, planner,
      await oauth.authorizationCodeGrantRequest(as, planner, plannerAuth, params, config.web.redirect_uri, codeVerifier, http),
      { expectedNonce: nonce, requireIdToken: true })
  } catch (err) {
    assert.fail(`the planner's code redemption (private_key_jwt) was refused: ${await explain(err)}`)
  }
  const person = oauth.getValidatedIdTokenClaims(delegated).sub
  const mine = await oauth.processIntrospectionResponse(as, planner,
    await oauth.introspectionRequest(as, planner, plannerAuth, delegated.access_token, http))
  assert.equal(mine.active, true)
  assert.equal(mine.sub, person, 'the delegated token is for ann')
  assert.equal(mine.client_id, planner.client_id)
  assert.deepEqual(mine.act, { sub: planner.client_id })

  // exchange is support's token request: the planner's token as the subject.
  const exchange = async (scope) => oauth.processGenericTokenEndpointResponse(as, support,
    await oauth.genericTokenEndpointRequest(as, support, supportAuth, tokenExchange, {
      subject_token: delegated.access_token,
      subject_token_type: accessTokenType,
      scope,
    }, http))

  let exchanged
  try {
    exchanged = await exchange('invoices:read')
  } catch (err) {
    assert.fail(`support's token exchange was refused: ${await explain(err)}`)
  }
  assert.equal(exchanged.issued_token_type, accessTokenType)
  assert.equal(exchanged.token_type, 'bearer')
  assert.notEqual(exchanged.access_token, delegated.access_token)
  const info = await oauth.processIntrospectionResponse(as, support,
    await oauth.introspectionRequest(as, support, supportAuth, exchanged.access_token, http))
  assert.equal(info.active, true)
  assert.equal(info.sub, mine.sub, 'the exchanged token is still for ann')
  assert.equal(info.client_id, support.client_id)
  assert.deepEqual(info.act, { sub: support.client_id, act: { sub: planner.client_id } })
  assert.equal(info.scope, 'invoices:read')

  // Nothing widens down the chain: a scope the workspace does not know, and
  // one support's ceiling allows but ann did not delegate.
  for (const scope of ['invoices:read refunds:execute', 'refunds:preview']) {
    await t.test(`widening to ${scope} gives invalid_scope`, async () => {
      let err
      try {
        await exchange(scope)
      } catch (e) {
        err = e
      }
      assert.ok(err instanceof oauth.ResponseBodyError, `want the library's ResponseBodyError, got ${err}`)
      assert.equal(err.error, 'invalid_scope', `${err.status} ${err.error}: ${err.error_description ?? ''}`)
      assert.equal(err.status, 400)
    })
  }
})

test('refusals', async (t) => {
  const as = await metadata()

  await t.test('a wrong redirect_uri is never redirected to', async () => {
    const b = await browser()
    const step = await b.navigate(authorizationURL(as, {
      client_id: web.client_id,
      redirect_uri: 'http://127.0.0.1:9/evil',
      response_type: 'code',
      scope: 'openid',
      state: oauth.generateRandomState(),
      code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
      code_challenge_method: 'S256',
    }))
    assert.equal(step.location, undefined, `redirected to ${step.location}`)
    assert.equal(step.status, 400)
  })

  await t.test('a PKCE verifier that does not match gives invalid_grant', async () => {
    const e = await oauthError(codeFlow({ wrongVerifier: oauth.generateRandomCodeVerifier() }))
    assert.equal(e.error, 'invalid_grant')
  })

  await t.test('a bad client secret gives invalid_client', async () => {
    const verifier = oauth.generateRandomCodeVerifier()
    const state = oauth.generateRandomState()
    const callback = await authorize(authorizationURL(as, {
      client_id: web.client_id,
      redirect_uri: config.web.redirect_uri,
      response_type: 'code',
      scope: 'openid',
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }))
    const params = oauth.validateAuthResponse(as, web, callback, state)
    const e = await oauthError(oauth.processAuthorizationCodeResponse(as, web,
      await oauth.authorizationCodeGrantRequest(as, web, oauth.ClientSecretBasic('wrong'), params,
        config.web.redirect_uri, verifier, http)))
    assert.equal(e.error, 'invalid_client')
    assert.equal(e.status, 401)
  })
})
