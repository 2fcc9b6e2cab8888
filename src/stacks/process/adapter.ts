// A stack under test running as a child process that speaks the line protocol of
// docs/adapter-protocol.md over stdin/stdout. Every failure of the child (malformed frame, exit,
// silence, stderr noise) becomes an AdapterError naming the frame or the exit status, and every
// child is reaped: on dispose(), on error, and when this process exits.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import type { ConnId, StackAdapter, StackEvent, StackInstance, StackProfile, TupleRef } from '../adapter.js';
import { AdapterError, RefusedCall, StackCrashed } from '../../harness/bounded.js';

export { RefusedCall };
import type { State } from '../../model/types.js';
import {
  type Command,
  FrameError,
  type Hello,
  MAX_FRAME,
  formatCommand,
  type Frame,
  parseFrame,
  parseHello,
  parseState,
} from './protocol.js';

export interface ProcessStackSpec {
  name: string;
  /** argv of the driver; called with the child's index when it depends on it (e.g. a namespace per child). */
  command: string[] | ((index: number) => string[]);
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  profile: StackProfile;
  /** How many children (and so scenarios) may run at once. Default 1. */
  maxConcurrency?: number;
  /** Bound on each command's answer, ms. Default 5000. */
  commandTimeoutMs?: number;
  /** Called after child `index` has exited (e.g. to remove its namespace); must not throw. */
  afterExit?: (index: number) => void;
}

const live = new Set<ChildProcessWithoutNullStreams>();
let exitHook = false;

/** Signal the driver's whole process group (it runs in its own), so what it forked goes too. */
function killGroup(p: ChildProcessWithoutNullStreams, sig: NodeJS.Signals = 'SIGKILL'): void {
  try {
    if (p.pid !== undefined) process.kill(-p.pid, sig);
  } catch {
    try {
      p.kill(sig);
    } catch {
      /* already gone */
    }
  }
}

function reapOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const p of live) killGroup(p);
  });
}

/** How many drivers may be starting (spawned, hello not yet answered) at once. */
const MAX_STARTS = 2;

/** After the driver exits, how long its pipes may stay open (a forked child holding them is then killed). */
const PIPE_GRACE_MS = 100;

interface Pending {
  what: string;
  resolve: (args: string[]) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** One driver process. Commands are answered in order; events may arrive at any time. */
export class DriverChild {
  readonly proc: ChildProcessWithoutNullStreams;
  hello: Hello | undefined;
  private buf = '';
  private pending: Pending[] = [];
  private stderrTail = '';
  private stderrFirst: string | undefined;
  private failure: AdapterError | undefined;
  private exited: Promise<void>;
  packets: Uint8Array[] = [];
  events: StackEvent[] = [];
  /**
   * performance.now() when each packet and event arrived (real-clock drivers: the time the stack emitted it, within
   * ~0.1 ms).
   */
  packetAt: number[] = [];
  eventAt: number[] = [];

