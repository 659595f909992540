import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { errorMessage, useApi, useQuery } from '../api/hooks';
import { Check, toggle } from '../components/Check';
import { DateTime } from '../components/DateTime';
import { Alert, Status } from '../components/Feedback';
import { Field } from '../components/Field';
import { SecretOnce } from '../components/SecretOnce';
import { graphql } from '../gql';
import type { WebhookDeliveriesQuery, WebhooksQuery } from '../gql/graphql';
import { canAdminister, useViewer } from '../workspace/viewer';

export const WebhooksQueryDocument = graphql(`
  query Webhooks {
    webhooks {
      id
      url
      description
      events
      disabled
      createdAt
    }
  }
`);

export const WebhookDeliveriesQueryDocument = graphql(`
  query WebhookDeliveries($webhookID: ID, $approvalID: String, $first: Int) {
    webhookDeliveries(webhookID: $webhookID, approvalID: $approvalID, first: $first) {
      id
      kind
      event
      webhookID
      url
      approvalID
      status
      attempts
      nextAttemptAt
      lastStatus
      lastError
      deliveredAt
      createdAt
    }
  }
`);

export const CreateWebhookMutation = graphql(`
  mutation CreateWebhook($input: CreateWebhookInput!) {
    createWebhook(input: $input) {
      secret
      webhook {
        id
        url
      }
    }
  }
`);

export const SetWebhookDisabledMutation = graphql(`
  mutation SetWebhookDisabled($id: ID!, $disabled: Boolean!) {
    setWebhookDisabled(id: $id, disabled: $disabled) {
      id
      disabled
    }
  }
`);

export const DeleteWebhookMutation = graphql(`
  mutation DeleteWebhook($id: ID!) {
    deleteWebhook(id: $id)
  }
`);

type Webhook = WebhooksQuery['webhooks'][number];
type Delivery = WebhookDeliveriesQuery['webhookDeliveries'][number];

/** The events a webhook may subscribe to. */
export const webhookEvents = [
  { value: 'approval.requested', hint: 'An agent asks for a person’s approval.' },
  { value: 'approval.approved', hint: 'A person approved a request.' },
  { value: 'approval.denied', hint: 'A person denied a request.' },
];

const logSize = 100;

/**
 * /w/:slug/webhooks: the endpoints told about approval requests and
 * decisions, each delivery signed with the webhook's secret (shown once),
 * and the delivery log, with CIBA pings to agents. Admins only.
 */
export function WebhooksPage() {
  const viewer = useViewer();
  if (!canAdminister(viewer)) {
    return (
      <section className="page" aria-labelledby="webhooks-title">
        <h1 id="webhooks-title">Webhooks</h1>
        <p className="muted">Only admins and owners can manage webhooks.</p>
      </section>
    );
  }
  return <Webhooks />;
}

interface NewWebhook {
  url: string;
  secret: string;
}

function Webhooks() {
  const hooks = useQuery(WebhooksQueryDocument, {});
  const [filter, setFilter] = useState<{ webhookID: string | null; approvalID: string | null }>({
    webhookID: null,
    approvalID: null,
  });
  const deliveries = useQuery(WebhookDeliveriesQueryDocument, { ...filter, first: logSize });
  const [created, setCreated] = useState<NewWebhook>();
  const [notice, setNotice] = useState('');
  const list = hooks.data?.webhooks ?? [];

  async function changed(message: string) {
    setNotice(message);
    await Promise.all([hooks.refetch(), deliveries.refetch()]);
  }

  return (
    <section className="page" aria-labelledby="webhooks-title">
      <h1 id="webhooks-title">Webhooks</h1>
      <p className="muted">
        Mandate posts approval requests and decisions to these endpoints. Each delivery carries a{' '}
        <code>Mandate-Signature: t=…,v1=…</code> header: an HMAC-SHA256 with the webhook’s secret over the timestamp, a
        dot and the body. A failed delivery is retried after 30 s, 2 min, 10 min, 1 h and 6 h.
      </p>
      {created ? (
        <SecretOnce
          title="Webhook created"
          label="Webhook signing secret"
          secret={created.secret}
          risk="Your receiver checks every delivery’s signature with it; anyone holding it can forge events."
          onDone={() => setCreated(undefined)}
        >
          <p>
            Deliveries go to <code>{created.url}</code>.
          </p>
        </SecretOnce>
      ) : (
        <CreateWebhookForm
          onCreated={async (hook) => {
            setCreated(hook);
            await changed('');
          }}
        />
      )}
      <Status>{notice}</Status>
      <Alert>{hooks.error}</Alert>
      <div className="table-wrap">
        <table>
          <caption>
            {hooks.loading && !hooks.data ? 'Loading webhooks…' : `${list.length} ${list.length === 1 ? 'webhook' : 'webhooks'}`}
          </caption>
          <thead>
            <tr>
              <th scope="col">Endpoint</th>
              <th scope="col">Events</th>
              <th scope="col">State</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.map((hook) => (
              <WebhookRow
                key={hook.id}
                hook={hook}
                onShowLog={() => setFilter({ webhookID: hook.id, approvalID: null })}
                onChanged={changed}
              />
            ))}
          </tbody>
        </table>
      </div>

      <DeliveryLog
        hooks={list}
        filter={filter}
        onFilter={setFilter}
        deliveries={deliveries.data?.webhookDeliveries ?? []}
        loading={deliveries.loading}
        error={deliveries.error}
        onRefresh={() => void deliveries.refetch()}
      />
    </section>
  );
}

