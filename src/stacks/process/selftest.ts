// The protocol's own conformance checks for a driver (not TCP properties): does it answer hello,
// frame its output, keep one answer per command, refuse bad calls without dying, and exit on quit?
// Run with `tcp-conform check-driver --stack process:CMD`.
import { decode, encode } from '../../wire/codec.js';
import { ACK, RST, SYN } from '../../wire/segment.js';
import { AdapterError } from '../../harness/bounded.js';
import { DriverChild, type ProcessStackSpec, RefusedCall } from './adapter.js';
import { type Command, parseState } from './protocol.js';
import { GENERIC_PROFILE } from '../registry.js';
import { type AppControl, type ControlName, controlText } from '../adapter.js';

export interface DriverCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/** What check-driver sends for each control a driver offers (urgent and push are kinds of write, not sent here). */
const CONTROL_SAMPLES: Record<ControlName, AppControl[]> = {
  keepalive: [
    { name: 'keepalive', on: true, idleMs: 7_200_000, intervalMs: 75_000, probes: 9 },
    { name: 'keepalive', on: false },
  ],
  reading: [
    { name: 'reading', paused: true },
    { name: 'reading', paused: false },
  ],
  read: [
    { name: 'reading', paused: true },
    { name: 'read', octets: 1 },
    { name: 'reading', paused: false },
  ],
  nodelay: [
    { name: 'nodelay', on: true },
    { name: 'nodelay', on: false },
  ],
  timeout: [{ name: 'timeout', ms: 300_000 }],
  ttl: [{ name: 'ttl', value: 64 }],
  dscp: [{ name: 'dscp', value: 0 }],
  urgent: [],
  push: [],
  'urgent-pending': [{ name: 'urgent-pending' }],
  'keepalive-garbage': [
    { name: 'keepalive', on: true, garbage: true },
    { name: 'keepalive', on: false },
  ],
};

const ADDR = '10.0.0.1';
const PEER = '10.0.0.2';

