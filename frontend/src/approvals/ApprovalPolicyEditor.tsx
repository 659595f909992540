import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { errorMessage, useApi, useQuery } from '../api/hooks';
import { Field, TextAreaField } from '../components/Field';
import { Alert, Problems, Status } from '../components/Feedback';
import { ApprovalPoliciesQueryDocument, UpdateApprovalPoliciesMutation, type ApprovalPolicies } from './api';
import './approvals.css';

/** What the server accepts as a type name (tenants/settings). */
const typeName = /^[a-zA-Z][a-zA-Z0-9_.:/-]{0,99}$/;
const maxDescription = 300;
const maxSchema = 16 << 10;
const maxWait = 24 * 60;
const defaultWait = 10;

export interface RuleState {
  required: boolean;
  /** "" for the person the agent acts for; member, admin or owner. */
  approverRole: string;
  /** Minutes as typed; "" for the default. */
  waitMinutes: string;
}

export interface TypeRow extends RuleState {
  key: number;
  type: string;
  description: string;
  schema: string;
}

/** A problem with one place of the form: a scope ("scope:NAME"), a type row ("type:KEY") or the form (""). */
export interface Problem {
  where: string;
  message: string;
}

const noRule: RuleState = { required: false, approverRole: '', waitMinutes: '' };

const newSchema = `{
  "type": "object",
  "properties": {
  },
  "required": []
}`;

function ruleState(rule: { approverRole: string; waitMinutes: number } | null | undefined): RuleState {
  if (!rule) return noRule;
  return { required: true, approverRole: rule.approverRole, waitMinutes: rule.waitMinutes ? String(rule.waitMinutes) : '' };
}

function ruleInput(rule: RuleState): { approverRole: string; waitMinutes: number | null } {
  const wait = rule.waitMinutes.trim();
  return { approverRole: rule.approverRole, waitMinutes: wait ? Number(wait) : null };
}

function waitProblem(rule: RuleState): string | undefined {
  if (!rule.required) return undefined;
  const wait = rule.waitMinutes.trim();
  if (!wait) return undefined;
  const n = Number(wait);
  if (!Number.isInteger(n) || n < 1 || n > maxWait) return `the wait must be a whole number of minutes from 1 to ${maxWait}`;
  return undefined;
}

/** A schema's problem, if any: it must be JSON, and a JSON Schema is an object (or true/false). */
export function schemaProblem(schema: string): string | undefined {
  const text = schema.trim();
  if (!text) return 'a JSON Schema of its fields is required';
  if (new TextEncoder().encode(text).length > maxSchema) return 'the schema is longer than 16 KiB';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return `the schema is not valid JSON (${err instanceof Error ? err.message : 'parse error'})`;
  }
  if (typeof parsed !== 'boolean' && (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))) {
    return 'a JSON Schema is an object, such as {"type": "object", …}';
  }
  return undefined;
}

/** Everything wrong with the form, at once; empty when it can be saved. */
export function policyProblems(scopes: Record<string, RuleState>, types: TypeRow[]): Problem[] {
  const problems: Problem[] = [];
  for (const [name, rule] of Object.entries(scopes)) {
    const wait = waitProblem(rule);
    if (wait) problems.push({ where: `scope:${name}`, message: `Scope “${name}”: ${wait}.` });
  }
  const seen = new Set<string>();
  types.forEach((row, i) => {
    const name = row.type.trim();
    const which = name ? `Type “${name}”` : `Type ${i + 1}`;
    const where = `type:${row.key}`;
    if (!name) problems.push({ where, message: `Type ${i + 1} has no name.` });
    else if (!typeName.test(name))
      problems.push({ where, message: `${which}: a name starts with a letter, then letters, digits or _ . : / - (at most 100).` });
    else if (seen.has(name)) problems.push({ where, message: `${which} is listed twice.` });
    seen.add(name);
    if (row.description.trim().length > maxDescription)
      problems.push({ where, message: `${which}: the description is longer than ${maxDescription} characters.` });
    const schema = schemaProblem(row.schema);
    if (schema) problems.push({ where, message: `${which}: ${schema}.` });
    const wait = waitProblem(row);
    if (wait) problems.push({ where, message: `${which}: ${wait}.` });
  });
  return problems;
}

/**
 * The server's refusal, one problem per cause, each placed at the scope or
 * type it names ("invalid settings: detail type "refund": the schema does
 * not compile: …; scope "x": …").
 */
export function serverProblems(message: string, types: TypeRow[]): Problem[] {
  const text = message.replace(/^invalid settings:\s*/, '');
  return text
    .split('; ')
    .map((part) => {
      const type = /^detail type "([^"]*)"/.exec(part);
      if (type) {
        const row = types.find((r) => r.type.trim() === type[1]);
        return { where: row ? `type:${row.key}` : '', message: part };
      }
      const scope = /^scope "([^"]*)"/.exec(part);
      if (scope) return { where: `scope:${scope[1]}`, message: part };
      return { where: '', message: part };
    });
}

