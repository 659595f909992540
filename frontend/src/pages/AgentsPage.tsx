import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { errorMessage, useApi, useQuery } from '../api/hooks';
import { AgentOutcomePanel, AgentTree, type AgentOutcome } from '../agents/AgentTree';
import { agentForest, AgentsQueryDocument, count, CreateAgentMutation } from '../agents/api';
import { useMemberEmails } from '../agents/useMemberEmails';
import { Check, toggle } from '../components/Check';
import { Field, TextAreaField } from '../components/Field';
import { Alert, Problems } from '../components/Feedback';
import { ResultPanel } from '../components/ResultPanel';
import type { CreateAgentInput } from '../gql/graphql';
import { canAdminister, useViewer } from '../workspace/viewer';
import { lines } from './ApplicationsPage';
import { ScopeCatalogQueryDocument } from './ScopesPage';

/** What the server accepts as a tool name (agents/registry). */
const toolName = /^[A-Za-z0-9_.:/-]{1,100}$/;

/** JWK members that only a private (or symmetric) key has (RFC 7518 §6). */
const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** The tools of a comma (or space) separated list, each once. */
export function toolList(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}

/**
 * What is wrong with a pasted JWK set, or nothing. The server checks the
 * keys again; this catches a private key before it leaves the browser.
 */
export function jwksProblems(text: string): string[] {
  if (!text.trim()) return ['Paste the agent’s public JWK set: the agent proves itself with the matching private key.'];
  let set: unknown;
  try {
    set = JSON.parse(text);
  } catch {
    return ['The JWK set is not valid JSON.'];
  }
  const keys = (set as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) return ['The JWK set needs a "keys" array with at least one key.'];
  const problems: string[] = [];
  keys.forEach((key: unknown, i) => {
    if (typeof key !== 'object' || key === null || typeof (key as { kty?: unknown }).kty !== 'string') {
      problems.push(`Key ${i + 1} is not a JWK: it has no "kty".`);
      return;
    }
    const secret = privateMembers.filter((m) => m in key);
    if (secret.length) {
      problems.push(
        `Key ${i + 1} holds private key material (${secret.map((m) => `"${m}"`).join(', ')}): paste only the public key. The agent keeps its private key.`,
      );
    }
  });
  return problems;
}

interface Registered {
  name: string;
  clientID: string;
}

/**
 * /w/:slug/agents: the workspace's AI agents as a tree of agents and
 * their subagents. Everyone sees the fleet; admins register agents, and
 * admins and an agent's sponsor suspend, resume or revoke it (with its
 * subagents).
 */
