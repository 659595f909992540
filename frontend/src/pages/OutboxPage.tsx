import { useQuery } from '../api/hooks';
import { DateTime } from '../components/DateTime';
import { Alert } from '../components/Feedback';
import { LinkedText } from '../components/LinkedText';
import { graphql } from '../gql';
import { canAdminister, useViewer } from '../workspace/viewer';

export const DevOutboxQuery = graphql(`
  query DevOutbox($first: Int) {
    devOutbox(first: $first) {
      enabled
      messages {
        id
        to
        subject
        text
        createdAt
      }
    }
  }
`);

const page = { first: 50 };

/**
 * /w/:slug/outbox: the emails kept when no SMTP server is configured, so a
 * developer can follow verification and reset links. Admins only. Shown as
 * text (never the HTML part), with its links clickable.
 */
export function OutboxPage() {
  const viewer = useViewer();
  if (!canAdminister(viewer)) {
    return (
      <section className="page" aria-labelledby="outbox-title">
        <h1 id="outbox-title">Dev outbox</h1>
        <p className="muted">Only admins and owners can read the outbox.</p>
      </section>
    );
  }
  return <Outbox />;
}

function Outbox() {
  const { data, error, loading, refetch } = useQuery(DevOutboxQuery, page);
  const outbox = data?.devOutbox;

  return (
    <section className="page" aria-labelledby="outbox-title">
      <div className="page-head">
        <h1 id="outbox-title">Dev outbox</h1>
        <button type="button" className="secondary" onClick={() => void refetch()} disabled={loading}>
          {loading ? 'Loading…' : 'Refresh'}
        </button>
      </div>
      <Alert>{error}</Alert>
      {outbox && !outbox.enabled && (
        <p className="muted">An SMTP server is configured: emails are sent, and none are kept here.</p>
      )}
      {outbox?.enabled && (
        <p className="muted">
          No SMTP server is configured, so the emails this workspace would send are kept here instead (newest first).
        </p>
      )}
      {outbox?.enabled && outbox.messages.length === 0 && <p>No emails yet.</p>}
      <ol className="outbox" aria-label="Emails">
        {outbox?.messages.map((m) => (
          <li key={m.id} className="card">
            <article aria-labelledby={`mail-${m.id}`}>
              <h2 id={`mail-${m.id}`}>{m.subject}</h2>
              <dl className="facts">
                <div>
                  <dt>To</dt>
                  <dd>{m.to}</dd>
                </div>
                <div>
                  <dt>Date</dt>
                  <dd>
                    <DateTime value={m.createdAt} seconds />
                  </dd>
                </div>
              </dl>
              <p className="mail-text">
                <LinkedText text={m.text} />
              </p>
            </article>
          </li>
        ))}
      </ol>
    </section>
  );
}
