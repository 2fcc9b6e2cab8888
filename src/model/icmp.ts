// §3.9.2.2: an ICMP error directed to this connection (MUST-54) by the header it quotes.
import { icmpClass } from '../wire/icmp.js';
import { closeTcb, returnToListen } from './arrive.js';
import type { Ctx } from './tcb.js';

/** Source quench and soft errors change nothing (MUST-55, MUST-56); a hard error aborts the connection (SHLD-26). */
export function icmpArrives(c: Ctx, type: number, code: number): void {
  const t = c.t;
  if (t.state === 'CLOSED' || t.state === 'LISTEN' || t.state === 'TIME-WAIT') return;
  const cls = icmpClass(type, code);
  if (cls === 'quench') c.rules.push('icmp-quench-ignored');
  if (cls === 'soft') c.rules.push('icmp-soft-goes-on');
  if (cls !== 'hard') return;
  c.rules.push('icmp-hard-aborts');
  if (t.state === 'SYN-RECEIVED' && t.origin === 'passive') {
    returnToListen(c);
    return;
  }
  c.app.push({ type: 'error', code: 'destination-unreachable' });
  closeTcb(c);
}
