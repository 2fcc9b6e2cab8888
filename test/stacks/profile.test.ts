// The profile schema: one descriptor, and every wrong field named.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROFILE_FIELDS, parseProfile, profileTableMarkdown, validateProfile } from '../../src/stacks/profile.js';
import { GENERIC_PROFILE, profileFromJson } from '../../src/stacks/registry.js';

const base = GENERIC_PROFILE('x');

describe('profile schema', () => {
  it('a config can declare every field the TypeScript type has', () => {
    const full = {
      name: 'full',
      msl: 30_000,
      rtoInitial: 1000,
      rtoMin: 200,
      rtoMax: 120_000,
      ackDelayMax: 40,
      rfc5961: false,
      ackRangeCheck: true,
      urgentEvents: true,
      pushEvents: true,
      batchInput: true,
      synCookies: true,
      timeWaitSyn: 'legacy',
      ackRateLimitMs: 1000,
      realTime: true,
      options: { mss: true, wscale: false, sackPermitted: true, timestamps: false },
      controls: ['keepalive'],
      deviations: [{ requirement: 'MUST-13', reason: 'fixed 60 s', check: 'shorter-msl' }],
      findings: [
        { id: 'F1', summary: 's', check: 'stack-crashed', crash: 'assert', requirement: 'MUST-10', vectors: ['v'] },
      ],
    };
    expect(Object.keys(full).sort()).toEqual(Object.keys(PROFILE_FIELDS).sort());
    const p = profileFromJson('full', full, 'cfg');
    expect(p).toEqual(full);
  });
  it('fields left out keep the defaults; options merge', () => {
    const p = parseProfile({ options: { wscale: false } }, 'cfg', base);
    expect(p.msl).toBe(base.msl);
    expect(p.options).toEqual({ ...base.options, wscale: false });
  });
  it.each([
    [{ mls: 1 }, /unknown field "mls"/],
    [{ msl: '30' }, /cfg\.msl must be a number of ms/],
    [{ msl: 1e308 }, /cfg\.msl must be a number of ms from 0 to/],
    [{ msl: 0 }, /msl must be above 0/],
    [{ rtoMin: 5000, rtoInitial: 0, rtoMax: 1e6 }, /rtoMin ≤ rtoInitial ≤ rtoMax must hold/],
    [{ ackDelayMax: 600 }, /ackDelayMax must be a number of ms from 0 to 500/],
    [{ timeWaitSyn: 'rst' }, /timeWaitSyn must be one of challenge-ack, legacy/],
    [{ rfc5961: 'yes' }, /rfc5961 must be true or false/],
    [{ options: { mss: 1 } }, /options\.mss must be true or false/],
    [{ options: { ts: true } }, /cfg\.options: unknown field "ts"/],
    [{ deviations: {} }, /deviations must be an array/],
    [{ deviations: [{ requirement: 'MUST-13' }] }, /deviations\[0\]\.reason must be a non-empty string/],
    [{ deviations: [{ requirement: 'MUST-999', reason: 'r' }] }, /MUST-999 is not one of RFC 9293's numbered/],
    [{ deviations: [{ requirement: 'MUST-13', reason: 'r', match: 'x' }] }, /"match" and "property" are no longer/],
    [{ findings: [{ id: 'F1', summary: 's', property: 'mss' }] }, /name the cause with "check"/],
    [
      { findings: [{ id: 'F1', summary: 's', check: 'stack-crashed', crash: '(' }] },
      /findings\[0\]\.crash: Invalid regular/,
    ],
    [{ findings: [{ id: 'F1', summary: 's', check: 'mss', crash: 'x' }] }, /crash needs check "stack-crashed"/],
    [
      { findings: [{ id: 'F1', summary: 's', check: 'mss', state: 'OPEN' }] },
      /findings\[0\]\.state must be one of CLOSED/,
    ],
    [{ findings: [{ id: 'F1', summary: 's' }] }, /findings\[0\] must say what it explains/],
    [{ findings: [{ id: 'F1', summary: 's', vectors: [1] }] }, /findings\[0\]\.vectors must be an array/],
    [[], /cfg must be an object/],
  ])('%j is refused: %s', (raw, re) => {
    expect(() => parseProfile(raw, 'cfg', base)).toThrow(re);
  });
  it('a TypeScript adapter profile is checked too: null, missing and wrong fields are named', () => {
    expect(() => validateProfile(null, 'p')).toThrow(/p must be an object, got null/);
    const { msl: _, ...noMsl } = base;
    expect(() => validateProfile(noMsl, 'p')).toThrow(/p\.msl is missing/);
    expect(() => validateProfile({ ...base, rtoMax: 10 }, 'p')).toThrow(/rtoMin ≤ rtoInitial ≤ rtoMax/);
    expect(validateProfile(base, 'p')).toBe(base);
  });
  it('the table in docs/writing-a-driver.md is the one the descriptor generates', () => {
    const doc = readFileSync('docs/writing-a-driver.md', 'utf8');
    const m = /<!-- profile-table:begin -->\n([\s\S]*?)\n<!-- profile-table:end -->/.exec(doc);
    expect(m?.[1]).toBe(profileTableMarkdown());
  });
});
