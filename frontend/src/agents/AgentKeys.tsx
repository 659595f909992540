import { useId, useState, type FormEvent } from 'react';
import { useAction, useApi } from '../api/hooks';
import { TextAreaField } from '../components/Field';
import { Problems, Status } from '../components/Feedback';
import { jwksProblems } from '../pages/AgentsPage';
import { SetAgentKeysMutation, type Agent } from './api';

/**
 * Replaces an agent's public JWK set. The browser refuses private key
 * material before it is sent, as the register form does; the server checks
 * the keys again.
 */
export function AgentKeys({ agent }: { agent: Pick<Agent, 'id' | 'name'> }) {
  const run = useApi();
  const save = useAction();
  const [jwks, setJwks] = useState('');
  const [problems, setProblems] = useState<string[]>([]);
  const [notice, setNotice] = useState('');
  const titleId = useId();

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setNotice('');
    const found = jwksProblems(jwks);
    setProblems(found);
    if (found.length) return;
    const ok = await save.run(async () => {
      await run(SetAgentKeysMutation, { id: agent.id, jwks: jwks.trim() });
    });
    if (ok) {
      setJwks('');
      setNotice(`Saved: ${agent.name}’s tokens are now checked against the keys you pasted.`);
    }
  }

  return (
    <section aria-labelledby={titleId}>
      <h2 id={titleId}>Keys</h2>
      <p className="muted">
        {agent.name} proves who it is by signing with its private key; the server keeps only the public keys. Saving
        replaces them all. To rotate without downtime:
      </p>
      <ol className="rotation-steps">
        <li>Save the old and the new public keys together.</li>
        <li>Switch the agent to sign with the new private key.</li>
        <li>Save the new public key alone.</li>
      </ol>
      <form className="card application-form" onSubmit={handleSubmit} aria-labelledby={titleId} noValidate>
        <TextAreaField
          id="agent-keys-jwks"
          label="New public JWK set"
          name="jwks"
          rows={6}
          spellCheck={false}
          className="code-input"
          hint={<>A JSON {'{"keys": [...]}'} of public keys only. Never paste the private key: it stays with the agent.</>}
          value={jwks}
          onChange={(e) => setJwks(e.target.value)}
        />
        <Problems problems={save.error ? [save.error] : problems} />
        <div className="actions">
          <button type="submit" disabled={save.busy}>
            {save.busy ? 'Saving…' : 'Save keys'}
          </button>
        </div>
      </form>
      <Status>{notice}</Status>
    </section>
  );
}
