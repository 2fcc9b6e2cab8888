// tcp-conform export FILE: pcap, packetdrill, ladder, Mermaid of a counterexample's stored trace, or of a
// vector replayed on --stack.
import { basename, resolve } from 'node:path';
import type { TraceEntry } from '../../harness/trace.js';
import { UsageError } from '../../stacks/usage.js';
import {
  NotExportable,
  checkPacketdrill,
  loadTrace,
  toLadder,
  toMermaid,
  toPacketdrill,
  toPcap,
} from '../../trace/exports.js';
import { runVector } from '../../trace/runner.js';
import { type Vector, VectorError, loadVector } from '../../trace/vector.js';
import { type OptionSpec, checkOutputs, flag, parseCommand, str, writeAtomic } from '../args.js';
import { openStack } from '../session.js';
import type { Out } from '../vectors.js';

const EXPORT_OPTIONS: OptionSpec = {
  pcap: { type: 'string' },
  pkt: { type: 'string' },
  ladder: { type: 'boolean' },
  mermaid: { type: 'string' },
  stack: { type: 'string' },
  config: { type: 'string' },
};

export function loadVectorOrUsage(file: string): Vector {
  try {
    return loadVector(file);
  } catch (e) {
    if (e instanceof VectorError) throw new UsageError(e.message);
    throw e;
  }
}

interface Source {
  trace: TraceEntry[];
  mark?: number;
  note?: string;
}

type Stored = {
  trace?: unknown;
  stack?: string;
  violations?: Array<{ at?: number; property: string; message: string }>;
};

async function sourceOf(
  file: string,
  vec: Vector,
  stack: string,
  config: string | undefined,
  out: Out,
): Promise<Source> {
  const stored = vec.origin as Stored | undefined;
  if (!stored?.trace) {
    const adapter = await openStack(stack, config ? { config } : {});
    const r = await runVector(vec, adapter);
    out(`tcp-conform: exporting ${vec.name} as replayed on ${adapter.name} (${r.status})`);
    return { trace: r.trace };
  }
  let trace: TraceEntry[];
  try {
    trace = loadTrace(stored.trace);
  } catch (e) {
    throw new UsageError(`${file}: ${(e as Error).message}`);
  }
  const v0 = stored.violations?.[0];
  out(
    `tcp-conform: exporting the recorded trace of ${basename(file)} (${trace.length} entries, stack ` +
      `${String(stored.stack ?? '?')})`,
  );
  return {
    trace,
    ...(v0?.at !== undefined ? { mark: v0.at } : {}),
    ...(v0 ? { note: `${v0.property}: ${v0.message}` } : {}),
  };
}

export async function exportCommand(argv: string[], out: Out, errOut: Out = out): Promise<number> {
  const { values: o, positionals } = parseCommand('export', argv, EXPORT_OPTIONS);
  if (positionals.length !== 1) throw new UsageError('export needs exactly one vector or counterexample FILE');
  const pcap = str(o, 'pcap');
  const pkt = str(o, 'pkt');
  const mermaid = str(o, 'mermaid');
  if (!pcap && !pkt && !flag(o, 'ladder') && !mermaid) {
    throw new UsageError('export needs at least one of --pcap OUT.pcap, --pkt OUT.pkt, --ladder, --mermaid OUT.md');
  }
  checkOutputs([
    ['pcap', pcap],
    ['pkt', pkt],
    ['mermaid', mermaid],
  ]);
  const file = resolve(positionals[0]!);
  const vec = loadVectorOrUsage(file);
  const src = await sourceOf(file, vec, str(o, 'stack') ?? 'reference', str(o, 'config'), out);
  if (pcap) {
    writeAtomic(resolve(pcap), toPcap(src.trace));
    out(`pcap: ${pcap} (${src.trace.filter((e) => e.seg).length} packets; open it in Wireshark)`);
  }
  let rc = 0;
  if (pkt) {
    const script = packetdrillOf(src.trace, vec.title);
    if (typeof script === 'string') {
      writeAtomic(resolve(pkt), script);
      out(`packetdrill: ${pkt}`);
    } else {
      errOut(`tcp-conform: no packetdrill script for ${basename(file)}: ${script.reason}`);
      rc = 1;
    }
  }
  const mark = src.mark !== undefined ? { mark: src.mark } : {};
  if (flag(o, 'ladder')) out(toLadder(src.trace, { ...mark, title: vec.title }));
  if (mermaid) {
    writeAtomic(
      resolve(mermaid),
      `# ${vec.title}\n\n${toMermaid(src.trace, { ...mark, ...(src.note ? { note: src.note } : {}) })}`,
    );
    out(`mermaid: ${mermaid}`);
  }
  return rc;
}

function packetdrillOf(trace: TraceEntry[], title: string): string | { reason: string } {
  let script: string;
  try {
    script = toPacketdrill(trace, { title });
  } catch (e) {
    if (e instanceof NotExportable) return { reason: e.message };
    throw e;
  }
  const errors = checkPacketdrill(script);
  if (errors.length) throw new Error(`internal: the packetdrill script fails its own grammar: ${errors.join('; ')}`);
  return script;
}
