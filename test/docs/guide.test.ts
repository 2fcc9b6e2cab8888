// The driver guide states the network the suite plays; these are the constants the scenarios use.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CLOSED_PORT,
  FRESH_PORT,
  PEER_ADDR,
  PEER_PORT,
  SPOOF_NET,
  STACK_ADDR,
  STACK_PORT,
} from '../../src/gen/scenario.js';

const guide = readFileSync('docs/writing-a-driver.md', 'utf8');
const row = (who: string): string => guide.split('\n').find((l) => l.startsWith(`| ${who} |`)) ?? '';

describe('docs/writing-a-driver.md', () => {
  it('names the addresses and ports the scenarios use', () => {
    expect(row('your stack')).toContain(`\`${STACK_ADDR}\``);
    expect(row('your stack')).toContain(`**${STACK_PORT}**`);
    expect(row('your stack')).toContain(`**${CLOSED_PORT}**`);
    expect(row('the peer (a reference TCP)')).toContain(`\`${PEER_ADDR}\``);
    expect(row('the peer (a reference TCP)')).toContain(`**${PEER_PORT}**`);
    expect(row('extra clients of your listener')).toContain(`${FRESH_PORT}, ${FRESH_PORT + 1}`);
    expect(row('spoofed sources')).toContain(`\`${SPOOF_NET}X.Y\``);
    expect(row('spoofed sources')).toContain(`${FRESH_PORT} + n`);
  });
  it('links only to files that exist', () => {
    const links = [...guide.matchAll(/\]\((\.\.\/[^)#]+|[a-z-]+\.md)(#[^)]*)?\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(4);
    for (const l of links)
      expect(() => readFileSync(new URL(l, new URL('../../docs/', import.meta.url)))).not.toThrow();
  });
});
