import { useState, type FormEvent } from 'react';
import type { TOTPEnrollment } from '../api/auth';
import { Alert } from '../components/Feedback';
import { CodeField, cleanCode } from './CodeField';

interface TOTPSetupProps {
  enrollment: TOTPEnrollment;
  busy: boolean;
  error: string | undefined;
  onConfirm: (code: string) => void | Promise<void>;
  onCancel?: () => void;
}

/** The secret in groups of four, easier to type into an app. */
export function groupSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

/**
 * Adding the workspace to an authenticator app: the QR code, the secret
 * for typing by hand, then a code from the app to prove it works.
 */
export function TOTPSetup({ enrollment, busy, error, onConfirm, onCancel }: TOTPSetupProps) {
  const [code, setCode] = useState('');

  function handleSubmit(event: FormEvent) {
    event.preventDefault();
    void onConfirm(cleanCode(code));
  }

  return (
    <form className="totp-setup" onSubmit={handleSubmit} aria-label="Set up an authenticator app" aria-busy={busy}>
      <ol className="steps">
        <li>
          Scan this QR code with your authenticator app.
          <img className="qr" src={enrollment.qrCodePNG} alt="QR code to add this workspace to your authenticator app" width={200} height={200} />
        </li>
        <li>
          Or enter this key by hand:{' '}
          <code className="totp-secret" data-testid="totp-secret" data-secret={enrollment.secret}>
            {groupSecret(enrollment.secret)}
          </code>{' '}
          <small className="muted">(time-based, 6 digits)</small>
        </li>
        <li>Enter the code the app shows.</li>
      </ol>
      <CodeField label="Code from the app" value={code} onChange={setCode} />
      <Alert>{error}</Alert>
      <div className="inline">
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Turn on'}
        </button>
        {onCancel && (
          <button type="button" className="secondary" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
