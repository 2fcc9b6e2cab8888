// Model parameters with RFC defaults.
import type { Endpoint } from '../wire/segment.js';
import { seq } from '../wire/seq.js';
import type { IsnContext, KeepAliveConfig, ModelConfig } from './types.js';

/** FNV-1a over the 4-tuple: stands in for the keyed PRF F() of §3.4.1 (SHLD-1); not secret. */
export function tupleHash(local: Endpoint, remote: Endpoint, key = 0x9e3779b9): number {
  const text = `${local.addr}:${local.port}>${remote.addr}:${remote.port}`;
  let h = (0x811c9dc5 ^ key) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** §3.4.1 ISN = M + F(4-tuple): M ticks every 4 µs (250 per virtual millisecond). */
export const clockIsn = (ctx: IsnContext): number => seq(ctx.now * 250 + tupleHash(ctx.local, ctx.remote));

/** Keep-alives once turned on, unless the application says otherwise: 2 h idle (MUST-28), 75 s apart, 9 probes. */
export const KEEPALIVE_DEFAULT: KeepAliveConfig = Object.freeze({ idle: 7_200_000, interval: 75_000, probes: 9 });

export const DEFAULT_CONFIG: ModelConfig = Object.freeze({
  msl: 120_000,
  rtoInitial: 1_000,
  rtoMin: 1_000,
  rtoMax: 60_000,
  synRetries: 8,
  synAckRetries: 5,
  dataRetries: 12,
  userTimeout: 300_000,
  nagle: 'classic',
  noDelay: false,
  swsOverride: 200,
  rcvBuf: 65_535,
  ttl: 64,
  dscp: 0,
  mss: 1460,
  sendMssCap: 1460,
  offerMss: true,
  synLayout: 'plain',
  delayedAck: true,
  ackDelay: 200,
  rfc5961: true,
  autoReceive: true,
  track: false,
  isn: clockIsn,
});

export function makeConfig(over: Partial<ModelConfig> = {}): ModelConfig {
  const cfg = { ...DEFAULT_CONFIG, ...over };
  const problems: string[] = [];
  const positive = ['msl', 'rtoInitial', 'rtoMin', 'rtoMax', 'ackDelay', 'userTimeout'] as const;
  for (const k of positive)
    if (!(Number.isFinite(cfg[k]) && cfg[k] > 0)) problems.push(`${k} must be a positive number (got ${cfg[k]})`);
  if (cfg.rtoMin > cfg.rtoMax) problems.push(`rtoMin ${cfg.rtoMin} exceeds rtoMax ${cfg.rtoMax}`);
  if (cfg.wscale !== undefined && !(Number.isInteger(cfg.wscale) && cfg.wscale >= 0 && cfg.wscale <= 14))
    problems.push(`wscale must be 0..14 (got ${cfg.wscale})`);
  const maxBuf = 65535 * 2 ** (cfg.wscale ?? 0);
  if (!(cfg.rcvBuf >= 1 && cfg.rcvBuf <= maxBuf))
    problems.push(
      `rcvBuf must be 1..${maxBuf}${cfg.wscale === undefined ? ' without window scaling' : ''} (got ${cfg.rcvBuf})`,
    );
  if (!(Number.isInteger(cfg.ttl) && cfg.ttl >= 1 && cfg.ttl <= 255))
    problems.push(`ttl must be 1..255 (got ${cfg.ttl})`);
  if (!(Number.isInteger(cfg.dscp) && cfg.dscp >= 0 && cfg.dscp <= 63))
    problems.push(`dscp must be 0..63 (got ${cfg.dscp})`);
  if (!(cfg.mss >= 1 && cfg.mss <= 65495)) problems.push(`mss must be 1..65495 (got ${cfg.mss})`);
  if (!(cfg.sendMssCap >= 1)) problems.push(`sendMssCap must be >= 1 (got ${cfg.sendMssCap})`);
  for (const k of ['synRetries', 'synAckRetries', 'dataRetries'] as const) {
    if (!(Number.isInteger(cfg[k]) && cfg[k] >= 0))
      problems.push(`${k} must be a non-negative integer (got ${cfg[k]})`);
  }
  if (problems.length) throw new Error(`invalid model config: ${problems.join('; ')}`);
  return Object.freeze(cfg);
}
