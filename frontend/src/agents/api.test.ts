import { describe, expect, it } from 'vitest';
import { agent } from '../test/agents';
import { agentForest, checkNarrowing, descendantsOf, grantState, isoToLocalInput } from './api';

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

describe('checkNarrowing', () => {
  const now = Date.parse('2026-11-27T00:00:00Z');
  const grant = { scopes: ['invoices:read', 'invoices:write', 'refunds:preview'], expiresAt: '2026-12-01T00:00:00Z' };
  it.each([
    ['fewer scopes', ['refunds:preview', 'invoices:read'], undefined, { scopes: ['invoices:read', 'refunds:preview'] }],
    ['an earlier expiry', grant.scopes, '2026-11-28T00:00:00.000Z', { expiresAt: '2026-11-28T00:00:00.000Z' }],
    ['the same expiry, explicitly', grant.scopes, '2026-12-01T00:00:00.000Z', { expiresAt: '2026-12-01T00:00:00.000Z' }],
    ['both', ['invoices:write'], '2026-11-30T12:00:00.000Z', { scopes: ['invoices:write'], expiresAt: '2026-11-30T12:00:00.000Z' }],
  ])('sends only what changes: %s', (_what, keep, expiresAt, narrowing) => {
    expect(checkNarrowing(grant, keep, expiresAt, now)).toEqual({ problems: [], narrowing });
  });
  it.each([
    ['no scope kept', [], undefined, 'Keep at least one scope. To take them all back, revoke the grant instead.'],
    ['a later expiry', grant.scopes, '2026-12-01T00:01:00.000Z', 'The new expiry cannot be later than the current one: a grant can only be narrowed.'],
    ['an expiry in the past', grant.scopes, '2026-11-26T23:59:00.000Z', 'The new expiry must be in the future. To end the grant now, revoke it.'],
    ['a date that is not one', grant.scopes, 'invalid', 'The new expiry is not a valid date.'],
    ['nothing changed', grant.scopes, undefined, 'Nothing to narrow: untick a scope or pick an earlier expiry.'],
  ])('refuses %s', (_what, keep, expiresAt, problem) => {
    expect(checkNarrowing(grant, keep, expiresAt, now)).toEqual({ problems: [problem] });
  });
  it('reports every problem at once', () => {
    expect(checkNarrowing(grant, [], '2020-01-01T00:00:00Z', now).problems).toHaveLength(2);
  });
});

describe('isoToLocalInput', () => {
  it('is the local time to the minute, as datetime-local reads it back', () => {
    const value = isoToLocalInput('2026-12-01T09:05:59Z');
    expect(value).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
    expect(new Date(value).toISOString()).toBe('2026-12-01T09:05:00.000Z');
    expect(isoToLocalInput('not a date')).toBe('');
  });
});
