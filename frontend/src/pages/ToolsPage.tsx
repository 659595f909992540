import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { errorMessage, useApi, useQuery } from '../api/hooks';
import { Check } from '../components/Check';
import { Alert, Problems, Status } from '../components/Feedback';
import { Field, TextAreaField } from '../components/Field';
import { graphql } from '../gql';
import type { ToolInput, ToolsQuery } from '../gql/graphql';
import { canAdminister, useViewer } from '../workspace/viewer';

export const ToolsQueryDocument = graphql(`
  query Tools {
    tools {
      id
      name
      description
      upstreamURL
      injection
      headerName
      headerTemplate
      queryParam
      credentialSource
      credentialID
      provider
      operations
      redaction
      internal
      timeoutMs
      maxBodyBytes
      disabled
      createdAt
    }
    credentials {
      id
      name
      kind
      revokedAt
    }
  }
`);

export const CreateToolMutation = graphql(`
  mutation CreateTool($input: ToolInput!) {
    createTool(input: $input) {
      id
      name
    }
  }
`);

export const UpdateToolMutation = graphql(`
  mutation UpdateTool($id: ID!, $input: ToolInput!) {
    updateTool(id: $id, input: $input) {
      id
      name
    }
  }
`);

export const SetToolDisabledMutation = graphql(`
  mutation SetToolDisabled($id: ID!, $disabled: Boolean!) {
    setToolDisabled(id: $id, disabled: $disabled) {
      id
      disabled
    }
  }
`);

export const DeleteToolMutation = graphql(`
  mutation DeleteTool($id: ID!) {
    deleteTool(id: $id)
  }
`);

type Tool = ToolsQuery['tools'][number];
type Credential = ToolsQuery['credentials'][number];

/** How a tool injects its credential. */
export const injections = [
  { value: 'header', label: 'A header, from a template' },
  { value: 'bearer', label: 'Authorization: Bearer' },
  { value: 'basic', label: 'Authorization: Basic (a basic credential)' },
  { value: 'query', label: 'A query parameter' },
];

const operationsExample = `[
  {"method": "GET", "path": "/invoices", "scope": "invoices:read"},
  {"method": "POST", "path": "/refunds/*", "scope": "refunds:execute", "approval": true}
]`;

/**
 * The problems of a tool's JSON settings, before the server sees them:
 * operations are a non-empty list of {method, path, scope, approval?};
 * redaction, when given, is an object.
 */
export function jsonProblems(operations: string, redaction: string): string[] {
  const problems: string[] = [];
  try {
    const ops: unknown = JSON.parse(operations);
    if (!Array.isArray(ops) || ops.length === 0) {
      problems.push('Operations must be a JSON list with at least one operation.');
    } else {
      ops.forEach((op: unknown, n) => {
        const o = op as Record<string, unknown> | null;
        if (
          typeof o !== 'object' ||
          o === null ||
          Array.isArray(o) ||
          typeof o.method !== 'string' ||
          typeof o.path !== 'string' ||
          typeof o.scope !== 'string' ||
          ('approval' in o && typeof o.approval !== 'boolean')
        ) {
          problems.push(`Operation ${n + 1} must be {"method", "path", "scope", "approval"?}.`);
        }
      });
    }
  } catch (err) {
    problems.push(`Operations are not valid JSON: ${(err as Error).message}`);
  }
  if (redaction.trim() !== '') {
    try {
      const r: unknown = JSON.parse(redaction);
      if (typeof r !== 'object' || r === null || Array.isArray(r)) {
        problems.push('Redaction must be a JSON object: {"headers": [...], "json_fields": [...]}.');
      }
    } catch (err) {
      problems.push(`Redaction is not valid JSON: ${(err as Error).message}`);
    }
  }
  return problems;
}

/**
 * /w/:slug/tools: the upstream APIs agents call through the gateway at
 * /t/{slug}/gateway/{tool}/…, with a vaulted credential injected. Admins
 * only.
 */
