// User calls (§3.10.1-§3.10.6).
import { match } from 'ts-pattern';
import { RST } from '../wire/segment.js';
import { seqAdd } from '../wire/seq.js';
import { closeTcb } from './arrive.js';
import { emit, makeSegment, openWindow, output, sendAck, sendSyn } from './output.js';
import { type Ctx, concat } from './tcb.js';
import type { ErrorCode, UserCall } from './types.js';

const error = (c: Ctx, code: ErrorCode): void => {
  c.app.push({ type: 'error', code });
};

/** Active open from CLOSED or LISTEN: pick the ISS and send <SEQ=ISS><CTL=SYN> (§3.10.1). */
function activeOpen(c: Ctx): void {
  const t = c.t;
  t.origin = 'active';
  t.iss = t.cfg.isn({ now: c.now, local: t.local, remote: t.remote! });
  t.sndUna = t.iss;
  t.sndNxt = seqAdd(t.iss, 1);
  t.sndBufSeq = t.sndNxt;
  t.state = 'SYN-SENT';
  sendSyn(c, false);
  t.rttTiming = { seq: t.iss, at: c.now };
}

export function userCall(c: Ctx, call: UserCall): void {
  match(call)
    .with({ type: 'open' }, (o) => open(c, o))
    .with({ type: 'send' }, (s) =>
      send(c, s.data, (s.urgent ?? false) && c.t.cfg.urgentFault !== 'ignored', s.push !== false),
    )
    .with({ type: 'receive' }, (r) => receive(c, r.max))
    .with({ type: 'close' }, () => close(c))
    .with({ type: 'abort' }, () => abort(c))
    .with({ type: 'option' }, (o) => setOption(c, o))
    .exhaustive();
}

/** §3.10.1 OPEN. */
function open(c: Ctx, o: Extract<UserCall, { type: 'open' }>): void {
  const t = c.t;
  match(t.state)
    .with('CLOSED', () => {
      if (o.passive) {
        t.listenRemote = o.remote;
        t.remote = o.remote;
        t.state = 'LISTEN';
      } else {
        t.remote = o.remote;
        activeOpen(c);
      }
    })
    .with('LISTEN', () => {
      if (o.passive) return error(c, 'connection-exists');
      t.remote = o.remote;
      activeOpen(c);
    })
    .with(
      'SYN-SENT',
      'SYN-RECEIVED',
      'ESTABLISHED',
      'FIN-WAIT-1',
      'FIN-WAIT-2',
      'CLOSE-WAIT',
      'CLOSING',
      'LAST-ACK',
      'TIME-WAIT',
      () => error(c, 'connection-exists'),
    )
    .exhaustive();
}

/** §3.10.2 SEND. */
function send(c: Ctx, data: Uint8Array, urgent: boolean, push: boolean): void {
  const t = c.t;
  const queue = (): void => {
    t.sndBuf = concat(t.sndBuf, data.slice());
    const end = seqAdd(t.sndBufSeq, t.sndBuf.length);
    if (urgent && data.length) t.sndUp = end; // §3.10.2 SND.UP (MUST-62)
    if (push && data.length) t.pushEnds = [...(t.pushEnds ?? []), end]; // §3.9.1.2 PUSH (MAY-15)
    if (t.cfg.segmentPerWrite) t.writeEnds = [...(t.writeEnds ?? []), end];
  };
  match(t.state)
    .with('CLOSED', () => error(c, 'connection-not-open'))
    .with('LISTEN', () => {
      if (t.remote === undefined) return error(c, 'foreign-socket-unspecified');
      queue();
      activeOpen(c);
    })
    .with('SYN-SENT', 'SYN-RECEIVED', () => (t.finQueued ? error(c, 'connection-closing') : queue()))
    .with('ESTABLISHED', 'CLOSE-WAIT', () => {
      queue();
      output(c);
    })
    .with('FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSING', 'LAST-ACK', 'TIME-WAIT', () => error(c, 'connection-closing'))
    .exhaustive();
}

/**
 * Settings the application changes on one connection: keep-alives (§3.8.4, MUST-24, MUST-27), whether received
 * data is handed over at once or waits for RECEIVE (§3.10.3; held data closes the window, §3.8.6), Nagle off
 * (§3.7.4, MUST-17), the user timeout (§3.9.1.1, MUST-21), the TTL (§3.9.2, MUST-49) and the Diffserv value
 * (§3.9.1.9, MUST-48; changeable at any time, SHLD-21).
 */
