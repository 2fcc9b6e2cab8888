// Application controls: a property that needs one is not run on a stack without it (with the reason), a profile that
// claims one its instance lacks is an adapter error naming it, and vectors carry control calls.
import { describe, expect, it } from 'vitest';
import { ALL_PROPERTIES } from '../../properties/index.js';
import { AdapterError } from '../../src/harness/bounded.js';
import { Harness } from '../../src/harness/harness.js';
import { runProperty } from '../../src/oracle/engine.js';
import { referenceAdapter } from '../../src/stacks/reference/adapter.js';
import { parseVector } from '../../src/trace/vector.js';

const keepAlive = ALL_PROPERTIES.find((p) => p.name === 'keep-alive-enabled')!;

describe('application controls', () => {
  it('a property needing a control the profile does not list is skipped, with the reason', async () => {
    const ref = referenceAdapter();
    const bare = { ...ref, profile: { ...ref.profile, controls: [] } };
    const r = await runProperty(keepAlive, bare, { runs: 2, seed: 1 });
    expect(r.status).toBe('skip');
    expect(r.skipReason).toMatch(/needs the application control keepalive/);
    expect((await runProperty(keepAlive, ref, { runs: 5, seed: 1 })).status).toBe('pass');
  });
  it('a control the instance does not offer is an adapter error naming it', async () => {
    const ref = referenceAdapter();
    const liar = {
      ...ref,
      create: async (o: { addr: string }) => ({ ...(await ref.create(o)), controls: ['reading' as const] }),
    };
    const h = await Harness.open(liar, '10.0.0.1');
    await expect(h.call({ name: 'control', conn: 'c1', control: { name: 'keepalive', on: false } })).rejects.toThrow(
      AdapterError,
    );
    await expect(h.call({ name: 'control', conn: 'c1', control: { name: 'keepalive', on: false } })).rejects.toThrow(
      /offers the keepalive control, but the instance does not \(its controls: reading\)/,
    );
  });
  it('vectors carry control calls, and a bad one names the field', () => {
    const v = (control: unknown) => ({
      name: 'v',
      title: 't',
      requirements: ['MUST-24'],
      steps: [{ call: 'connect' }, { call: 'control', control }],
    });
    const ok = parseVector(v({ name: 'keepalive', on: true, idleMs: 1000 }));
    expect(ok.steps[1]).toMatchObject({ kind: 'call', call: 'control', control: { name: 'keepalive', idleMs: 1000 } });
    expect(() => parseVector(v({ name: 'keepalive', on: true, idleMs: -1 }))).toThrow(/idleMs must be a positive/);
    expect(() => parseVector(v({ name: 'nagle' }))).toThrow(/name must be one of keepalive, reading/);
    expect(() => parseVector(v({ name: 'reading', paused: true, extra: 1 }))).toThrow(/unknown field/);
    expect(parseVector(v({ name: 'dscp', value: 46 })).steps[1]).toMatchObject({
      control: { name: 'dscp', value: 46 },
    });
    expect(parseVector(v({ name: 'read', octets: 10 })).steps[1]).toMatchObject({
      control: { name: 'read', octets: 10 },
    });
    expect(() => parseVector(v({ name: 'read', octets: 0 }))).toThrow(/octets must be a positive integer/);
    expect(() => parseVector(v({ name: 'ttl', value: 0 }))).toThrow(/value must be an integer from 1 to 255/);
    expect(() => parseVector(v({ name: 'dscp', value: 64 }))).toThrow(/value must be an integer from 0 to 63/);
  });
});
