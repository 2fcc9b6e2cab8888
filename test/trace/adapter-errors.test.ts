import { describe, expect, it } from 'vitest';
import type { StackAdapter, StackInstance } from '../../src/stacks/adapter.js';
import { referenceAdapter, referenceInstance } from '../../src/stacks/reference/adapter.js';
import { ReferenceHost } from '../../src/stacks/reference/host.js';
import { runVector } from '../../src/trace/runner.js';
import { parseVector } from '../../src/trace/vector.js';

const profile = referenceAdapter().profile;
const handshake = parseVector({
  name: 'active-handshake',
  steps: [
    { call: 'connect' },
    { expect: { flags: 'S', seq: '?a' } },
    { inject: { flags: 'SA', seq: 300, ack: 'a+1' } },
    { expect: { flags: 'A', seq: 'a+1', ack: 301 } },
  ],
});

/** The reference stack with one method replaced. */
function broken(patch: (inst: StackInstance) => Partial<StackInstance>): StackAdapter {
  return {
    name: 'broken',
    profile,
    create: ({ addr }) => {
      const inst = referenceInstance(new ReferenceHost({ addr }));
      return { ...inst, ...patch(inst) };
    },
  };
}

describe('a misbehaving adapter gives an adapter-error verdict with the trace so far', () => {
  it('connect() throws', async () => {
    const r = await runVector(
      handshake,
      broken(() => ({
        connect: () => {
          throw new Error('EADDRINUSE');
        },
      })),
      { callTimeoutMs: 200 },
    );
    expect(r.status).toBe('error');
    expect(r.failure!.step).toBe(0);
    expect(r.failure!.message).toBe('adapter error: connect() threw: EADDRINUSE');
    expect(r.trace.map((t) => t.dir)).toEqual(['call']);
  });
  it('deliver() never answers', async () => {
    const t0 = Date.now();
    const r = await runVector(
      handshake,
      broken(() => ({ deliver: () => new Promise<void>(() => undefined) })),
      { callTimeoutMs: 200 },
    );
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r.status).toBe('error');
    expect(r.failure!.step).toBe(2);
    expect(r.failure!.message).toBe('adapter error: deliver() did not answer within 200 ms');
    expect(r.trace.filter((t) => t.dir === 'out').length).toBe(1);
  });
  it('create() hangs', async () => {
    const a: StackAdapter = { name: 'hang', profile, create: () => new Promise(() => undefined) };
    const r = await runVector(handshake, a, { callTimeoutMs: 100 });
    expect(r.failure!.message).toBe('adapter error: create() did not answer within 100 ms');
  });
  it('emits random bytes instead of packets', async () => {
    const r = await runVector(
      handshake,
      broken(() => ({ drain: () => ({ packets: [Uint8Array.of(0x45, 1, 2, 3, 9, 9)], events: [] }) })),
      { callTimeoutMs: 200 },
    );
    expect(r.status).toBe('fail');
    expect(r.failure!.message).toMatch(/the stack emitted a malformed packet: truncated/);
    expect(r.failure!.actual).toBe('450102030909');
  });
  it('emits a segment with a bad checksum: a MUST-2 violation', async () => {
    const r = await runVector(
      handshake,
      broken((inst) => ({
        drain: async () => {
          const o = await inst.drain();
          return {
            packets: o.packets.map((p) => {
              const c = p.slice();
              c[c.length - 1]! ^= 1;
              c[36]! ^= 0x40;
              return c;
            }),
            events: o.events,
          };
        },
      })),
      { callTimeoutMs: 200 },
    );
    expect(r.failure!.message).toMatch(/^MUST-2: the stack emitted a malformed packet: bad-tcp-checksum/);
  });
  it('drain() returns garbage', async () => {
    const r = await runVector(
      handshake,
      broken(() => ({ drain: () => 42 as never })),
      { callTimeoutMs: 200 },
    );
    expect(r.status).toBe('error');
    expect(r.failure!.message).toMatch(/drain\(\) returned 42/);
  });
  it('connect() returns something that is not an id', async () => {
    const r = await runVector(
      handshake,
      broken(() => ({ connect: () => 7 as never })),
      { callTimeoutMs: 200 },
    );
    expect(r.failure!.message).toMatch(/connect\(\) returned 7/);
  });
  it('a virtual-clock stack without advance()', async () => {
    const v = parseVector({ name: 'x', steps: [{ advance: 5 }] });
    const r = await runVector(
      v,
      broken(() => ({ advance: undefined })),
      { callTimeoutMs: 200 },
    );
    expect(r.failure!.message).toMatch(/must implement advance/);
  });
  it('destroy() is always called, even after a failure', async () => {
    let destroyed = 0;
    await runVector(
      handshake,
      broken(() => ({
        connect: () => {
          throw new Error('x');
        },
        destroy: () => {
          destroyed++;
        },
      })),
      { callTimeoutMs: 200 },
    );
    expect(destroyed).toBe(1);
  });
  it('a stack without state introspection skips state steps, noting it in the trace', async () => {
    const v = parseVector({ name: 'x', steps: [{ call: 'listen' }, { state: 'LISTEN' }] });
    const r = await runVector(
      v,
      broken(() => ({ state: undefined })),
    );
    expect(r.status).toBe('pass');
    expect(r.trace.at(-1)!.text).toMatch(/not checked/);
  });
});
