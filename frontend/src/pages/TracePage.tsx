import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useQuery } from '../api/hooks';
import { count } from '../agents/api';
import { AgentTraceQueryDocument, runCount, type TraceNode } from '../agents/trace';
import { TraceTree } from '../agents/TraceTree';
import { Field } from '../components/Field';
import { Alert } from '../components/Feedback';
import { canAdminister, useViewer } from '../workspace/viewer';

/**
 * /w/:slug/trace?run=…: one run and the runs its agents started below it,
 * each with its agent, the scope its tokens carried, whether a person
 * approved, and what it did. Admins only, as the server decides.
 */
export function TracePage() {
  const viewer = useViewer();
  const base = `/w/${encodeURIComponent(viewer.tenant.slug)}`;
  const [params, setParams] = useSearchParams();
  const run = params.get('run')?.trim() ?? '';
  const [draft, setDraft] = useState(run);
  // Tracing the same run again asks the server again.
  const [attempt, setAttempt] = useState(0);
  const inputRef = useRef<HTMLInputElement>(null);

  // A link to another run changes the address, not the field.
  useEffect(() => setDraft(run), [run]);

  function handleSubmit(event: FormEvent) {
    event.preventDefault();
    const next = draft.trim();
    if (!next) {
      inputRef.current?.focus();
      return;
    }
    if (next === run) setAttempt((n) => n + 1);
    else setParams({ run: next });
  }

  return (
    <section className="page" aria-labelledby="trace-title">
      <p>
        <Link to={`${base}/agents`}>← Agents</Link>
      </p>
      <h1 id="trace-title">Trace a run</h1>
      <p className="muted">
        A run is one task an agent or application works on; it names its run when it exchanges a token, and a subagent’s
        run names the run that started it. The trace shows the runs below a run, the scope each one’s tokens carried,
        whether a person approved, and its actions from the audit log.
      </p>
      {!canAdminister(viewer) ? (
        <p>Only admins can read agent traces.</p>
      ) : (
        <>
          <form className="card form-row" onSubmit={handleSubmit} aria-label="Trace a run">
            <Field
              ref={inputRef}
              id="trace-run"
              label="Run ID"
              name="run"
              autoComplete="off"
              spellCheck={false}
              required
              value={draft}
              onChange={(e) => setDraft(e.target.value)}
            />
            <div className="actions">
              <button type="submit">Trace</button>
            </div>
          </form>
          {run && <TraceResult key={`${run}#${attempt}`} run={run} base={base} />}
        </>
      )}
    </section>
  );
}

function TraceResult({ run, base }: { run: string; base: string }) {
  const trace = useQuery(AgentTraceQueryDocument, { run });
  const root = trace.data?.agentTrace as TraceNode | null | undefined;
  return (
    <section aria-labelledby="trace-result-title">
      <h2 id="trace-result-title" className="visually-hidden">
        Trace of run {run}
      </h2>
      <Alert>{trace.error}</Alert>
      {trace.loading && !trace.data ? (
        <p className="muted">Tracing {run}…</p>
      ) : trace.data && !root ? (
        <p>No run {run} in the recent audit trail.</p>
      ) : (
        root && (
          <>
            <p className="muted">{count(runCount(root), 'run')} in this trace.</p>
            <TraceTree nodes={[root]} label={`Trace of run ${run}`} base={base} level={3} />
          </>
        )
      )}
    </section>
  );
}