function CreateWebhookForm({ onCreated }: { onCreated: (hook: NewWebhook) => Promise<void> }) {
  const run = useApi();
  const uid = useId();
  const id = (name: string) => `${uid}-${name}`;
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    setBusy(true);
    try {
      const { createWebhook } = await run(CreateWebhookMutation, {
        input: { url: url.trim(), description: description.trim(), events },
      });
      setUrl('');
      setDescription('');
      setEvents([]);
      await onCreated({ url: createWebhook.webhook.url, secret: createWebhook.secret });
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card form-row" onSubmit={handleSubmit} aria-labelledby={id('title')}>
      <h2 id={id('title')}>Add a webhook</h2>
      <Field
        id={id('url')}
        label="Endpoint URL"
        name="url"
        type="url"
        required
        autoComplete="off"
        spellCheck={false}
        placeholder="https://hooks.example.com/mandate"
        hint="https:// (plain http:// only to this machine)."
        value={url}
        onChange={(e) => setUrl(e.target.value)}
      />
      <Field
        id={id('description')}
        label="Description (optional)"
        name="description"
        autoComplete="off"
        maxLength={200}
        value={description}
        onChange={(e) => setDescription(e.target.value)}
      />
      <fieldset className="checks" aria-describedby={id('events-hint')}>
        <legend>Events</legend>
        <p className="muted form-note" id={id('events-hint')}>
          None checked: every event, including those added later.
        </p>
        {webhookEvents.map((ev) => (
          <Check
            key={ev.value}
            id={id(`event-${ev.value}`)}
            label={ev.value}
            code
            hint={ev.hint}
            checked={events.includes(ev.value)}
            onChange={(on) => setEvents((list) => toggle(list, ev.value, on))}
          />
        ))}
      </fieldset>
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Adding…' : 'Add webhook'}
        </button>
      </div>
      <Alert>{error}</Alert>
    </form>
  );
}

function WebhookRow({
  hook,
  onShowLog,
  onChanged,
}: {
  hook: Webhook;
  onShowLog: () => void;
  onChanged: (message: string) => Promise<void>;
}) {
  const run = useApi();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

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
    <tr className={hook.disabled ? 'disabled' : undefined}>
      <td>
        <code>{hook.url}</code>
        {hook.description && <div className="muted">{hook.description}</div>}
      </td>
      <td>{hook.events.length === 0 ? 'All events' : hook.events.join(', ')}</td>
      <td>
        <span className="badge">{hook.disabled ? 'Disabled' : 'Enabled'}</span>
      </td>
      <td>
        <DateTime value={hook.createdAt} />
      </td>
      <td className="row-actions">
        {confirming ? (
          <div className="inline confirm" role="group" aria-label={`Confirm deleting ${hook.url}`}>
            <span>Delete this webhook? Its pending deliveries fail.</span>
            <button
              ref={confirmRef}
              type="button"
              className="danger"
              disabled={busy}
              onClick={() => void act(() => run(DeleteWebhookMutation, { id: hook.id }), `Deleted the webhook to ${hook.url}.`)}
            >
              Confirm delete
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)} disabled={busy}>
              Cancel
            </button>
          </div>
        ) : (
          <div className="inline">
            <button type="button" className="secondary" aria-label={`Deliveries to ${hook.url}`} onClick={onShowLog}>
              Deliveries
            </button>
            <button
              type="button"
              className="secondary"
              aria-label={`${hook.disabled ? 'Enable' : 'Disable'} ${hook.url}`}
              disabled={busy}
              onClick={() =>
                void act(
                  () => run(SetWebhookDisabledMutation, { id: hook.id, disabled: !hook.disabled }),
                  `${hook.disabled ? 'Enabled' : 'Disabled'} the webhook to ${hook.url}.`,
                )
              }
            >
              {hook.disabled ? 'Enable' : 'Disable'}
            </button>
            <button type="button" className="secondary" aria-label={`Delete ${hook.url}`} onClick={() => setConfirming(true)}>
              Delete
            </button>
          </div>
        )}
        <Alert>{error}</Alert>
      </td>
    </tr>
  );
}

