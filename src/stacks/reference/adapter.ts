// The reference stack as a StackAdapter: the embedded default that needs nothing installed.
import type { ModelConfig } from '../../model/types.js';
import {
  CONTROL_NAMES,
  type ControlName,
  type StackAdapter,
  type StackInstance,
  type StackProfile,
} from '../adapter.js';
import { DEFAULT_CONFIG } from '../../model/config.js';
import { type HostOptions, ReferenceHost } from './host.js';

/** The application controls the reference offers: every one the adapter API knows. */
export const REFERENCE_CONTROLS: readonly ControlName[] = CONTROL_NAMES;

export function profileFor(name: string, cfg: ModelConfig, synCookies: boolean): StackProfile {
  return {
    name,
    msl: cfg.msl,
    rtoInitial: cfg.rtoInitial,
    rtoMin: cfg.rtoMin,
    rtoMax: cfg.rtoMax,
    ackDelayMax: cfg.delayedAck ? cfg.ackDelay : 0,
    rfc5961: cfg.rfc5961,
    ackRangeCheck: cfg.rfc5961,
    urgentEvents: true,
    pushEvents: true,
    batchInput: true,
    synCookies,
    options: { mss: cfg.offerMss, wscale: cfg.wscale !== undefined, sackPermitted: false, timestamps: false },
    deviations: [],
    controls: REFERENCE_CONTROLS,
  };
}

export function referenceInstance(host: ReferenceHost): StackInstance & { host: ReferenceHost } {
  return {
    host,
    clock: 'virtual',
    addr: host.addr,
    deliver: (p) => host.deliver(p),
    deliverBatch: (ps) => host.deliverBatch(ps),
    drain: () => host.drain(),
    listen: (port) => host.listen(port),
    connect: (localPort, remote) => host.connect(localPort, remote),
    write: (conn, data, o) => host.write(conn, data, o?.urgent ?? false, o?.push !== false),
    shutdown: (conn) => host.shutdown(conn),
    close: (conn) => host.close(conn),
    abort: (conn) => host.abort(conn),
    controls: REFERENCE_CONTROLS,
    control: (conn, c) => host.control(conn, c),
    advance: (ms) => host.advance(ms),
    nextTimer: () => host.nextTimer(),
    state: (ref) => host.state(ref),
    destroy: () => undefined,
  };
}

/** The reference offers window scaling, as most stacks do (RFC 7323; in effect only when the peer offers too). */
export const REFERENCE_WSCALE = 2;

/** The reference offers window scaling and ECN (RFC 3168, SHLD-8). */
export function referenceAdapter(name = 'reference', opts: Omit<HostOptions, 'addr'> = {}): StackAdapter {
  const model = { wscale: REFERENCE_WSCALE, ecn: true, ...opts.model };
  const cfg = { ...DEFAULT_CONFIG, ...model };
  return {
    name,
    profile: profileFor(name, cfg, opts.synCookies ?? false),
    create: ({ addr }) => referenceInstance(new ReferenceHost({ ...opts, model, addr })),
  };
}