export function AgentsPage() {
  const viewer = useViewer();
  const admin = canAdminister(viewer);
  const base = `/w/${encodeURIComponent(viewer.tenant.slug)}`;
  const agents = useQuery(AgentsQueryDocument, {});
  const list = agents.data?.agents ?? [];
  const emails = useMemberEmails(list.map((a) => a.sponsorID));
  const [registering, setRegistering] = useState(false);
  const [registered, setRegistered] = useState<Registered>();
  const [outcome, setOutcome] = useState<AgentOutcome & { seq: number }>();
  const openerRef = useRef<HTMLButtonElement>(null);
  const seq = useRef(0);
  const forest = agentForest(list);

  function focusOpener() {
    // The opener is back after this render.
    setTimeout(() => openerRef.current?.focus());
  }

  return (
    <section className="page" aria-labelledby="agents-title">
      <h1 id="agents-title">Agents</h1>
      <p className="muted">
        AI agents that act in this workspace. Each signs in with its own keys, never gets more than its scope ceiling, and
        has a member accountable for it. A subagent sits under the agent that registered it.
      </p>
      {admin && (
        <p>
          <Link to={`${base}/trace`}>Trace a run</Link>: what an agent and its subagents did in one task.
        </p>
      )}

      {registered && (
        <ResultPanel
          title={`Agent “${registered.name}” registered`}
          onDone={() => {
            setRegistered(undefined);
            focusOpener();
          }}
        >
          <p>
            Client ID: <code className="client-id">{registered.clientID}</code>
          </p>
          <p className="muted">
            Give the agent this client ID. It has no secret: it signs its token requests with its private key
            (private_key_jwt), which it keeps and the server never sees.
          </p>
        </ResultPanel>
      )}
      {outcome && (
        <AgentOutcomePanel
          key={outcome.seq}
          outcome={outcome}
          nameOf={(id) => list.find((a) => a.id === id)?.name}
          onDone={() => {
            const id = outcome.agent.id;
            setOutcome(undefined);
            setTimeout(() => document.getElementById(`agent-${id}-name`)?.querySelector('a')?.focus());
          }}
        />
      )}

      {admin &&
        (registering ? (
          <RegisterAgentForm
            defaultSponsor={viewer.kind === 'human' ? viewer.label : ''}
            onCancel={() => {
              setRegistering(false);
              focusOpener();
            }}
            onRegistered={async (agent) => {
              setRegistering(false);
              setOutcome(undefined);
              setRegistered(agent);
              await agents.refetch();
            }}
          />
        ) : (
          <button
            ref={openerRef}
            type="button"
            className="page-action"
            onClick={() => {
              setRegistered(undefined);
              setRegistering(true);
            }}
          >
            Register an agent
          </button>
        ))}

      <Alert>{agents.error}</Alert>
      {emails.error && <Alert>{`Sponsors could not be looked up: ${emails.error}`}</Alert>}
      <section aria-labelledby="fleet-title">
        <h2 id="fleet-title">Fleet</h2>
        <p className="muted">
          {agents.loading && !agents.data
            ? 'Loading agents…'
            : list.length === 0
              ? 'No agents yet.'
              : `${count(list.length, 'agent')}, ${forest.length} top-level`}
        </p>
        {forest.length > 0 && (
          <AgentTree
            nodes={forest}
            label="Agents"
            base={base}
            viewer={viewer}
            sponsor={emails.label}
            onChanged={async (changed) => {
              setRegistered(undefined);
              setOutcome({ ...changed, seq: ++seq.current });
              await agents.refetch();
            }}
          />
        )}
      </section>
    </section>
  );
}