export function ToolsPage() {
  const viewer = useViewer();
  if (!canAdminister(viewer)) {
    return (
      <section className="page" aria-labelledby="tools-title">
        <h1 id="tools-title">Tools</h1>
        <p className="muted">Only admins and owners can manage tools.</p>
      </section>
    );
  }
  return <Tools />;
}

function Tools() {
  const tools = useQuery(ToolsQueryDocument, {});
  const [notice, setNotice] = useState('');
  const [editing, setEditing] = useState<Tool | null>(null);
  const list = tools.data?.tools ?? [];
  const creds = (tools.data?.credentials ?? []).filter((c) => c.revokedAt == null);

  async function changed(message: string) {
    setNotice(message);
    setEditing(null);
    await tools.refetch();
  }

  return (
    <section className="page" aria-labelledby="tools-title">
      <h1 id="tools-title">Tools</h1>
      <p className="muted">
        Upstream APIs agents call through the gateway, at <code>/t/…/gateway/NAME/PATH</code>. The gateway checks the
        agent&rsquo;s token, its tools and the scope of each operation, injects the credential from the vault and removes
        it from every answer. An agent may use the tools its registration names.
      </p>
      <ToolForm
        key={editing?.id ?? 'new'}
        tool={editing}
        credentials={creds}
        onSaved={(name) => changed(editing ? `Saved ${name}.` : `Registered ${name}.`)}
        onCancel={editing ? () => setEditing(null) : undefined}
      />
      <Status>{notice}</Status>
      <Alert>{tools.error}</Alert>
      <div className="table-wrap">
        <table>
          <caption>
            {tools.loading && !tools.data ? 'Loading tools…' : `${list.length} ${list.length === 1 ? 'tool' : 'tools'}`}
          </caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Upstream</th>
              <th scope="col">Credential</th>
              <th scope="col">Operations</th>
              <th scope="col">State</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.map((t) => (
              <ToolRow
                key={t.id}
                tool={t}
                credentials={tools.data?.credentials ?? []}
                onEdit={() => setEditing(t)}
                onChanged={changed}
              />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function ToolForm({
  tool,
  credentials,
  onSaved,
  onCancel,
}: {
  tool: Tool | null;
  credentials: readonly Credential[];
  onSaved: (name: string) => Promise<void>;
  onCancel?: () => void;
}) {
  const run = useApi();
  const uid = useId();
  const id = (name: string) => `${uid}-${name}`;
  const [name, setName] = useState(tool?.name ?? '');
  const [description, setDescription] = useState(tool?.description ?? '');
  const [upstream, setUpstream] = useState(tool?.upstreamURL ?? '');
  const [injection, setInjection] = useState(tool?.injection ?? 'bearer');
  const [headerName, setHeaderName] = useState(tool?.headerName ?? '');
  const [headerTemplate, setHeaderTemplate] = useState(tool?.headerTemplate || '{secret}');
  const [queryParam, setQueryParam] = useState(tool?.queryParam ?? '');
  const [credentialID, setCredentialID] = useState(tool?.credentialID ?? '');
  const [operations, setOperations] = useState(tool ? pretty(tool.operations) : '');
  const [redaction, setRedaction] = useState(tool && tool.redaction !== '{}' ? tool.redaction : '');
  const [internal, setInternal] = useState(tool?.internal ?? false);
  const [timeoutMs, setTimeoutMs] = useState(String(tool?.timeoutMs ?? 10000));
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);
  const [error, setError] = useState<string>();
  const title = tool ? `Edit ${tool.name}` : 'Register a tool';

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    const found = jsonProblems(operations, redaction);
    if (!credentialID) found.push('Choose the credential the tool injects (store one in the Vault first).');
    setProblems(found);
    if (found.length > 0) return;
    const input: ToolInput = {
      name: name.trim(),
      description: description.trim(),
      upstreamURL: upstream.trim(),
      injection,
      headerName: injection === 'header' ? headerName.trim() : '',
      headerTemplate: injection === 'header' ? headerTemplate : '',
      queryParam: injection === 'query' ? queryParam.trim() : '',
      credentialSource: 'workspace',
      credentialID,
      operations,
      redaction: redaction.trim() || '{}',
      internal,
      timeoutMs: Number(timeoutMs) || undefined,
      maxBodyBytes: tool?.maxBodyBytes,
      disabled: tool?.disabled ?? false,
    };
    setBusy(true);
    try {
      if (tool) {
        const { updateTool } = await run(UpdateToolMutation, { id: tool.id, input });
        await onSaved(updateTool.name);
      } else {
        const { createTool } = await run(CreateToolMutation, { input });
        setName('');
        setDescription('');
        setUpstream('');
        setOperations('');
        setRedaction('');
        await onSaved(createTool.name);
      }
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card" onSubmit={handleSubmit} aria-labelledby={id('title')}>
      <h2 id={id('title')}>{title}</h2>
      <Field
        id={id('name')}
        label="Name"
        name="name"
        required
        autoComplete="off"
        maxLength={100}
        hint="As agents' tools name it, and in the gateway's path."
        value={name}
        onChange={(e) => setName(e.target.value)}
      />
      <Field
        id={id('description')}
        label="Description (optional)"
        name="description"
        maxLength={500}
        value={description}
        onChange={(e) => setDescription(e.target.value)}
      />
      <Field
        id={id('upstream')}
        label="Upstream URL"
        name="upstreamURL"
        type="url"
        required
        placeholder="https://api.example.com/v1"
        value={upstream}
        onChange={(e) => setUpstream(e.target.value)}
      />
      <Check
        id={id('internal')}
        label="Internal"
        hint="Allow a private or loopback upstream (and plain http). Otherwise the gateway calls public addresses only."
        checked={internal}
        onChange={setInternal}
      />
      <div className="field">
        <label htmlFor={id('credential')}>Credential</label>
        <select id={id('credential')} value={credentialID} onChange={(e) => setCredentialID(e.target.value)}>
          <option value="">Choose a credential…</option>
          {credentials.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name} ({c.kind})
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={id('injection')}>Injection</label>
        <select id={id('injection')} value={injection} onChange={(e) => setInjection(e.target.value)}>
          {injections.map((i) => (
            <option key={i.value} value={i.value}>
              {i.label}
            </option>
          ))}
        </select>
      </div>
      {injection === 'header' && (
        <>
          <Field
            id={id('header')}
            label="Header name"
            required
            autoComplete="off"
            placeholder="X-Api-Key"
            value={headerName}
            onChange={(e) => setHeaderName(e.target.value)}
          />
          <Field
            id={id('template')}
            label="Header template"
            required
            autoComplete="off"
            hint="{secret} is replaced with the credential, e.g. Token {secret}."
            value={headerTemplate}
            onChange={(e) => setHeaderTemplate(e.target.value)}
          />
        </>
      )}
      {injection === 'query' && (
        <Field
          id={id('query')}
          label="Query parameter"
          required
          autoComplete="off"
          value={queryParam}
          onChange={(e) => setQueryParam(e.target.value)}
        />
      )}
      <TextAreaField
        id={id('operations')}
        label="Operations (JSON)"
        name="operations"
        rows={6}
        required
        spellCheck={false}
        className="code-input"
        placeholder={operationsExample}
        hint="The calls agents may make: method, path pattern (* a segment, a final ** the rest), the scope each needs, and whether it needs a person's approval."
        value={operations}
        onChange={(e) => setOperations(e.target.value)}
      />
      <TextAreaField
        id={id('redaction')}
        label="Redaction (JSON, optional)"
        name="redaction"
        rows={2}
        spellCheck={false}
        className="code-input"
        placeholder='{"headers": ["X-Internal"], "json_fields": ["ssn"]}'
        hint="Response headers and JSON fields removed from answers; the secret itself is always removed."
        value={redaction}
        onChange={(e) => setRedaction(e.target.value)}
      />
      <Field
        id={id('timeout')}
        label="Timeout (ms)"
        name="timeoutMs"
        type="number"
        min={100}
        max={300000}
        value={timeoutMs}
        onChange={(e) => setTimeoutMs(e.target.value)}
      />
      <Problems problems={problems} />
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : tool ? 'Save tool' : 'Register tool'}
        </button>
        {onCancel && (
          <button type="button" className="secondary" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
        )}
      </div>
      <Alert>{error}</Alert>
    </form>
  );
}

function pretty(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}

function operationCount(json: string): number {
  try {
    const ops: unknown = JSON.parse(json);
    return Array.isArray(ops) ? ops.length : 0;
  } catch {
    return 0;
  }
}

function ToolRow({
  tool,
  credentials,
  onEdit,
  onChanged,
}: {
  tool: Tool;
  credentials: readonly Credential[];
  onEdit: () => void;
  onChanged: (message: string) => Promise<void>;
}) {
  const run = useApi();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const focusRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) focusRef.current?.focus();
  }, [confirming]);
  const cred = credentials.find((c) => c.id === tool.credentialID);
  const ops = operationCount(tool.operations);

  async function act(what: () => Promise<unknown>, message: string) {
    setBusy(true);
    setError(undefined);
    try {
      await what();
      setConfirming(false);
      await onChanged(message);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <tr className={tool.disabled ? 'disabled' : undefined}>
      <td>
        {tool.name}
        {tool.description && <div className="muted">{tool.description}</div>}
      </td>
      <td>
        <code>{tool.upstreamURL}</code>
        {tool.internal && <div className="muted">internal</div>}
      </td>
      <td>
        {tool.credentialSource === 'connected'
          ? `Connected account (${tool.provider})`
          : cred
            ? `${cred.name}${cred.revokedAt ? ' (revoked)' : ''}`
            : '—'}
        <div className="muted">{tool.injection}</div>
      </td>
      <td>{`${ops} ${ops === 1 ? 'operation' : 'operations'}`}</td>
      <td>
        <span className="badge">{tool.disabled ? 'Disabled' : 'Enabled'}</span>
      </td>
      <td className="row-actions">
        {confirming ? (
          <div className="inline confirm" role="group" aria-label={`Confirm deleting ${tool.name}`}>
            <span>Delete it? Gateway calls to it stop at once.</span>
            <button
              ref={focusRef}
              type="button"
              className="danger"
              disabled={busy}
              onClick={() => void act(() => run(DeleteToolMutation, { id: tool.id }), `Deleted ${tool.name}.`)}
            >
              Confirm delete
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)} disabled={busy}>
              Cancel
            </button>
          </div>
        ) : (
          <div className="inline">
            <button type="button" className="secondary" aria-label={`Edit ${tool.name}`} onClick={onEdit}>
              Edit
            </button>
            <button
              type="button"
              className="secondary"
              aria-label={`${tool.disabled ? 'Enable' : 'Disable'} ${tool.name}`}
              disabled={busy}
              onClick={() =>
                void act(
                  () => run(SetToolDisabledMutation, { id: tool.id, disabled: !tool.disabled }),
                  `${tool.disabled ? 'Enabled' : 'Disabled'} ${tool.name}.`,
                )
              }
            >
              {tool.disabled ? 'Enable' : 'Disable'}
            </button>
            <button type="button" className="secondary" aria-label={`Delete ${tool.name}`} onClick={() => setConfirming(true)}>
              Delete
            </button>
          </div>
        )}
        <Alert>{error}</Alert>
      </td>
    </tr>
  );
}
