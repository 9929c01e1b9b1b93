import { readFileSync } from 'node:fs';

/** The parts of a V8 .cpuprofile this summary reads. */
interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

type Frame = CpuProfile['nodes'][number];

/** Where a frame's code lives: an npm package, a folder of our own source, or a V8 state. */
function owner(frame: Frame): string | null {
  const { functionName, url } = frame.callFrame;
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (functionName === '(program)') return 'V8 (program)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `npm ${pkg[1]}`;
  const own = /\/(?:dist\/)?src\/([^/]+)\//.exec(url);
  return own ? `src/${own[1]}` : null;
}

/**
 * Where the time of a profile went, by owner: each sample goes to the innermost frame
 * that belongs to a package or to our source, so time in Node's internals and in
 * system calls (a socket write) counts for the code that asked for it. Also the
 * functions with the most time of their own.
 */
export function summariseProfile(file: string, top = 15): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parentOf.set(child, n.id);
  const time = new Map<number, number>();
  profile.samples.forEach((id, i) => time.set(id, (time.get(id) ?? 0) + profile.timeDeltas[i]!));
  const total = [...time.values()].reduce((a, b) => a + b, 0);
  const byOwner = new Map<string, number>();
  const bySelf = new Map<string, number>();
  for (const [id, t] of time) {
    const frame = byId.get(id)!;
    const self = `${frame.callFrame.functionName || '(anonymous)'} ${frame.callFrame.url.replace(/^.*\/(node_modules|dist|src)\//, '$1/')}:${frame.callFrame.lineNumber + 1}`;
    bySelf.set(self, (bySelf.get(self) ?? 0) + t);
    let cur: number | undefined = id;
    let who: string | null = null;
    while (cur !== undefined && !(who = owner(byId.get(cur)!))) cur = parentOf.get(cur);
    who ??= 'node internals';
    byOwner.set(who, (byOwner.get(who) ?? 0) + t);
  }
  const rows = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, t]) => `| ${((100 * t) / total).toFixed(1)} % | ${k} |`);
  return [
    '| share | where (innermost package or source folder) |',
    '|---|---|',
    ...rows(byOwner),
    '',
    '| share | function, self time |',
    '|---|---|',
    ...rows(bySelf),
  ].join('\n');
}