  constructor(
    readonly argv: string[],
    readonly index: number,
    private spec: ProcessStackSpec,
  ) {
    const [cmd, ...args] = argv;
    if (!cmd) throw new AdapterError(`stack ${spec.name}: empty driver command`);
    // Its own process group (detached): ending the driver ends whatever it started.
    const env = spec.env ?? process.env;
    this.proc = spawn(cmd, args, { cwd: spec.cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    live.add(this.proc);
    reapOnExit();
    this.exited = new Promise((res) => {
      this.proc.once('exit', (code, signal) => {
        // Read what the pipes still hold; a forked child that keeps them open does not hold up the exit.
        let done = false;
        const finish = (): void => {
          if (done) return;
          done = true;
          clearTimeout(grace);
          killGroup(this.proc);
          this.proc.stdout.destroy();
          this.proc.stderr.destroy();
          live.delete(this.proc);
          const how = signal ? `was killed by signal ${signal}` : `exited with status ${code}`;
          this.fail(`driver \`${argv.join(' ')}\` ${how}`, false, !this.stopping);
          spec.afterExit?.(index);
          res();
        };
        const grace = setTimeout(finish, PIPE_GRACE_MS);
        this.proc.once('close', finish);
      });
    });
    this.proc.once('error', (e) => this.fail(`cannot run driver \`${argv.join(' ')}\`: ${e.message}`));
    this.proc.stdin.on('error', () => undefined); // EPIPE after the child died: reported by 'close'
    this.proc.stdout.setEncoding('utf8');
    this.proc.stdout.on('data', (chunk: string) => this.onStdout(chunk));
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', (chunk: string) => {
      this.stderrFirst ??= chunk
        .split('\n')
        .find((l) => l.trim() !== '')
        ?.slice(0, 200);
      this.stderrTail = (this.stderrTail + chunk).slice(-2000);
      if (this.hello?.stderr !== 'log' && this.hello !== undefined) {
        const line = chunk.split('\n').find((l) => l.trim() !== '') ?? chunk;
        // A moment's grace: output that comes with a crash is reported as the crash it explains.
        setTimeout(
          () =>
            this.fail(
              `driver wrote to stderr (declare stderr=log in its hello if that is its log): ` +
                `${JSON.stringify(line.slice(0, 200))}`,
            ),
          30,
        ).unref();
      }
    });
  }

  get alive(): boolean {
    return this.failure === undefined;
  }

  /** The first failure poisons the child: it is killed and every waiting command rejects with the reason. */
  private fail(msg: string, kill = true, crashed = false): void {
    if (this.failure) return;
    const tail = this.stderrTail.trim();
    const text =
      `stack ${this.spec.name}: ` +
      `${msg}${tail ? `\n  driver stderr: ${tail.split('\n').slice(-5).join('\n                 ')}` : ''}`;
    this.failure = crashed && this.hello ? new StackCrashed(text) : new AdapterError(text);
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(this.failure);
    }
    if (kill && this.proc.exitCode === null && this.proc.signalCode === null) killGroup(this.proc);
  }

  private onStdout(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).replace(/\r$/, '');
      this.buf = this.buf.slice(nl + 1);
      if (this.failure || this.stopping) return; // after quit, whatever the driver says is moot
      this.onLine(line);
    }
    if (this.buf.length > MAX_FRAME)
      this.fail(`malformed frame: a line longer than ${MAX_FRAME} characters without a newline`);
  }

  private onLine(line: string): void {
    let f: Frame;
    try {
      f = parseFrame(line);
    } catch (e) {
      if (!(e instanceof FrameError)) throw e;
      const shown = JSON.stringify(line.length > 120 ? `${line.slice(0, 120)}…` : line);
      this.fail(`malformed frame ${shown}: ${e.message}`);
      return;
    }
    switch (f.kind) {
      case 'packet':
        this.packets.push(f.packet);
        this.packetAt.push(performance.now());
        return;
      case 'event':
        this.events.push(f.event);
        this.eventAt.push(performance.now());
        return;
      case 'log':
        this.stderrTail = `${this.stderrTail}${f.message}\n`.slice(-2000);
        return;
      case 'ok':
      case 'busy':
      case 'err': {
        const p = this.pending.shift();
        if (!p) {
          this.fail(`unexpected frame ${JSON.stringify(line.slice(0, 120))}: no command was waiting for an answer`);
          return;
        }
        clearTimeout(p.timer);
        if (f.kind === 'ok') p.resolve(f.args);
        else
          p.reject(
            new RefusedCall(f.message, `stack ${this.spec.name}: ${p.what} failed: ${f.message}`, f.kind === 'busy'),
          );
      }
    }
  }

  send(cmd: Command): Promise<string[]> {
    if (this.failure) return Promise.reject(this.failure);
    const text = formatCommand(cmd);
    const what = `\`${text.length > 60 ? `${text.slice(0, 60)}…` : text}\``;
    const ms = this.spec.commandTimeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(`driver did not answer ${what} within ${ms} ms${this.silenceDetail()}`),
        ms,
      );
      this.pending.push({ what, resolve, reject, timer });
      this.proc.stdin.write(`${text}\n`);
    });
  }

  /** What a silent driver did instead of answering: a line without its newline, its first stderr line. */
  private silenceDetail(): string {
    const parts: string[] = [];
    if (this.buf.length)
      parts.push(`it wrote ${this.buf.length} characters without a newline: ${JSON.stringify(this.buf.slice(0, 80))}`);
    if (this.stderrFirst !== undefined) parts.push(`its first stderr line: ${JSON.stringify(this.stderrFirst)}`);
    return parts.length ? ` (${parts.join('; ')})` : '';
  }

  async start(): Promise<Hello> {
    const args = await this.send({ c: 'hello' });
    try {
      this.hello = parseHello(args);
    } catch (e) {
      this.fail(`bad hello: ${(e as Error).message}`);
      throw this.failure!;
    }
    return this.hello;
  }

  private stopping = false;

  async stop(graceMs = 1000): Promise<void> {
    this.stopping = true;
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      if (this.alive) this.proc.stdin.write('quit\n');
      this.proc.stdin.end();
      const t = setTimeout(() => killGroup(this.proc), graceMs);
      // Bounded: a driver that cannot be reaped (never started, say) does not hold up the run's end.
      let last: NodeJS.Timeout | undefined;
      await Promise.race([this.exited, new Promise<void>((r) => (last = setTimeout(r, graceMs + 1000)))]);
      clearTimeout(t);
      clearTimeout(last);
    }
    this.failure ??= new AdapterError(`stack ${this.spec.name}: driver stopped`);
  }
}

