// CIBA interoperability: oauth4webapi (OpenID Certified) as an agent's
// client for OpenID Client-Initiated Backchannel Authentication in poll
// mode, with RFC 9396 authorization_details. Every protocol request is the
// library's own.
//
// Run by the Go test TestNodeCIBAClient (auth/oidc/issuer), which starts the
// server, registers the billing agent (private_key_jwt), has ann delegate
// to it, and writes the configuration to the JSON file named by
// MANDATE_INTEROP_CONFIG:
//   { issuer, login_hint, subject_token, agent: {client_id, private_jwk} }
// The script asks ann to approve two refunds; once each request is pending
// it prints a line `mandate-ciba: {"binding_message": …, "decision": …}`,
// and the Go test decides it as ann (after a strong authentication), as the
// approvals inbox would. The script keeps polling as CIBA Core section 7.3
// says (the interval, slow_down) until it has its answer.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import * as oauth from 'oauth4webapi'

const configPath = process.env.MANDATE_INTEROP_CONFIG
if (!configPath) {
  throw new Error('MANDATE_INTEROP_CONFIG must name the JSON configuration (the Go test TestNodeCIBAClient writes it)')
}
const config = JSON.parse(await readFile(configPath, 'utf8'))
const issuer = new URL(config.issuer)

// The test server is plain http on loopback.
const http = { [oauth.allowInsecureRequests]: true }

const agent = { client_id: config.agent.client_id }
const jwk = config.agent.private_jwk
const agentAuth = oauth.PrivateKeyJwt({
  key: await crypto.subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']),
  kid: jwk.kid,
})

const cibaGrant = 'urn:openid:params:grant-type:ciba'

let discovered
function metadata () {
  discovered ??= oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...http })
    .then((res) => oauth.processDiscoveryResponse(issuer, res))
  return discovered
}

// refused awaits a library call that must fail with an OAuth error response
// and returns its error code.
async function refused (promise) {
  try {
    await promise
  } catch (err) {
    if (err instanceof oauth.ResponseBodyError) return err.error
    throw err
  }
  assert.fail('expected the server to refuse, and it did not')
}

// ask makes the backchannel authentication request for one refund, on
// ann's behalf, with the agent's on-behalf-of token.
async function ask (as, refund, bindingMessage) {
  const res = await oauth.backchannelAuthenticationRequest(as, agent, agentAuth, {
    login_hint: config.login_hint,
    scope: 'openid refunds:execute',
    binding_message: bindingMessage,
    authorization_details: JSON.stringify([refund]),
    subject_token: config.subject_token,
    subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
  }, http)
  return oauth.processBackchannelAuthenticationResponse(as, agent, res)
}

// redeem polls the token endpoint for the auth_req_id as CIBA Core says:
// never sooner than the interval, five seconds slower after slow_down. Once
// the request is pending it prints the line the Go test decides it on. It
// returns the token response and the raw response.
async function redeem (as, started, bindingMessage, decision) {
  const poll = async () => {
    const res = await oauth.backchannelAuthenticationGrantRequest(as, agent, agentAuth, started.auth_req_id, http)
    return { tokens: await oauth.processBackchannelAuthenticationGrantResponse(as, agent, res), res }
  }
  let interval = started.interval ?? 5
  const deadline = Date.now() + started.expires_in * 1000
  let told = false
  for (;;) {
    assert.ok(Date.now() < deadline, 'the request expired before it was decided')
    try {
      return await poll()
    } catch (err) {
      if (!(err instanceof oauth.ResponseBodyError)) throw err
      if (err.error === 'slow_down') interval += 5
      else if (err.error !== 'authorization_pending') throw err
    }
    if (!told) {
      console.log(`mandate-ciba: ${JSON.stringify({ binding_message: bindingMessage, decision })}`)
      told = true
    }
    await sleep(interval * 1000)
  }
}

test('discovery advertises CIBA and the refund type', async () => {
  const as = await metadata()
  assert.equal(as.backchannel_authentication_endpoint, `${issuer.href}/oauth2/bc-authorize`)
  assert.ok(as.backchannel_token_delivery_modes_supported.includes('poll'))
  assert.ok(as.grant_types_supported.includes(cibaGrant))
  assert.ok(as.authorization_details_types_supported.includes('refund'))
  assert.ok(as.token_endpoint_auth_methods_supported.includes('private_key_jwt'))
})

test('the agent asks ann to approve one refund, and spends the token once', { timeout: 120_000 }, async () => {
  const as = await metadata()
  const approved = { type: 'refund', invoice: 'INV-1001', amount: '42.00', currency: 'EUR' }
  const denied = { type: 'refund', invoice: 'INV-1002', amount: '10.00', currency: 'EUR' }
  const [one, two] = await Promise.all([ask(as, approved, 'Refund INV-1001'), ask(as, denied, 'Refund INV-1002')])
  for (const started of [one, two]) {
    assert.ok(started.auth_req_id)
    assert.ok(started.expires_in > 0 && started.expires_in <= 300, `expires_in ${started.expires_in}`)
    assert.equal(started.interval, 5)
  }

  // Both are pending until ann decides; she approves one and denies the other.
  const [{ tokens, res }, refusal] = await Promise.all([
    redeem(as, one, 'Refund INV-1001', 'approve'),
    refused(redeem(as, two, 'Refund INV-1002', 'deny')),
  ])
  assert.equal(refusal, 'access_denied', 'a denied request')

  // The token carries exactly the approved refund, lives at most five
  // minutes and has no refresh token; the library validated the ID token.
  assert.equal(tokens.token_type, 'bearer')
  assert.equal(tokens.refresh_token, undefined)
  assert.ok(tokens.expires_in > 0 && tokens.expires_in <= 300, `expires_in ${tokens.expires_in}`)
  assert.equal(tokens.scope, 'openid refunds:execute')
  assert.deepEqual(tokens.authorization_details, [approved])
  assert.match(tokens.approval_id, /^apr_/)
  const claims = oauth.getValidatedIdTokenClaims(tokens)
  assert.equal(claims.iss, as.issuer)
  assert.ok([claims.aud].flat().includes(agent.client_id), `aud ${claims.aud}`)
  assert.ok(claims.amr?.includes('otp'), `amr ${claims.amr}: ann approved after a TOTP step-up`)
  assert.equal(typeof claims.auth_time, 'number')
  await oauth.validateApplicationLevelSignature(as, res, http)

  // The first introspection spends it, for ann, through the agent; every
  // later one finds it inactive.
  const introspect = async () => oauth.processIntrospectionResponse(as, agent,
    await oauth.introspectionRequest(as, agent, agentAuth, tokens.access_token, http))
  const first = await introspect()
  assert.equal(first.active, true)
  assert.equal(first.sub, claims.sub)
  assert.equal(first.approval_id, tokens.approval_id)
  assert.deepEqual(first.authorization_details, [approved])
  assert.deepEqual(first.act, { sub: agent.client_id })
  assert.equal((await introspect()).active, false, 'the approval token is single-use')

  // The auth_req_id is redeemed once.
  assert.equal(await refused(oauth.backchannelAuthenticationGrantRequest(as, agent, agentAuth, one.auth_req_id, http)
    .then((res) => oauth.processBackchannelAuthenticationGrantResponse(as, agent, res))), 'invalid_grant')
})

test('authorization_details that break the type\'s schema are refused', async () => {
  const as = await metadata()
  const e = await refused(ask(as, { type: 'refund', invoice: 'INV-1001', amount: 42, currency: 'EUR' }, 'Refund INV-1001'))
  assert.equal(e, 'invalid_authorization_details')
})
