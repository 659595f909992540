import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { authApi } from '../api/auth';
import { useAction } from '../api/hooks';
import { Field, passwordHint } from '../components/Field';
import { Alert, Status } from '../components/Feedback';
import { HostedFrame } from '../components/HostedFrame';

/** /t/:slug/signup: the answer is the same whether or not the address has an account. */
export function SignUpPage() {
  const { slug = '' } = useParams();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [sent, setSent] = useState<string>();
  const signUp = useAction();
  const resend = useAction();
  const [resent, setResent] = useState('');
  const t = encodeURIComponent(slug);

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    await signUp.run(async () => {
      const answer = await authApi.signUp(slug, { email: email.trim(), password, name: name.trim() });
      setPassword('');
      setSent(answer?.message ?? 'Check your inbox: we sent a link to finish signing up.');
    });
  }

  if (sent) {
    return (
      <HostedFrame slug={slug} title="Check your inbox" links={<Link to={`/t/${t}/signin`}>Sign in</Link>}>
        <p role="status">{sent}</p>
        <p className="muted">
          We wrote to <strong>{email.trim()}</strong>. The link works once.
        </p>
        <button
          type="button"
          className="secondary"
          disabled={resend.busy}
          onClick={() =>
            void resend.run(async () => {
              const answer = await authApi.resendVerification(slug, email.trim());
              setResent(answer?.message ?? 'We sent a new link.');
            })
          }
        >
          Send the link again
        </button>
        <Status>{resent}</Status>
        <Alert>{resend.error}</Alert>
      </HostedFrame>
    );
  }

  return (
    <HostedFrame
      slug={slug}
      title="Create an account"
      links={
        <>
          <span>
            Already have an account? <Link to={`/t/${t}/signin`}>Sign in</Link>
          </span>
        </>
      }
    >
      <form onSubmit={handleSubmit} aria-busy={signUp.busy} aria-label="Create an account">
        <Field
          label="Name"
          name="name"
          autoComplete="name"
          autoFocus
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <Field
          label="Email"
          name="email"
          type="email"
          autoComplete="username"
          required
          spellCheck={false}
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={8}
          hint={passwordHint}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <Alert>{signUp.error}</Alert>
        <button type="submit" disabled={signUp.busy}>
          {signUp.busy ? 'Creating…' : 'Create account'}
        </button>
      </form>
    </HostedFrame>
  );
}