function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export interface ProcessAdapter extends StackAdapter {
  /** Capabilities the first driver announced (after the first create). */
  hello(): Hello | undefined;
}

export function processAdapter(spec: ProcessStackSpec): ProcessAdapter {
  const idle: DriverChild[] = [];
  const all = new Set<DriverChild>();
  let nextIndex = 0;
  let seed = 1;
  let firstHello: Hello | undefined;
  const max = spec.maxConcurrency ?? 1;

  // Starts are bounded (two at once) so that many drivers starting together do not starve each other past the
  // command timeout; a failed start frees its slot. Should no driver ever have started, that first failure is the
  // answer to every later create (reported once per caller, never a start storm).
  let starting = 0;
  let reserved = 0;
  const queued: (() => void)[] = [];
  let neverStarted: AdapterError | undefined;
  const startSlot = async (): Promise<void> => {
    while (starting >= MAX_STARTS) await new Promise<void>((r) => queued.push(r));
    starting++;
  };
  const freeSlot = (): void => {
    starting--;
    queued.shift()?.();
  };

  const acquire = async (): Promise<DriverChild> => {
    while (idle.length) {
      const c = idle.pop()!;
      if (c.alive) return c;
      all.delete(c);
    }
    if (neverStarted) throw neverStarted;
    if (all.size + reserved >= max) throw new AdapterError(`stack ${spec.name}: more than ${max} instances at once`);
    // The slot is taken before the driver is spawned: what costs is the spawn.
    reserved++;
    await startSlot().finally(() => reserved--);
    if (neverStarted) {
      freeSlot();
      throw neverStarted;
    }
    const index = nextIndex++;
    let c: DriverChild | undefined;
    try {
      const argv = typeof spec.command === 'function' ? spec.command(index) : spec.command;
      c = new DriverChild(argv, index, spec);
      all.add(c);
      const hello = await c.start();
      firstHello ??= hello;
    } catch (e) {
      if (!c) throw e;
      all.delete(c);
      void c.stop(200);
      if (firstHello === undefined && e instanceof AdapterError) neverStarted ??= e;
      throw e;
    } finally {
      freeSlot();
    }
    return c;
  };

  return {
    name: spec.name,
    profile: spec.profile,
    maxConcurrency: max,
    hello: () => firstHello,
    reseed: (key) => {
      seed = hash32(key);
    },
    current: () => ({ seed }),
    async create({ addr }): Promise<StackInstance> {
      const c = await acquire();
      await c.send({ c: 'reset', addr, seed });
      c.packets = [];
      c.events = [];
      c.packetAt = [];
      c.eventAt = [];
      const h = c.hello!;
      let done = false;
      const onConn = async (conn: ConnId, cmd: Command): Promise<void> => {
        try {
          await c.send(cmd);
        } catch (e) {
          if (!(e instanceof RefusedCall)) throw e;
          c.events.push({ type: 'error', conn, message: `${cmd.c}: ${e.reason}`, ...(e.busy ? { busy: true } : {}) });
          c.eventAt.push(performance.now());
        }
      };
      const inst: StackInstance = {
        clock: h.clock,
        addr,
        deliver: async (packet) => {
          await c.send({ c: 'deliver', packet });
        },
        deliverBatch: async (packets) => {
          await c.send({ c: 'deliver-batch', packets });
        },
        drain: async () => {
          if (h.clock === 'real') await c.send({ c: 'sync' });
          const out = { packets: c.packets, events: c.events, at: { packets: c.packetAt, events: c.eventAt } };
          c.packets = [];
          c.events = [];
          c.packetAt = [];
          c.eventAt = [];
          return out;
        },
        listen: async (port) => {
          await c.send({ c: 'listen', port });
        },
        connect: async (localPort, remote) => {
          const a = await c.send({ c: 'connect', localPort, addr: remote.addr, port: remote.port });
          if (a.length !== 1 || !/^[!-~]{1,64}$/.test(a[0]!))
            throw new AdapterError(`stack ${spec.name}: connect answered "ok ${a.join(' ')}", expected "ok CONN"`);
          return a[0] as ConnId;
        },
        // The stack refusing a call on a connection (closed, reset, out of buffer) is what a socket
        // reports as an error: an application event, not an adapter failure.
        write: (conn, data, o) =>
          onConn(conn, {
            c: 'write',
            conn,
            data,
            ...(o?.urgent ? { urgent: true } : {}),
            ...(o?.push === false ? { push: false } : {}),
          }),
        shutdown: (conn) => onConn(conn, { c: 'shutdown', conn }),
        close: (conn) => onConn(conn, { c: 'close', conn }),
        abort: (conn) => onConn(conn, { c: 'abort', conn }),
        controls: h.controls,
        control: (conn, control) => onConn(conn, { c: 'control', conn, control }),
        destroy: () => {
          if (done) return;
          done = true;
          if (c.alive) idle.push(c);
          else all.delete(c);
        },
      };
      if (h.clock === 'virtual')
        inst.advance = async (ms) => {
          await c.send({ c: 'advance', ms });
        };
      if (h.run && !process.env.TCPC_NO_RUN)
        inst.run = async (ms) => {
          const want = Math.round(ms);
          const a = await c.send({ c: 'run', ms });
          const v = Number(a[0]);
          if (a.length !== 1 || !Number.isInteger(v) || v < 0 || v > want)
            throw new AdapterError(
              `stack ${spec.name}: run ${want} answered "ok ${a.join(' ')}", expected "ok MS", MS from 0 to ${want}`,
            );
          return v;
        };
      if (h.clock === 'virtual' || h.next) {
        inst.nextTimer = async () => {
          const a = await c.send({ c: 'next' });
          if (a[0] === 'none') return undefined;
          const v = Number(a[0]);
          if (a.length !== 1 || !Number.isFinite(v) || v < 0)
            throw new AdapterError(
              `stack ${spec.name}: next answered "ok ${a.join(' ')}", expected "ok MS" or "ok none"`,
            );
          return v;
        };
      }
      if (h.state) {
        inst.state = async (ref: TupleRef): Promise<State> => {
          const a = await c.send({
            c: 'state',
            localPort: ref.localPort,
            addr: ref.remote.addr,
            port: ref.remote.port,
          });
          try {
            return parseState(a[0]);
          } catch (e) {
            throw new AdapterError(`stack ${spec.name}: ${(e as Error).message}`);
          }
        };
      }
      return inst;
    },
    async dispose() {
      await Promise.all([...all].map((c) => c.stop()));
      all.clear();
      idle.length = 0;
    },
  };
}