export async function checkDriver(command: string[], opts: { timeoutMs?: number } = {}): Promise<DriverCheck[]> {
  const spec: ProcessStackSpec = {
    name: 'driver-under-check',
    command,
    profile: GENERIC_PROFILE('driver'),
    commandTimeoutMs: opts.timeoutMs ?? 3000,
  };
  const out: DriverCheck[] = [];
  const child = new DriverChild(command, 0, spec);
  const check = async (name: string, fn: () => Promise<string>): Promise<boolean> => {
    try {
      out.push({ name, ok: true, detail: await fn() });
      return true;
    } catch (e) {
      out.push({ name, ok: false, detail: e instanceof Error ? e.message : String(e) });
      return false;
    }
  };
  const expect = (cond: boolean, msg: string): void => {
    if (!cond) throw new Error(msg);
  };
  const take = (): { packets: Uint8Array[]; events: typeof child.events } => {
    const r = { packets: child.packets, events: child.events };
    child.packets = [];
    child.events = [];
    return r;
  };
  try {
    if (
      !(await check('hello: version 1 or 2 and valid capabilities', async () => {
        const h = await child.start();
        const controls = h.controls.length ? h.controls.join(',') : 'none (profile "controls": [])';
        return (
          `version ${h.version} name=${h.name} clock=${h.clock} state=${h.state ? 1 : 0} stderr=${h.stderr} ` +
          `controls=${controls}`
        );
      }))
    )
      return out;
    const h = child.hello!;
    const settle = async (): Promise<void> => {
      if (h.clock === 'real') await child.send({ c: 'sync' });
    };
    await check('reset: a fresh instance', async () => {
      await child.send({ c: 'reset', addr: ADDR, seed: 42 });
      return 'ok';
    });
    await check('listen: ok', async () => {
      await child.send({ c: 'listen', port: 80 });
      if (!h.state) return 'ok (no state introspection)';
      const a = await child.send({ c: 'state', localPort: 80, addr: PEER, port: 40000 });
      const s = parseState(a[0]);
      expect(s === 'LISTEN', `state of a listener answered ${s}, expected LISTEN`);
      return 'ok, state LISTEN';
    });
    let conn: string | undefined;
    await check('connect: answers a connection id and emits a well-formed SYN', async () => {
      take();
      const a = await child.send({ c: 'connect', localPort: 1234, addr: PEER, port: 4321 });
      expect(a.length === 1 && /^[!-~]{1,64}$/.test(a[0]!), `expected "ok CONN", got "ok ${a.join(' ')}"`);
      conn = a[0]!;
      await settle();
      const { packets } = take();
      const syn = packets.map((p) => decode(p)).find((r) => r.ok && r.segment.flags & SYN);
      if (!syn?.ok) throw new Error(`no well-formed SYN among ${packets.length} packet(s) after connect`);
      const s = syn.segment;
      expect(
        s.src === ADDR && s.srcPort === 1234 && s.dst === PEER && s.dstPort === 4321,
        `SYN goes ${s.src}:${s.srcPort} > ${s.dst}:${s.dstPort}, expected ${ADDR}:1234 > ${PEER}:4321`,
      );
      return `ok ${conn}, SYN seq=${s.seq}`;
    });
    if (conn && h.controls.some((n) => n !== 'urgent' && n !== 'push'))
      await check('control: every control offered in hello is taken on a connection', async () => {
        const tried: string[] = [];
        for (const control of h.controls.flatMap((n) => CONTROL_SAMPLES[n])) {
          try {
            await child.send({ c: 'control', conn: conn!, control });
          } catch (e) {
            if (!(e instanceof RefusedCall)) throw e;
            throw new Error(`control ${conn} ${controlText(control)} was refused: ${e.message}`);
          }
          tried.push(controlText(control));
        }
        await settle();
        take();
        return `ok: ${tried.join('; ')}`;
      });
    await check('deliver: a packet to a closed port is taken (and any answer is a well-formed packet)', async () => {
      take();
      const pkt = encode({
        src: PEER,
        dst: ADDR,
        srcPort: 5555,
        dstPort: 9,
        seq: 1000,
        ack: 0,
        flags: SYN,
        window: 1000,
        urgent: 0,
        options: [],
        payload: new Uint8Array(),
      });
      await child.send({ c: 'deliver', packet: pkt });
      await settle();
      const { packets } = take();
      const bad = packets.map((p) => decode(p)).filter((r) => !r.ok);
      expect(bad.length === 0, `the driver emitted ${bad.length} malformed packet(s)`);
      const rst = packets.map((p) => decode(p)).some((r) => r.ok && r.segment.flags & RST && r.segment.flags & ACK);
      return rst ? 'ok, answered with RST,ACK' : `ok, ${packets.length} packet(s) out`;
    });
    await check(h.clock === 'virtual' ? "next and advance: the clock is the suite's" : 'sync: answers', async () => {
      if (h.clock === 'real') {
        await child.send({ c: 'sync' });
        return 'ok';
      }
      const a = await child.send({ c: 'next' });
      expect(
        a[0] === 'none' || (a.length === 1 && Number.isFinite(Number(a[0])) && Number(a[0]) >= 0),
        `next answered "ok ${a.join(' ')}", expected "ok MS" or "ok none"`,
      );
      await child.send({ c: 'advance', ms: 1000 });
      return `next ${a[0]}, advance ok`;
    });
    if (h.run)
      await check('run: advances at most the time asked and says how far', async () => {
        const a = await child.send({ c: 'run', ms: 60_000 });
        const t = Number(a[0]);
        expect(
          a.length === 1 && Number.isInteger(t) && t >= 0 && t <= 60_000,
          `run 60000 answered "ok ${a.join(' ')}", expected "ok T" with T from 0 to 60000`,
        );
        return `ran ${t} ms`;
      });
    const refusedThenAlive = async (cmd: Command, what: string): Promise<string> => {
      try {
        await child.send(cmd);
        throw new Error(`${what} answered ok`);
      } catch (e) {
        if (!(e instanceof RefusedCall)) throw e;
      }
      await child.send({ c: h.clock === 'real' ? 'sync' : 'next' });
      return 'err, then alive';
    };
    await check('a call on an unknown connection is refused with err, and the driver lives on', () =>
      refusedThenAlive(
        { c: 'write', conn: 'no-such-conn', data: Uint8Array.of(1, 2, 3) },
        'write to an unknown connection',
      ),
    );
    await check('an unknown command is refused with err, and the driver lives on', () =>
      refusedThenAlive({ c: 'raw', text: 'frobnicate 1 2 3' }, 'an unknown command'),
    );
    await check('reset forgets connections', async () => {
      await child.send({ c: 'reset', addr: ADDR, seed: 43 });
      if (!h.state) return 'ok (no state introspection)';
      const a = await child.send({ c: 'state', localPort: 1234, addr: PEER, port: 4321 });
      expect(parseState(a[0]) === 'CLOSED', `state after reset answered ${a[0]}, expected CLOSED`);
      return 'ok, state CLOSED';
    });
    await check('quit: exits promptly', async () => {
      const t0 = Date.now();
      await child.stop(1500);
      const code = child.proc.exitCode;
      expect(child.proc.signalCode === null, `killed: did not exit within 1.5 s of quit`);
      expect(code === 0, `exited with status ${code}`);
      return `exit 0 after ${Date.now() - t0} ms`;
    });
  } catch (e) {
    if (!(e instanceof AdapterError)) throw e;
    out.push({ name: 'driver stayed healthy', ok: false, detail: e.message });
  } finally {
    await child.stop(500).catch(() => undefined);
  }
  return out;
}
