// The model's single entry point: step(tcb, event, now) -> { tcb, segments, appEvents, timers }.
import { match } from 'ts-pattern';
import { closeTcb, returnToListen, segmentArrives } from './arrive.js';
import { userCall } from './calls.js';
import { icmpArrives } from './icmp.js';
import { emit, makeSegment, openWindow, output, retransmit, sendAck, sendWindowProbe, usableWindow } from './output.js';
import { ACK } from '../wire/segment.js';
import { seqAdd } from '../wire/seq.js';
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
    .with(
      { type: 'open' },
      { type: 'send' },
      { type: 'receive' },
      { type: 'close' },
      { type: 'abort' },
      { type: 'option' },
      (e) => userCall(c, e),
    )
    .exhaustive();
  const s = c.t.state;
  if (s !== 'CLOSED' && s !== 'LISTEN' && s !== 'SYN-SENT' && event.type !== 'sent') output(c);
  armKeepAlive(c, event);
  if (!c.t.cfg.track) openWindow(c.t);
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

/** §3.8.4: with keep-alives on, an established connection's idle timer restarts whenever anything happens on it. */
function armKeepAlive(c: Ctx, event: ModelEvent): void {
  const t = c.t;
  const ka = t.cfg.keepAlive;
  if (!ka || t.cfg.track) return;
  if (t.state !== 'ESTABLISHED' && t.state !== 'CLOSE-WAIT') {
    delete t.timers.keepalive;
    return;
  }
  const activity = event.type === 'segment' || event.type === 'send' || c.segs.some((x) => x.payload.length > 0);
  if (activity) t.keepAliveSent = 0;
  if (activity || t.timers.keepalive === undefined) t.timers.keepalive = c.now + ka.idle;
}

/** §3.8.4: <SEQ=SND.NXT-1><ACK=RCV.NXT><CTL=ACK>, no data (SHLD-12), only with nothing outstanding (MUST-26). */
function keepAliveProbe(c: Ctx): void {
  const t = c.t;
  const ka = t.cfg.keepAlive!;
  if (t.sndUna !== t.sndNxt && !t.cfg.keepAliveBusy) {
    t.timers.keepalive = c.now + ka.idle;
    return;
  }
  if ((t.keepAliveSent ?? 0) >= ka.probes) {
    c.app.push({ type: 'error', code: 'keep-alive-timeout' });
    closeTcb(c);
    return;
  }
  const garbage = t.cfg.keepAliveGarbage || ka.garbage ? { payload: new Uint8Array(1) } : {};
  emit(c, makeSegment(t, { seq: seqAdd(t.sndNxt, -1), ack: t.rcvNxt, flags: ACK, ...garbage }));
  t.keepAliveSent = (t.keepAliveSent ?? 0) + 1;
  t.timers.keepalive = c.now + ka.interval;
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
    .with('persist', () => {
      // With some window open this was the SWS override timeout: output() below sends what fits (§3.8.6.2.1).
      // A probe goes only with nothing in flight (the retransmission timer has what is).
      if (usableWindow(t) > 0) c.swsOverride = true;
      else if (t.sndNxt === t.sndUna) sendWindowProbe(c);
    })
    .with('delack', () => {
      if (t.ackPending > 0) sendAck(c);
    })
    .with('timeWait', () => closeTcb(c))
    .with('keepalive', () => keepAliveProbe(c))
    .with('user', () => {
      if (t.state === 'SYN-RECEIVED' && t.origin === 'passive') return returnToListen(c);
      c.app.push({ type: 'error', code: 'user-timeout' });
      closeTcb(c);
    })
    .exhaustive();
}
