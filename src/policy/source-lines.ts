import { isNode, LineCounter, parseDocument, type Document } from 'yaml';

export type PolicyPath = ReadonlyArray<string | number>;

/** `roles.agent.can[0].fields` */
export function formatPath(path: PolicyPath): string {
  return path.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${part}` : part), '') || '(root)';
}

/**
 * A parsed YAML policy that can say on which line a path sits, so every problem reads
 * `file:line path: what is wrong`. A path that does not exist (a missing key) points at
 * its nearest existing parent.
 */
export class PolicySource {
  private readonly lines = new LineCounter();
  readonly doc: Document;

  constructor(readonly text: string) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false });
  }

  get errors(): string[] {
    return this.doc.errors.map((e) => `line ${e.linePos?.[0].line ?? '?'}: ${e.message.split('\n')[0]}`);
  }

  lineOf(path: PolicyPath): number {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = this.doc.getIn(path.slice(0, depth), true);
      if (isNode(node) && node.range) return this.lines.linePos(node.range[0]).line;
    }
    return 1;
  }
}
