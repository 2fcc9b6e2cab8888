// Every property, by area (one file each).
import type { Property } from '../src/oracle/property.js';
import { properties as ack } from './ack.js';
import { properties as close } from './close.js';
import { properties as ecn } from './ecn.js';
import { properties as handshake } from './handshake.js';
import { properties as icmp } from './icmp.js';
import { properties as invariants } from './invariants.js';
import { properties as ip } from './ip.js';
import { properties as ipfields } from './ipfields.js';
import { properties as keepalive } from './keepalive.js';
import { properties as listen } from './listen.js';
import { properties as nagle } from './nagle.js';
import { properties as push } from './push.js';
import { properties as route } from './route.js';
import { properties as retransmission } from './retransmission.js';
import { properties as rst } from './rst.js';
import { properties as segments } from './segments.js';
import { properties as sws } from './sws.js';
import { properties as urgent } from './urgent.js';
import { properties as wscale } from './wscale.js';
import { properties as synflood } from './synflood.js';
import { properties as window } from './window.js';
import { properties as wire } from './wire.js';

export const ALL_PROPERTIES: Property[] = [
  ...handshake,
  ...close,
  ...rst,
  ...segments,
  ...retransmission,
  ...wire,
  ...synflood,
  ...invariants,
  ...window,
  ...icmp,
  ...ip,
  ...ipfields,
  ...ack,
  ...listen,
  ...keepalive,
  ...nagle,
  ...sws,
  ...urgent,
  ...push,
  ...route,
  ...wscale,
  ...ecn,
];
