// The tree of one run (graph/agents.graphqls agentTrace): the run, the runs
// its agents started below it, and what each did, from the audit trail.
import { graphql } from '../gql';
import type { AgentTraceNodeFieldsFragment } from '../gql/graphql';

export const AgentTraceNodeFields = graphql(`
  fragment AgentTraceNodeFields on AgentTraceNode {
    run
    parentRun
    agent {
      id
      name
      role
      tools
      status
    }
    scope
    approval
    actions {
      id
      occurredAt
      action
      outcome
      actorType
      actorID
      actorLabel
      clientID
      grantID
      runID
    }
  }
`);

/**
 * GraphQL cannot ask for a tree of any depth: the root and four levels of
 * runs below it, and at the fourth only the ids of the runs below that,
 * which the page offers to trace from there.
 */
export const AgentTraceQueryDocument = graphql(`
  query AgentTrace($run: String!) {
    agentTrace(run: $run) {
      ...AgentTraceNodeFields
      children {
        ...AgentTraceNodeFields
        children {
          ...AgentTraceNodeFields
          children {
            ...AgentTraceNodeFields
            children {
              ...AgentTraceNodeFields
              children {
                run
              }
            }
          }
        }
      }
    }
  }
`);

/** A run as the page shows it: its fields, and the runs below it if they were fetched. */
export type TraceNode = AgentTraceNodeFieldsFragment & { children?: ReadonlyArray<TraceNode | { run: string }> };

export type TraceAction = TraceNode['actions'][number];

/** Whether a child came with its fields, or only its run id (beyond the depth fetched). */
export function isFetched(node: TraceNode | { run: string }): node is TraceNode {
  return 'actions' in node;
}

/** The number of runs in the tree, the root included (only those fetched). */
export function runCount(node: TraceNode): number {
  return 1 + (node.children ?? []).filter(isFetched).reduce((n, child) => n + runCount(child), 0);
}

/** The trace page's address for a run. */
export function tracePath(base: string, run: string): string {
  return `${base}/trace?run=${encodeURIComponent(run)}`;
}
