import { useState, type FormEvent } from 'react';
import { errorMessage, useApi, useQuery } from '../api/hooks';
import { DateTime } from '../components/DateTime';
import { Alert, Status } from '../components/Feedback';
import { graphql } from '../gql';
import type { SigningKeysQuery } from '../gql/graphql';
import { useViewer } from '../workspace/viewer';

export const SigningKeysQueryDocument = graphql(`
  query SigningKeys {
    signingKeys {
      kid
      alg
      activatesAt
      supersededAt
      unpublishAt
    }
  }
`);

export const RotateSigningKeyMutation = graphql(`
  mutation RotateSigningKey($alg: String!, $publishForMinutes: Int) {
    rotateSigningKey(alg: $alg, publishForMinutes: $publishForMinutes) {
      kid
      alg
      activatesAt
    }
  }
`);

type SigningKey = SigningKeysQuery['signingKeys'][number];

export const signingAlgs = [
  { value: 'ES256', label: 'ES256 (ECDSA P-256)' },
  { value: 'RS256', label: 'RS256 (RSA)' },
  { value: 'EdDSA', label: 'EdDSA (Ed25519)' },
];

/** Where a key is in its life, at `now`. */
export function keyState(key: SigningKey, now: number): string {
  const at = (t: string | null | undefined) => (t ? new Date(t).getTime() : undefined);
  const unpublish = at(key.unpublishAt);
  if (unpublish !== undefined && unpublish <= now) return 'Retired';
  const superseded = at(key.supersededAt);
  if (superseded !== undefined && superseded <= now) return 'Verifying only';
  if ((at(key.activatesAt) ?? 0) > now) return 'Published, not signing yet';
  return superseded === undefined ? 'Signing' : 'Signing until the next key';
}

/**
 * /w/:slug/signing-keys: the keys the issuer signs tokens with. A new key is
 * published in the JWKS first, so relying parties fetch it before it signs.
 */
export function SigningKeysPage() {
  const viewer = useViewer();
  const keys = useQuery(SigningKeysQueryDocument, {});
  const [notice, setNotice] = useState('');
  const now = Date.now();
  const list = keys.data?.signingKeys ?? [];

  return (
    <section className="page" aria-labelledby="keys-title">
      <h1 id="keys-title">Signing keys</h1>
      <p className="muted">
        The workspace's issuer signs ID tokens and JWT access tokens with these keys; only their public halves are
        shown or published.
      </p>
      <RotateKeyForm
        owner={viewer.role === 'owner'}
        onRotated={async (message) => {
          setNotice(message);
          await keys.refetch();
        }}
      />
      <Status>{notice}</Status>
      <Alert>{keys.error}</Alert>
      <div className="table-wrap">
        <table>
          <caption>
            {keys.loading && !keys.data ? 'Loading keys…' : `${list.length} ${list.length === 1 ? 'key' : 'keys'}, newest first`}
          </caption>
          <thead>
            <tr>
              <th scope="col">Key ID</th>
              <th scope="col">Algorithm</th>
              <th scope="col">State</th>
              <th scope="col">Signs from</th>
              <th scope="col">Superseded</th>
              <th scope="col">Leaves the JWKS</th>
            </tr>
          </thead>
          <tbody>
            {list.map((key) => (
              <tr key={key.kid}>
                <td>
                  <code>{key.kid}</code>
                </td>
                <td>{key.alg}</td>
                <td>
                  <span className="badge">{keyState(key, now)}</span>
                </td>
                <td>
                  <DateTime value={key.activatesAt} />
                </td>
                <td>
                  <DateTime value={key.supersededAt} empty="No" />
                </td>
                <td>
                  <DateTime value={key.unpublishAt} empty="Not scheduled" />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function RotateKeyForm({ owner, onRotated }: { owner: boolean; onRotated: (message: string) => Promise<void> }) {
  const run = useApi();
  const [alg, setAlg] = useState('ES256');
  const [publishFor, setPublishFor] = useState('15');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    const minutes = publishFor.trim() === '' ? Number.NaN : Number(publishFor);
    if (!Number.isInteger(minutes) || minutes < 0 || minutes > 10080) {
      setError('Publish the key for 0 to 10080 minutes (a week) before it signs.');
      return;
    }
    setBusy(true);
    try {
      const { rotateSigningKey } = await run(RotateSigningKeyMutation, { alg, publishForMinutes: minutes });
      const from = new Date(rotateSigningKey.activatesAt).toLocaleString();
      await onRotated(`Added ${rotateSigningKey.alg} key ${rotateSigningKey.kid}: published now, signing from ${from}.`);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card form-row" onSubmit={handleSubmit} aria-labelledby="rotate-key-title" noValidate>
      <h2 id="rotate-key-title">Rotate the signing key</h2>
      <p className="muted form-note">
        {owner
          ? 'The new key is published now and signs after the wait; the old one keeps verifying until its tokens expire.'
          : 'Only owners can rotate the signing key.'}
      </p>
      <div className="field">
        <label htmlFor="key-alg">Algorithm</label>
        <select id="key-alg" name="alg" value={alg} onChange={(e) => setAlg(e.target.value)}>
          {signingAlgs.map((a) => (
            <option key={a.value} value={a.value}>
              {a.label}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="key-publish">Publish first for (minutes)</label>
        <input
          id="key-publish"
          name="publishForMinutes"
          type="number"
          min={0}
          max={10080}
          step={1}
          required
          value={publishFor}
          onChange={(e) => setPublishFor(e.target.value)}
        />
      </div>
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Rotating…' : 'Rotate key'}
        </button>
      </div>
      <Alert>{error}</Alert>
    </form>
  );
}
