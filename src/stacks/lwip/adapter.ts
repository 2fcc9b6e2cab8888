// lwIP 2.1.3 (Debian liblwip) under virtual time, through the child-process protocol. The C driver
// next to this file is built by `npm install` (scripts/build-native.mjs) when liblwip-dev is present.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { StackProfile } from '../adapter.js';
import { type ProcessAdapter, processAdapter } from '../process/adapter.js';
import { UsageError } from '../usage.js';

export const LWIP_DRIVER = fileURLToPath(new URL('../../../build/lwip-driver', import.meta.url));

/** lwIP's choices, as data. Each deviation names the requirement and the evidence (docs/findings.md has the traces). */
export const LWIP_PROFILE: StackProfile = {
  name: 'lwip',
  msl: 60_000, // TCP_MSL 60 s: TIME-WAIT is 2 x 60 s
  rtoInitial: 3000, // pcb->rto = 3000 / TCP_SLOW_INTERVAL ticks
  rtoMin: 500, // RTO is kept in 500 ms slow-timer ticks
  rtoMax: 64_000,
  ackDelayMax: 250, // delayed ACKs go out on the next 250 ms fast timer
  rfc5961: true, // challenge ACK for an in-window RST and for a SYN on a synchronized connection
  // ...except in TIME-WAIT (tcp_timewait_input): an in-window SYN gets <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>,
  // any other an ACK — the pre-RFC 5961 rule of §3.10.7.4 step 4, which RFC 9293 still allows.
  timeWaitSyn: 'legacy',
  synCookies: false,
  options: { mss: true, wscale: true, sackPermitted: false, timestamps: false },
  deviations: [],
};

export function lwipAdapter(driver = LWIP_DRIVER): ProcessAdapter {
  if (!existsSync(driver)) {
    throw new UsageError(
      `the lwIP driver ${driver} is not built: install Debian's liblwip-dev (apt-get install -y liblwip-dev pkg-config gcc) and run npm install, or npm run build:native`,
    );
  }
  return processAdapter({ name: 'lwip', command: [driver], profile: LWIP_PROFILE });
}