function RuleFields({
  rule,
  onChange,
  label,
  disabled,
}: {
  rule: RuleState;
  onChange: (rule: RuleState) => void;
  /** What the rule is for, in the controls' names ("refunds:execute"). */
  label: string;
  disabled?: boolean;
}) {
  const roleId = useId();
  return (
    <div className="policy-rule">
      <label className="check">
        <input
          type="checkbox"
          aria-label={`Needs approval: ${label}`}
          checked={rule.required}
          disabled={disabled}
          onChange={(e) => onChange({ ...rule, required: e.target.checked })}
        />
        <span>Needs approval</span>
      </label>
      {rule.required && (
        <>
          <div className="field">
            <label htmlFor={roleId}>Who approves</label>
            <select
              id={roleId}
              aria-label={`Who approves ${label}`}
              value={rule.approverRole}
              disabled={disabled}
              onChange={(e) => onChange({ ...rule, approverRole: e.target.value })}
            >
              <option value="">The person the agent acts for</option>
              <option value="member">Any member</option>
              <option value="admin">Any admin or owner</option>
              <option value="owner">An owner</option>
            </select>
          </div>
          <Field
            label={`Wait (minutes)`}
            aria-label={`Wait in minutes for ${label}`}
            type="number"
            inputMode="numeric"
            min={1}
            max={maxWait}
            placeholder={String(defaultWait)}
            value={rule.waitMinutes}
            disabled={disabled}
            onChange={(e) => onChange({ ...rule, waitMinutes: e.target.value })}
          />
        </>
      )}
    </div>
  );
}

function InlineProblems({ problems, where }: { problems: Problem[]; where: string }) {
  const mine = problems.filter((p) => p.where === where);
  if (!mine.length) return null;
  return (
    <ul className="field-error">
      {mine.map((p) => (
        <li key={p.message}>{p.message}</li>
      ))}
    </ul>
  );
}

/**
 * Admins' editor of the approval policies: which catalog scopes and which
 * authorization_details types need a person's approval, who approves and
 * how long a request waits; and the types themselves, each with the JSON
 * Schema of its fields.
 */
export function ApprovalPolicyEditor({ scopeNames }: { scopeNames: string[] }) {
  const policies = useQuery(ApprovalPoliciesQueryDocument, {});

  // The catalog changed above: read the policies again (a scope removed from
  // the catalog needs approval no more).
  const namesKey = scopeNames.join(' ');
  const firstNames = useRef(namesKey);
  const refetch = policies.refetch;
  useEffect(() => {
    if (namesKey === firstNames.current) return;
    firstNames.current = namesKey;
    void refetch();
  }, [namesKey, refetch]);

  if (policies.error && !policies.data) return <Alert>{policies.error}</Alert>;
  if (!policies.data) return <p className="muted">Loading approval policies…</p>;
  // Read again from the server: the form starts again from what it says.
  return (
    <PolicyForm
      key={JSON.stringify(policies.data.approvalPolicies)}
      initial={policies.data.approvalPolicies}
      scopeNames={scopeNames}
    />
  );
}

function scopeRules(p: ApprovalPolicies): Record<string, RuleState> {
  return Object.fromEntries(p.scopes.map((s) => [s.scope, ruleState(s.rule)]));
}

function typeRows(p: ApprovalPolicies): TypeRow[] {
  return p.detailTypes.map((d, i) => ({
    key: i,
    type: d.type,
    description: d.description,
    schema: prettySchema(d.schema),
    ...ruleState(d.approval),
  }));
}

