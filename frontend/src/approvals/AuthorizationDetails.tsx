import { useId } from 'react';
import { parseDetails, prettyDetails } from './details';

/**
 * The exact authorization_details of a request, object by object and field
 * by field, as text (never HTML), with the whole JSON one click away.
 */
export function AuthorizationDetails({ text }: { text: string }) {
  const parsed = parseDetails(text);
  const headingId = useId();
  return (
    <section className="approval-details" aria-labelledby={headingId}>
      <h4 id={headingId}>Exactly what it asks to do</h4>
      {parsed.ok ? (
        parsed.details.length === 0 ? (
          <p className="muted">No details (an empty list).</p>
        ) : (
          <ol className="detail-list">
            {parsed.details.map((detail, i) => (
              <li key={i} className="detail-item">
                <p className="detail-type">
                  <span className="muted">Type</span> <code>{detail.type || '(none)'}</code>
                </p>
                {detail.fields.length === 0 ? (
                  <p className="muted">No fields.</p>
                ) : (
                  <dl className="detail-fields" aria-label={`${detail.type || 'Detail'} ${i + 1}`}>
                    {detail.fields.map((field, j) => (
                      <div key={j}>
                        <dt>
                          <code>{field.key}</code>
                        </dt>
                        <dd>{field.structured ? <pre>{field.value}</pre> : <code>{field.value}</code>}</dd>
                      </div>
                    ))}
                  </dl>
                )}
              </li>
            ))}
          </ol>
        )
      ) : (
        <>
          <p className="muted">Not a list of objects; as it was sent:</p>
          <pre>{prettyDetails(parsed.raw)}</pre>
        </>
      )}
      <details>
        <summary>As JSON</summary>
        <pre>{prettyDetails(text)}</pre>
      </details>
    </section>
  );
}