/** Registers a top-level agent with its public keys; the server returns its client_id. */
function RegisterAgentForm({
  defaultSponsor,
  onCancel,
  onRegistered,
}: {
  defaultSponsor: string;
  onCancel: () => void;
  onRegistered: (agent: Registered) => Promise<void>;
}) {
  const run = useApi();
  const catalog = useQuery(ScopeCatalogQueryDocument, {});
  const [name, setName] = useState('');
  const [role, setRole] = useState('');
  const [sponsor, setSponsor] = useState(defaultSponsor);
  const [scopes, setScopes] = useState<string[]>([]);
  const [tools, setTools] = useState('');
  const [jwks, setJwks] = useState('');
  const [redirectUris, setRedirectUris] = useState('');
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);
  const nameRef = useRef<HTMLInputElement>(null);
  const titleId = useId();
  const idPrefix = useId();
  const id = (field: string) => `${idPrefix}-${field}`;

  useEffect(() => nameRef.current?.focus(), []);

  /** What the browser can tell before asking the server; the server checks everything again. */
  function check(): string[] {
    const found: string[] = [];
    if (!name.trim()) found.push('Give the agent a name.');
    if (!sponsor.trim()) found.push('Name its sponsor: the member accountable for it.');
    else if (!/^[^\s@]+@[^\s@]+$/.test(sponsor.trim())) found.push('The sponsor must be an email address.');
    if (scopes.length === 0) found.push('Choose its scope ceiling: at least one scope.');
    const bad = toolList(tools).filter((t) => !toolName.test(t));
    if (bad.length) found.push(`Tool names are 1-100 letters, digits or _.:-/ (not ${bad.map((t) => `“${t}”`).join(', ')}).`);
    found.push(...jwksProblems(jwks));
    return found;
  }

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    const found = check();
    setProblems(found);
    if (found.length) return;
    setBusy(true);
    try {
      const input: CreateAgentInput = {
        name: name.trim(),
        ...(role.trim() ? { role: role.trim() } : {}),
        sponsorEmail: sponsor.trim(),
        scopes,
        tools: toolList(tools),
        jwks: jwks.trim(),
        redirectUris: lines(redirectUris),
      };
      const { createAgent } = await run(CreateAgentMutation, { input });
      await onRegistered({ name: createAgent.agent.name, clientID: createAgent.clientID });
    } catch (err) {
      setProblems([errorMessage(err)]);
    } finally {
      setBusy(false);
    }
  }

  const scopeChoices = catalog.data?.scopeCatalog ?? [];
  return (
    <form className="card application-form" onSubmit={handleSubmit} aria-labelledby={titleId} noValidate>
      <h2 id={titleId}>Register an agent</h2>
      <div className="form-grid">
        <Field
          ref={nameRef}
          id={id('name')}
          label="Name"
          name="name"
          required
          autoComplete="off"
          maxLength={200}
          hint="People see it when the agent asks to act for them."
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <Field
          id={id('role')}
          label="Role (optional)"
          name="role"
          autoComplete="off"
          maxLength={500}
          hint="What it does, in a few words."
          value={role}
          onChange={(e) => setRole(e.target.value)}
        />
        <Field
          id={id('sponsor')}
          label="Sponsor email"
          name="sponsorEmail"
          type="email"
          required
          autoComplete="off"
          spellCheck={false}
          hint="The member accountable for the agent; they may suspend or revoke it."
          value={sponsor}
          onChange={(e) => setSponsor(e.target.value)}
        />
        <Field
          id={id('tools')}
          label="Tools (optional)"
          name="tools"
          autoComplete="off"
          spellCheck={false}
          hint="Comma-separated, e.g. search, calendar.read. Its subagents may use only these."
          value={tools}
          onChange={(e) => setTools(e.target.value)}
        />
      </div>

      <fieldset className="checks" aria-describedby={id('ceiling-hint')}>
        <legend>Scope ceiling</legend>
        <p className="muted form-note" id={id('ceiling-hint')}>
          The most the agent may ever be given; a person delegates at most these.
        </p>
        {catalog.error && <Alert>{`The scope catalog could not be read: ${catalog.error}`}</Alert>}
        {!catalog.data && !catalog.error && <p className="muted">Loading scopes…</p>}
        {scopeChoices.map((scope) => (
          <Check
            key={scope.name}
            id={id(`scope-${scope.name}`)}
            label={scope.name}
            code
            hint={scope.description}
            checked={scopes.includes(scope.name)}
            onChange={(on) => setScopes((list) => toggle(list, scope.name, on))}
          />
        ))}
      </fieldset>

      <div className="form-grid">
        <TextAreaField
          id={id('jwks')}
          label="Public JWK set"
          name="jwks"
          rows={6}
          required
          spellCheck={false}
          className="code-input"
          hint={
            <>
              A JSON {'{"keys": [...]}'} of the agent’s public keys. The agent keeps its private key: the server never sees
              it, and stores only these public keys to check the agent’s signatures.
            </>
          }
          value={jwks}
          onChange={(e) => setJwks(e.target.value)}
        />
        <TextAreaField
          id={id('redirect')}
          label="Redirect URIs (optional)"
          name="redirectUris"
          rows={3}
          spellCheck={false}
          hint="One per line: where a person returns after letting the agent act for them in the browser."
          value={redirectUris}
          onChange={(e) => setRedirectUris(e.target.value)}
        />
      </div>

      <Problems problems={problems} />
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Registering…' : 'Register agent'}
        </button>
        <button type="button" className="secondary" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}