function PolicyForm({ initial, scopeNames }: { initial: ApprovalPolicies; scopeNames: string[] }) {
  const run = useApi();
  const [scopes, setScopes] = useState<Record<string, RuleState>>(() => scopeRules(initial));
  const [types, setTypes] = useState<TypeRow[]>(() => typeRows(initial));
  const [problems, setProblems] = useState<Problem[]>([]);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState('');
  const nextKey = useRef(initial.detailTypes.length);
  const focusKey = useRef<number | null>(null);
  const typeInputs = useRef(new Map<number, HTMLInputElement>());
  const addRef = useRef<HTMLButtonElement>(null);

  function load(p: ApprovalPolicies) {
    setScopes(scopeRules(p));
    nextKey.current = p.detailTypes.length;
    setTypes(typeRows(p));
  }

  useEffect(() => {
    if (focusKey.current === null) return;
    typeInputs.current.get(focusKey.current)?.focus();
    focusKey.current = null;
  }, [types]);

  function changeScope(name: string, rule: RuleState) {
    setSaved('');
    setScopes((previous) => ({ ...previous, [name]: rule }));
  }

  function changeType(key: number, change: Partial<TypeRow>) {
    setSaved('');
    setTypes((previous) => previous.map((row) => (row.key === key ? { ...row, ...change } : row)));
  }

  function addType() {
    const key = nextKey.current++;
    focusKey.current = key;
    setSaved('');
    setTypes((previous) => [...previous, { key, type: '', description: '', schema: newSchema, ...noRule }]);
  }

  function removeType(key: number) {
    setSaved('');
    setTypes((previous) => previous.filter((row) => row.key !== key));
    addRef.current?.focus();
  }

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setSaved('');
    const shownScopes = Object.fromEntries(scopeNames.map((name) => [name, scopes[name] ?? noRule]));
    const found = policyProblems(shownScopes, types);
    setProblems(found);
    if (found.length) return;
    setBusy(true);
    try {
      const { updateApprovalPolicies } = await run(UpdateApprovalPoliciesMutation, {
        scopes: scopeNames
          .filter((name) => shownScopes[name]!.required)
          .map((name) => ({ scope: name, rule: ruleInput(shownScopes[name]!) })),
        detailTypes: types.map((row) => ({
          type: row.type.trim(),
          description: row.description.trim(),
          schema: row.schema.trim(),
          approval: row.required ? ruleInput(row) : null,
        })),
      });
      load(updateApprovalPolicies);
      setSaved('Approval policies saved.');
    } catch (err) {
      setProblems(serverProblems(errorMessage(err), types));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card approval-policies" onSubmit={handleSubmit} aria-labelledby="approval-policies-title" noValidate>
      <h2 id="approval-policies-title">Approval policies</h2>
      <p className="muted form-note">
        No token carries a scope or an authorization_details type marked here until a person approves that exact
        request (agents ask through CIBA; approvers decide in Approvals, confirming with a passkey or an
        authenticator app). A request waits {defaultWait} minutes unless you say otherwise.
      </p>
      <h3>Scopes</h3>
      {scopeNames.length === 0 ? (
        <p className="muted">The workspace has no scopes of its own yet: add them to the catalog first.</p>
      ) : (
        <div className="table-wrap">
          <table className="edit-table">
            <thead>
              <tr>
                <th scope="col">Scope</th>
                <th scope="col">Approval</th>
              </tr>
            </thead>
            <tbody>
              {scopeNames.map((name) => (
                <tr key={name}>
                  <td>
                    <code>{name}</code>
                  </td>
                  <td className="wide-cell">
                    <RuleFields
                      label={name}
                      rule={scopes[name] ?? noRule}
                      disabled={busy}
                      onChange={(rule) => changeScope(name, rule)}
                    />
                    <InlineProblems problems={problems} where={`scope:${name}`} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3>Authorization details types</h3>
      <p className="muted form-note">
        The RFC 9396 <code>authorization_details</code> objects agents may send, such as a <code>refund</code> with
        its invoice, amount and currency. Each object must satisfy its type's JSON Schema; approvers see every field.
      </p>
      {types.length === 0 && <p className="muted">No types yet: agents may not send authorization_details.</p>}
      {types.map((row, i) => {
        const name = row.type.trim();
        const invalid = problems.some((p) => p.where === `type:${row.key}`);
        return (
          <fieldset key={row.key} className="detail-type-editor" aria-invalid={invalid || undefined}>
            <legend>{`Detail type ${i + 1}${name ? `: ${name}` : ''}`}</legend>
            <Field
              ref={(el) => {
                if (el) typeInputs.current.set(row.key, el);
                else typeInputs.current.delete(row.key);
              }}
              label="Type"
              autoComplete="off"
              spellCheck={false}
              required
              value={row.type}
              disabled={busy}
              onChange={(e) => changeType(row.key, { type: e.target.value })}
            />
            <Field
              label="Description"
              autoComplete="off"
              maxLength={maxDescription}
              value={row.description}
              disabled={busy}
              onChange={(e) => changeType(row.key, { description: e.target.value })}
            />
            <TextAreaField
              label="JSON Schema of its fields"
              hint="A self-contained JSON Schema (draft 2020-12 unless it says otherwise); remote references are not followed."
              spellCheck={false}
              rows={8}
              value={row.schema}
              disabled={busy}
              onChange={(e) => changeType(row.key, { schema: e.target.value })}
            />
            <RuleFields
              label={name || `type ${i + 1}`}
              rule={row}
              disabled={busy}
              onChange={(rule) => changeType(row.key, rule)}
            />
            <InlineProblems problems={problems} where={`type:${row.key}`} />
            <button
              type="button"
              className="secondary"
              aria-label={`Remove type ${name || i + 1}`}
              onClick={() => removeType(row.key)}
              disabled={busy}
            >
              Remove
            </button>
          </fieldset>
        );
      })}
      <Problems problems={problems.map((p) => p.message)} />
      <div className="actions">
        <button ref={addRef} type="button" className="secondary" onClick={addType} disabled={busy}>
          Add a type
        </button>
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Save approval policies'}
        </button>
        <Status>{saved}</Status>
      </div>
    </form>
  );
}

/** The schema as the server keeps it, indented for editing. */
function prettySchema(schema: string): string {
  try {
    return JSON.stringify(JSON.parse(schema), null, 2);
  } catch {
    return schema;
  }
}
