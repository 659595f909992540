import { useEffect, useRef, useState, type FormEvent } from 'react';
import { errorMessage, useApi, useQuery } from '../api/hooks';
import { ApprovalPolicyEditor } from '../approvals/ApprovalPolicyEditor';
import { Alert, Problems, Status } from '../components/Feedback';
import { graphql } from '../gql';
import type { ScopeCatalogQuery } from '../gql/graphql';
import { canAdminister, useViewer } from '../workspace/viewer';

export const ScopeCatalogQueryDocument = graphql(`
  query ScopeCatalog {
    scopeCatalog {
      name
      description
      standard
    }
  }
`);

export const UpdateScopeCatalogMutation = graphql(`
  mutation UpdateScopeCatalog($scopes: [ScopeDefinitionInput!]!) {
    updateScopeCatalog(scopes: $scopes) {
      name
      description
      standard
    }
  }
`);

export type ScopeDefinition = ScopeCatalogQuery['scopeCatalog'][number];

/** What the server accepts as a scope name (tenants/settings). */
const scopeName = /^[a-zA-Z][a-zA-Z0-9_.:/-]{0,99}$/;
const maxDescription = 300;

interface Row {
  /** A key for React that survives renaming. */
  key: number;
  name: string;
  description: string;
}

/** Everything wrong with the rows, at once; empty when they can be saved. */
export function catalogProblems(rows: { name: string; description: string }[], standard: string[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  rows.forEach((row, i) => {
    const name = row.name.trim();
    const which = name ? `“${name}”` : `Scope ${i + 1}`;
    if (!name) problems.push(`Scope ${i + 1} has no name.`);
    else if (!scopeName.test(name))
      problems.push(`${which}: a name starts with a letter, then letters, digits or _ . : / - (at most 100).`);
    else if (standard.includes(name)) problems.push(`${which} is a standard scope: it is always there.`);
    else if (seen.has(name)) problems.push(`${which} is listed twice.`);
    if (row.description.trim().length > maxDescription)
      problems.push(`${which}: the description is longer than ${maxDescription} characters.`);
    seen.add(name);
  });
  return problems;
}

/**
 * /w/:slug/scopes: the scopes apps may ask for. The OpenID Connect scopes
 * are always there; admins edit the workspace's own.
 */
export function ScopesPage() {
  const viewer = useViewer();
  const admin = canAdminister(viewer);
  const catalog = useQuery(ScopeCatalogQueryDocument, {});
  const [scopes, setScopes] = useState<ScopeDefinition[]>();
  useEffect(() => setScopes(catalog.data?.scopeCatalog), [catalog.data]);

  const standard = scopes?.filter((s) => s.standard) ?? [];
  const custom = scopes?.filter((s) => !s.standard) ?? [];

  return (
    <section className="page" aria-labelledby="scopes-title">
      <h1 id="scopes-title">Scopes</h1>
      <p className="muted">
        What applications may ask a person (or the workspace) for. People see the description on the consent page.
      </p>
      <Alert>{catalog.error}</Alert>
      {!scopes && !catalog.error && <p className="muted">Loading scopes…</p>}
      {scopes && (
        <>
          <div className="table-wrap">
            <table>
              <caption>Standard scopes (OpenID Connect): every workspace has them, and they cannot change.</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Description</th>
                </tr>
              </thead>
              <tbody>
                {standard.map((scope) => (
                  <tr key={scope.name}>
                    <td>
                      <code>{scope.name}</code>
                    </td>
                    <td>{scope.description}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {admin ? (
            <CatalogForm
              scopes={custom}
              standard={standard.map((s) => s.name)}
              onSaved={setScopes}
            />
          ) : (
            <CatalogList scopes={custom} />
          )}
          {admin && <ApprovalPolicyEditor scopeNames={custom.map((s) => s.name)} />}
        </>
      )}
    </section>
  );
}

function CatalogList({ scopes }: { scopes: ScopeDefinition[] }) {
  return (
    <>
      <div className="table-wrap">
        <table>
          <caption>
            {scopes.length === 0
              ? 'The workspace defines no scopes of its own.'
              : `The workspace's own scopes: ${scopes.length}`}
          </caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {scopes.map((scope) => (
              <tr key={scope.name}>
                <td>
                  <code>{scope.name}</code>
                </td>
                <td>{scope.description || <span className="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted">Only admins and owners can change these.</p>
    </>
  );
}

function CatalogForm({
  scopes,
  standard,
  onSaved,
}: {
  scopes: ScopeDefinition[];
  standard: string[];
  onSaved: (scopes: ScopeDefinition[]) => void;
}) {
  const run = useApi();
  const nextKey = useRef(scopes.length);
  const [rows, setRows] = useState<Row[]>(() =>
    scopes.map((s, i) => ({ key: i, name: s.name, description: s.description })),
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string[]>([]);
  const [saved, setSaved] = useState('');
  const focusKey = useRef<number | null>(null);
  const nameInputs = useRef(new Map<number, HTMLInputElement>());
  const addRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (focusKey.current === null) return;
    nameInputs.current.get(focusKey.current)?.focus();
    focusKey.current = null;
  }, [rows]);

  function change(key: number, field: 'name' | 'description', value: string) {
    setSaved('');
    setRows((previous) => previous.map((row) => (row.key === key ? { ...row, [field]: value } : row)));
  }

  function add() {
    const key = nextKey.current++;
    focusKey.current = key;
    setSaved('');
    setRows((previous) => [...previous, { key, name: '', description: '' }]);
  }

  function remove(key: number) {
    setSaved('');
    setRows((previous) => previous.filter((row) => row.key !== key));
    addRef.current?.focus();
  }

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setSaved('');
    const problems = catalogProblems(rows, standard);
    setError(problems);
    if (problems.length) return;
    setBusy(true);
    try {
      const { updateScopeCatalog } = await run(UpdateScopeCatalogMutation, {
        scopes: rows.map((row) => ({ name: row.name.trim(), description: row.description.trim() })),
      });
      onSaved(updateScopeCatalog);
      // What the server kept, in its order: the rows start again from it.
      const kept = updateScopeCatalog.filter((s) => !s.standard);
      nextKey.current = kept.length;
      setRows(kept.map((s, i) => ({ key: i, name: s.name, description: s.description })));
      setSaved('Scopes saved.');
    } catch (err) {
      setError([errorMessage(err)]);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card" onSubmit={handleSubmit} aria-labelledby="catalog-title" noValidate>
      <h2 id="catalog-title">The workspace's own scopes</h2>
      <p className="muted form-note">
        Name them after what they allow, such as <code>invoices:read</code>. Removing a scope does not take it from
        apps that were already granted it.
      </p>
      {rows.length === 0 ? (
        <p className="muted">No scopes of its own yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="edit-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Description</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row, i) => (
                <tr key={row.key}>
                  <td>
                    <input
                      ref={(el) => {
                        if (el) nameInputs.current.set(row.key, el);
                        else nameInputs.current.delete(row.key);
                      }}
                      aria-label={`Scope ${i + 1} name`}
                      name="name"
                      required
                      autoComplete="off"
                      spellCheck={false}
                      value={row.name}
                      onChange={(e) => change(row.key, 'name', e.target.value)}
                    />
                  </td>
                  <td className="wide-cell">
                    <input
                      aria-label={`Scope ${i + 1} description`}
                      name="description"
                      autoComplete="off"
                      maxLength={maxDescription}
                      value={row.description}
                      onChange={(e) => change(row.key, 'description', e.target.value)}
                    />
                  </td>
                  <td>
                    <button
                      type="button"
                      className="secondary"
                      aria-label={`Remove scope ${i + 1}${row.name.trim() ? ` (${row.name.trim()})` : ''}`}
                      onClick={() => remove(row.key)}
                      disabled={busy}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Problems problems={error} />
      <div className="actions">
        <button ref={addRef} type="button" className="secondary" onClick={add} disabled={busy}>
          Add a scope
        </button>
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Save scopes'}
        </button>
        <Status>{saved}</Status>
      </div>
    </form>
  );
}
