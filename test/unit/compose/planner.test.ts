/** Unit tests for the `up` planner: keep, recreate, start, scale up and down. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planService, type Observed } from '../../../src/compose/planner.js';

const c = (number: number, over: Partial<Observed> = {}): Observed => ({ id: `id${number}`, name: `p-web-${number}`, service: 'web', number, hash: 'h', image: 'img', running: true, ...over });
const kinds = (actions: ReturnType<typeof planService>) => actions.map((a) => (a.kind === 'create' ? `create ${a.number}` : `${a.kind} ${a.container.number}`));

describe('planService', () => {
  it('creates missing replicas', () => assert.deepEqual(kinds(planService([], { replicas: 2, hash: 'h' })), ['create 1', 'create 2']));
  it('keeps an unchanged running container and starts a stopped one', () => {
    assert.deepEqual(kinds(planService([c(1), c(2, { running: false })], { replicas: 2, hash: 'h', image: 'img' })), ['keep 1', 'start 2']);
  });
  it('recreates on a changed hash or image only', () => {
    assert.deepEqual(kinds(planService([c(1, { hash: 'old' }), c(2, { image: 'other' }), c(3)], { replicas: 3, hash: 'h', image: 'img' })), ['recreate 1', 'recreate 2', 'keep 3']);
  });
  it('recreates everything with --force-recreate, nothing with --no-recreate', () => {
    assert.deepEqual(kinds(planService([c(1)], { replicas: 1, hash: 'h', forceRecreate: true })), ['recreate 1']);
    assert.deepEqual(kinds(planService([c(1, { hash: 'x', running: false })], { replicas: 1, hash: 'h', noRecreate: true })), ['start 1']);
  });
  it('scales down from the highest number and fills gaps when scaling up', () => {
    assert.deepEqual(kinds(planService([c(1), c(2), c(3)], { replicas: 1, hash: 'h' })), ['remove 3', 'remove 2', 'keep 1']);
    assert.deepEqual(kinds(planService([c(2)], { replicas: 3, hash: 'h' })), ['keep 2', 'create 1', 'create 3']);
  });
});

describe('log prefixes', () => {
  it('pads names to the longest and colours them only on a terminal', async () => {
    const { logPrefix } = await import('../../../src/compose/logs.js');
    assert.equal(logPrefix('web-1', 8, 0, false), 'web-1     | ');
    assert.equal(logPrefix('web-1', 5, 1, true), '\x1b[33mweb-1  |\x1b[0m ');
  });
});
