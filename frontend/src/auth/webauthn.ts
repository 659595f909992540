// The browser's half of passkeys. The server's begin endpoints answer
// WebAuthn options in their JSON form (base64url strings where the API
// wants bytes); @simplewebauthn/browser turns them into what
// navigator.credentials takes, and its answer back into the JSON the
// finish endpoints parse. It also cancels a waiting autofill (conditional)
// request when a button starts another ceremony: a browser allows one at a
// time.
import {
  browserSupportsWebAuthn,
  startAuthentication,
  startRegistration,
  WebAuthnAbortService,
  WebAuthnError,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/browser';
import type { PasskeyOptions } from '../api/auth';

/** Whether this browser can use passkeys at all. */
export function passkeysSupported(): boolean {
  try {
    return browserSupportsWebAuthn();
  } catch {
    return false;
  }
}

/**
 * Whether the browser offers passkeys in the email field's autofill
 * (PublicKeyCredential.isConditionalMediationAvailable).
 */
export async function conditionalMediationAvailable(): Promise<boolean> {
  if (!passkeysSupported()) return false;
  const pkc = (globalThis as { PublicKeyCredential?: { isConditionalMediationAvailable?: () => Promise<boolean> } })
    .PublicKeyCredential;
  if (typeof pkc?.isConditionalMediationAvailable !== 'function') return false;
  try {
    return await pkc.isConditionalMediationAvailable();
  } catch {
    return false;
  }
}

/** Creates a passkey with the options a register begin answered; resolves its JSON. */
export async function createPasskey(options: PasskeyOptions): Promise<object> {
  const optionsJSON = options.publicKey as unknown as PublicKeyCredentialCreationOptionsJSON;
  return startRegistration({ optionsJSON });
}

/**
 * Asks for a passkey with the options a login, second-factor or step-up
 * begin answered; resolves the assertion's JSON. With conditional, the
 * request waits for the person to pick a passkey in the autofill of an
 * input whose autocomplete ends in "webauthn".
 */
export async function getPasskey(options: PasskeyOptions, { conditional = false } = {}): Promise<object> {
  const optionsJSON = options.publicKey as unknown as PublicKeyCredentialRequestOptionsJSON;
  return startAuthentication({ optionsJSON, useBrowserAutofill: conditional });
}

/** Stops a waiting passkey request (the autofill one, when leaving the page). */
export function cancelPasskeyRequest() {
  WebAuthnAbortService.cancelCeremony();
}

/**
 * True when a passkey request ended because it was replaced or the page
 * moved on: nothing to tell the person.
 */
export function isPasskeyAbort(err: unknown): boolean {
  if (err instanceof WebAuthnError && err.code === 'ERROR_CEREMONY_ABORTED') return true;
  return err instanceof Error && err.name === 'AbortError';
}

/**
 * What to tell the person when the browser's passkey prompt fails, or
 * undefined when the error is not the browser's (a server's ApiError
 * carries its own message).
 */
export function passkeyErrorMessage(err: unknown): string | undefined {
  if (err instanceof WebAuthnError) {
    switch (err.code) {
      case 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED':
        return 'This device already holds a passkey for your account.';
      case 'ERROR_INVALID_DOMAIN':
      case 'ERROR_INVALID_RP_ID':
        return 'Passkeys are not set up for this address. Ask an admin to check the workspace’s passkey settings.';
      case 'ERROR_AUTHENTICATOR_MISSING_DISCOVERABLE_CREDENTIAL_SUPPORT':
      case 'ERROR_AUTHENTICATOR_MISSING_USER_VERIFICATION_SUPPORT':
        return 'This authenticator cannot hold a passkey that verifies you (a PIN, fingerprint or face). Try another one.';
      case 'ERROR_CEREMONY_ABORTED':
        return 'The passkey request was cancelled.';
      default:
        break;
    }
  }
  if (err instanceof Error) {
    if (err.name === 'NotAllowedError' || (err instanceof WebAuthnError && err.cause instanceof Error && err.cause.name === 'NotAllowedError')) {
      return 'The passkey prompt was closed or timed out. Try again.';
    }
    if (err instanceof WebAuthnError || err.message === 'WebAuthn is not supported in this browser') {
      return 'Your browser could not use a passkey here. Try again, or sign in another way.';
    }
  }
  return undefined;
}