function DeliveryLog({
  hooks,
  filter,
  onFilter,
  deliveries,
  loading,
  error,
  onRefresh,
}: {
  hooks: Webhook[];
  filter: { webhookID: string | null; approvalID: string | null };
  onFilter: (filter: { webhookID: string | null; approvalID: string | null }) => void;
  deliveries: Delivery[];
  loading: boolean;
  error: string | undefined;
  onRefresh: () => void;
}) {
  const uid = useId();
  const [approval, setApproval] = useState(filter.approvalID ?? '');
  useEffect(() => setApproval(filter.approvalID ?? ''), [filter.approvalID]);
  const urlOf = new Map(hooks.map((h) => [h.id, h.url]));

  function applyApproval(event: FormEvent) {
    event.preventDefault();
    onFilter({ ...filter, approvalID: approval.trim() || null });
  }

  return (
    <section aria-labelledby={`${uid}-log`}>
      <div className="page-head">
        <h2 id={`${uid}-log`}>Delivery log</h2>
        <button type="button" className="secondary" onClick={onRefresh} disabled={loading}>
          {loading ? 'Loading…' : 'Refresh'}
        </button>
      </div>
      <form className="form-row" onSubmit={applyApproval} aria-label="Filter the delivery log">
        <div className="field">
          <label htmlFor={`${uid}-webhook`}>Webhook</label>
          <select
            id={`${uid}-webhook`}
            value={filter.webhookID ?? ''}
            onChange={(e) => onFilter({ ...filter, webhookID: e.target.value || null })}
          >
            <option value="">All (with pings to agents)</option>
            {hooks.map((h) => (
              <option key={h.id} value={h.id}>
                {h.url}
              </option>
            ))}
          </select>
        </div>
        <Field
          id={`${uid}-approval`}
          label="Approval id"
          name="approvalID"
          autoComplete="off"
          spellCheck={false}
          placeholder="apr_…"
          value={approval}
          onChange={(e) => setApproval(e.target.value)}
        />
        <div className="actions">
          <button type="submit" className="secondary">
            Filter
          </button>
        </div>
      </form>
      <Alert>{error}</Alert>
      <div className="table-wrap">
        <table>
          <caption>
            {loading && deliveries.length === 0
              ? 'Loading deliveries…'
              : `${deliveries.length} ${deliveries.length === 1 ? 'delivery' : 'deliveries'}, newest first`}
          </caption>
          <thead>
            <tr>
              <th scope="col">Created</th>
              <th scope="col">Event</th>
              <th scope="col">To</th>
              <th scope="col">Approval</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last answer</th>
              <th scope="col">Next attempt / delivered</th>
            </tr>
          </thead>
          <tbody>
            {deliveries.map((d) => (
              <tr key={d.id}>
                <td>
                  <DateTime value={d.createdAt} seconds />
                </td>
                <td>
                  <code>{d.event}</code>
                  {d.kind === 'ping' && <span className="badge">CIBA ping</span>}
                </td>
                <td>
                  <code>{(d.webhookID && urlOf.get(d.webhookID)) || d.url}</code>
                </td>
                <td>{d.approvalID ? <code>{d.approvalID}</code> : '—'}</td>
                <td>
                  <span className={d.status === 'failed' ? 'badge status-badge' : 'badge'}>{d.status}</span>
                </td>
                <td>{d.attempts}</td>
                <td>
                  {d.lastStatus > 0 && <span>HTTP {d.lastStatus}</span>}
                  {d.lastError && <div className="muted">{d.lastError}</div>}
                  {d.lastStatus === 0 && !d.lastError && '—'}
                </td>
                <td>
                  {d.status === 'delivered' ? (
                    <DateTime value={d.deliveredAt} seconds />
                  ) : d.status === 'pending' ? (
                    <DateTime value={d.nextAttemptAt} seconds />
                  ) : (
                    'Gave up'
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