function setOption(c: Ctx, o: Extract<UserCall, { type: 'option' }>): void {
  const t = c.t;
  if (o.keepAlive !== undefined) {
    const { keepAlive: _, ...rest } = t.cfg;
    t.cfg = o.keepAlive === null ? rest : { ...rest, keepAlive: o.keepAlive };
    delete t.timers.keepalive;
    t.keepAliveSent = 0;
  }
  if (o.noDelay !== undefined) t.cfg = { ...t.cfg, noDelay: o.noDelay }; // §3.7.4 MUST-17
  if (o.ttl !== undefined) t.cfg = { ...t.cfg, ttl: o.ttl }; // §3.9.2 MUST-49
  if (o.dscp !== undefined) t.cfg = { ...t.cfg, dscp: o.dscp }; // §3.9.1.9 MUST-48, SHLD-21
  if (o.userTimeout !== undefined) {
    // §3.9.1.1 (MUST-21): the timeout counts from the same start, now with the new length.
    if (t.timers.user !== undefined) t.timers.user += o.userTimeout - t.cfg.userTimeout;
    t.cfg = { ...t.cfg, userTimeout: o.userTimeout };
  }
  if (o.autoReceive !== undefined) {
    t.cfg = { ...t.cfg, autoReceive: o.autoReceive };
    if (o.autoReceive && t.rcvUnread.length) receive(c, undefined);
  }
}

/** §3.10.3 RECEIVE (only meaningful with autoReceive off: data then waits in rcvUnread). */
function receive(c: Ctx, max: number | undefined): void {
  const t = c.t;
  const take = (): void => {
    const n = Math.min(max ?? t.rcvUnread.length, t.rcvUnread.length);
    if (n === 0) {
      if (t.finReceived) error(c, 'connection-closing');
      return;
    }
    const pushes = t.rcvUnreadPush ?? [];
    const push = pushes.some((p) => p <= n) && t.cfg.pushFault !== 'never-told';
    c.app.push({ type: 'data', data: t.rcvUnread.slice(0, n), ...(push ? { push } : {}) });
    t.rcvUnread = t.rcvUnread.subarray(n);
    t.rcvUnreadPush = pushes.filter((p) => p > n).map((p) => p - n);
    if (openWindow(t)) sendAck(c); // a window update once the edge moves (MUST-39)
  };
  match(t.state)
    .with('CLOSED', () => error(c, 'connection-not-open'))
    .with('LISTEN', 'SYN-SENT', 'SYN-RECEIVED', () => undefined) // queued until ESTABLISHED
    .with('ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT', take)
    .with('CLOSING', 'LAST-ACK', 'TIME-WAIT', () => error(c, 'connection-closing'))
    .exhaustive();
}

/** §3.10.4 CLOSE: no more sending; a FIN follows the queued data. */
function close(c: Ctx): void {
  const t = c.t;
  match(t.state)
    .with('CLOSED', () => error(c, 'connection-not-open'))
    .with('LISTEN', 'SYN-SENT', () => closeTcb(c))
    .with('SYN-RECEIVED', () => {
      t.finQueued = true;
      if (t.sndBuf.length === 0) {
        t.state = 'FIN-WAIT-1';
        output(c);
      } // else: the FIN waits for ESTABLISHED
    })
    .with('ESTABLISHED', () => {
      t.finQueued = true;
      t.state = 'FIN-WAIT-1';
      output(c);
    })
    .with('CLOSE-WAIT', () => {
      t.finQueued = true;
      t.state = 'LAST-ACK';
      output(c);
    })
    // Never a second FIN (the first may be retransmitted).
    .with('FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSING', 'LAST-ACK', 'TIME-WAIT', () => error(c, 'connection-closing'))
    .exhaustive();
}

/** §3.10.5 ABORT. */
function abort(c: Ctx): void {
  const t = c.t;
  match(t.state)
    .with('CLOSED', () => error(c, 'connection-not-open'))
    .with('LISTEN', 'SYN-SENT', 'CLOSING', 'LAST-ACK', 'TIME-WAIT', () => closeTcb(c))
    .with('SYN-RECEIVED', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT', () => {
      c.rules.push('abort-resets');
      emit(c, makeSegment(t, { seq: t.sndNxt, flags: RST })); // <SEQ=SND.NXT><CTL=RST>
      c.app.push({ type: 'reset' });
      closeTcb(c);
    })
    .exhaustive();
}
