import { describe, expect, it } from 'vitest';
import { agent } from '../test/agents';
import { agentForest, descendantsOf, grantState } from './api';

const names = (nodes: ReturnType<typeof agentForest>): unknown =>
  nodes.map((n) => (n.children.length ? [n.agent.name, names(n.children)] : n.agent.name));

describe('agentForest', () => {
  it('puts each agent under its parent, top-level agents (parent 0 or none) and orphans at the root', () => {
    const forest = agentForest([
      agent({ id: '1', name: 'A', parentID: '0' }),
      agent({ id: '2', name: 'B', parentID: null }),
      agent({ id: '3', name: 'A1', parentID: '1', depth: 1 }),
      agent({ id: '4', name: 'A2', parentID: '1', depth: 1 }),
      agent({ id: '5', name: 'A1a', parentID: '3', depth: 2 }),
      agent({ id: '6', name: 'Orphan', parentID: '99', depth: 1 }),
    ]);
    expect(names(forest)).toEqual([['A', [['A1', ['A1a']], 'A2']], 'B', 'Orphan']);
    expect(descendantsOf(forest[0]!).map((a) => a.name)).toEqual(['A1', 'A1a', 'A2']);
  });
});

describe('grantState', () => {
  const now = Date.parse('2026-11-27T00:00:00Z');
  it.each([
    ['active', '2026-12-01T00:00:00Z', 'active'],
    ['active', '2026-11-26T00:00:00Z', 'expired'],
    ['revoked', '2026-12-01T00:00:00Z', 'revoked'],
  ])('%s until %s is %s', (status, expiresAt, state) => {
    expect(grantState({ status, expiresAt }, now)).toBe(state);
  });
});
