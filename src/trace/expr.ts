// Number expressions in vectors: 123, "name", "name+1", "isn_b-1+5", and binders "?name".
// All arithmetic is modulo 2^32 (sequence space).
import { seq } from '../wire/seq.js';

export type Expr =
  | { kind: 'bind'; name: string }
  | { kind: 'value'; terms: Array<{ sign: 1 | -1; name?: string; n?: number }> };

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parse; returns an error message instead of throwing. */
/** Longest expression text accepted, and the largest literal (a 32-bit sequence number). */
const MAX_EXPR_CHARS = 200;
const MAX_LITERAL = 0xffffffff;

const shown = (v: unknown): string => {
  const j = JSON.stringify(v) ?? String(v);
  return j.length > 60 ? `${j.slice(0, 60)}… (${j.length} characters)` : j;
};

export function parseExpr(v: unknown): Expr | string {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return `expected an integer, got ${v}`;
    if (Math.abs(v) > MAX_LITERAL) return `${v} is out of range (at most ${MAX_LITERAL}, a 32-bit number)`;
    return { kind: 'value', terms: [{ sign: v < 0 ? -1 : 1, n: Math.abs(v) }] };
  }
  if (typeof v !== 'string') return `expected a number or an expression string, got ${shown(v)}`;
  if (v.length > MAX_EXPR_CHARS) return `expression too long: ${shown(v)} (at most ${MAX_EXPR_CHARS} characters)`;
  const s = v.replace(/\s+/g, '');
  if (s.startsWith('?')) {
    const name = s.slice(1);
    return IDENT.test(name) ? { kind: 'bind', name } : `bad binder ${JSON.stringify(v)}: expected ?name`;
  }
  const parts = s.match(/[+-]?[^+-]+/g);
  if (!parts || parts.join('') !== s) return `bad expression ${shown(v)}`;
  const terms: Array<{ sign: 1 | -1; name?: string; n?: number }> = [];
  for (const p of parts) {
    const sign: 1 | -1 = p.startsWith('-') ? -1 : 1;
    const body = p.replace(/^[+-]/, '');
    if (/^\d+$/.test(body)) {
      if (body.length > 10 || Number(body) > MAX_LITERAL) return `${body.slice(0, 20)} is out of range in ${shown(v)}`;
      terms.push({ sign, n: Number(body) });
    } else if (IDENT.test(body)) terms.push({ sign, name: body });
    else return `bad term ${shown(body)} in expression ${shown(v)}`;
  }
  return { kind: 'value', terms };
}

export type Env = Map<string, number>;

/** Evaluate a value expression; a missing name gives an error string. */
export function evalExpr(e: Expr, env: Env): number | string {
  if (e.kind === 'bind') return env.has(e.name) ? env.get(e.name)! : `?${e.name} is not bound yet`;
  let acc = 0;
  for (const t of e.terms) {
    if (t.name !== undefined) {
      const v = env.get(t.name);
      if (v === undefined) return `name ${t.name} is not bound (bind it first with "?${t.name}")`;
      acc += t.sign * v;
    } else acc += t.sign * t.n!;
  }
  return seq(acc);
}

/** Match an actual value: a binder binds on first sight (then compares), a value must be equal. */
export function matchExpr(e: Expr, actual: number, env: Env): { ok: true } | { ok: false; expected: string } {
  if (e.kind === 'bind' && !env.has(e.name)) {
    env.set(e.name, actual);
    return { ok: true };
  }
  const v = evalExpr(e, env);
  if (typeof v === 'string') return { ok: false, expected: v };
  return v === seq(actual)
    ? { ok: true }
    : { ok: false, expected: showExpr(e) === String(v) ? `${v}` : `${v} (${showExpr(e)})` };
}

export function showExpr(e: Expr): string {
  if (e.kind === 'bind') return `?${e.name}`;
  return e.terms.map((t, i) => `${t.sign < 0 ? '-' : i > 0 ? '+' : ''}${t.name ?? t.n}`).join('');
}
