// The model's single entry point: step(tcb, event, now) -> { tcb, segments, appEvents, timers }.
import { match } from 'ts-pattern';
import { closeTcb, returnToListen, segmentArrives } from './arrive.js';
import { userCall } from './calls.js';
import { icmpArrives } from './icmp.js';
import { output, retransmit, sendAck, sendWindowProbe } from './output.js';
import { stackSent } from './sent.js';
import { type Ctx, cloneTcb } from './tcb.js';
import { type ModelEvent, type StepResult, TIMER_NAMES, type Tcb, type TimerChange, type TimerName } from './types.js';

export function step(tcb: Tcb, event: ModelEvent, now: number): StepResult {
  const c: Ctx = { t: cloneTcb(tcb), now, segs: [], app: [], ackNow: false, rules: [] };
  match(event)
    .with({ type: 'segment' }, (e) => segmentArrives(c, e.seg))
    .with({ type: 'timeout' }, (e) => timeout(c, e.timer))
    .with({ type: 'sent' }, (e) => stackSent(c, e.seg))
    .with({ type: 'icmp' }, (e) => icmpArrives(c, e.icmpType, e.code))
    .with({ type: 'open' }, { type: 'send' }, { type: 'receive' }, { type: 'close' }, { type: 'abort' }, (e) =>
      userCall(c, e),
    )
    .exhaustive();
  const s = c.t.state;
  if (s !== 'CLOSED' && s !== 'LISTEN' && s !== 'SYN-SENT' && event.type !== 'sent') output(c);
  if (!c.t.cfg.track) c.t.rcvWnd = Math.max(0, c.t.cfg.rcvBuf - c.t.rcvUnread.length);
  const timers = diffTimers(tcb.timers, c.t.timers);
  return {
    tcb: c.t,
    segments: c.segs,
    appEvents: c.app,
    timers,
    ...(c.rules.length ? { rules: c.rules } : {}),
    ...(c.refused ? { refused: c.refused } : {}),
  };
}

function diffTimers(before: Tcb['timers'], after: Tcb['timers']): TimerChange[] {
  const out: TimerChange[] = [];
  for (const name of TIMER_NAMES) if (before[name] !== after[name]) out.push({ timer: name, at: after[name] });
  return out;
}

/** The earliest armed deadline, if any. */
export function nextDeadline(t: Tcb): { timer: TimerName; at: number } | undefined {
  let best: { timer: TimerName; at: number } | undefined;
  for (const name of TIMER_NAMES) {
    const at = t.timers[name];
    if (at !== undefined && (best === undefined || at < best.at)) best = { timer: name, at };
  }
  return best;
}

/** §3.10.8 timeouts. A timer that is not armed, or not yet due, does nothing. */
function timeout(c: Ctx, timer: TimerName): void {
  const t = c.t;
  const at = t.timers[timer];
  if (at === undefined || at > c.now) return;
  delete t.timers[timer];
  match(timer)
    .with('rexmt', () => {
      const limit =
        t.state === 'SYN-SENT'
          ? t.cfg.synRetries
          : t.state === 'SYN-RECEIVED'
            ? t.cfg.synAckRetries
            : t.cfg.dataRetries;
      if (t.rexmtCount >= limit) {
        // R2 reached (§3.8.3): give up. A passive half-open connection is reclaimed silently.
        if (t.state === 'SYN-RECEIVED' && t.origin === 'passive') return returnToListen(c);
        c.app.push({ type: 'error', code: 'retransmission-timeout' });
        return closeTcb(c);
      }
      t.rexmtCount++;
      t.rto = Math.min(t.rto * 2, t.cfg.rtoMax); // RFC 6298 §5.5 back off
      t.rttTiming = undefined; // Karn: never time a retransmission
      retransmit(c);
      t.timers.rexmt = c.now + t.rto;
    })
    .with('persist', () => sendWindowProbe(c))
    .with('delack', () => {
      if (t.ackPending > 0) sendAck(c);
    })
    .with('timeWait', () => closeTcb(c))
    .with('user', () => {
      if (t.state === 'SYN-RECEIVED' && t.origin === 'passive') return returnToListen(c);
      c.app.push({ type: 'error', code: 'user-timeout' });
      closeTcb(c);
    })
    .exhaustive();
}
