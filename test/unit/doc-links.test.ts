// The repository's documentation stands on its own: every relative link in its Markdown files resolves to
// a file of the repository (and to a heading, when it names one), and nothing, in the docs or in the code,
// points at design notes kept outside it (`../shared/...` beyond the repository root), which a clone does
// not have.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../../scripts/taskjson';

const SKIP_DIRS = new Set(['node_modules', 'dist', 'build', 'out', '.cache', '.git', 'fixtures']);

function walk(dir: string, keep: (file: string) => boolean, found: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP_DIRS.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && !entry.isSymbolicLink()) walk(full, keep, found);
    else if (entry.isFile() && keep(full)) found.push(full);
  }
  return found;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = fs.readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const match of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(match[1] ?? '');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n ? `${base}-${n}` : base);
  }
  return anchors;
}

/** Relative link targets of a Markdown file (inline links and images; code blocks and spans skipped). */
export function relativeLinks(markdown: string): string[] {
  const text = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  const targets = [...text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] ?? '');
  return targets.filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

const markdownFiles = () => walk(repoRoot, (f) => f.endsWith('.md'));

describe('documentation links', () => {
  it('finds the links of a Markdown text, not those in code', () => {
    const md = '[a](docs/x.md) ![i](images/l.png "t") [web](https://x.y) [m](mailto:a@b) `[no](c.md)`\n```\n[no](d.md)\n```\n[s](#top)';
    assert.deepEqual(relativeLinks(md), ['docs/x.md', 'images/l.png', '#top']);
    assert.equal(slug('Per router and routing mode'), 'per-router-and-routing-mode');
    assert.equal(slug('`promote`: OnSuccess (2 s)'), 'promote-onsuccess-2-s');
  });

  it('the repository has the Markdown files a newcomer starts from', () => {
    const names = markdownFiles().map((f) => path.relative(repoRoot, f));
    for (const expected of ['README.md', 'overview.md', 'CONTRIBUTING.md', 'docs/architecture.md', 'docs/guarantees.md']) assert.ok(names.includes(expected), `${expected} is missing`);
    assert.ok(names.some((n) => n.startsWith('docs/decisions/')), 'docs/decisions/ has no record');
  });

  it('every relative link in every Markdown file resolves to a file (and heading) inside the repository', () => {
    const broken: string[] = [];
    for (const file of markdownFiles()) {
      const where = path.relative(repoRoot, file);
      for (const link of relativeLinks(fs.readFileSync(file, 'utf8'))) {
        const [target, anchor] = link.split('#');
        const resolved = target ? path.resolve(path.dirname(file), decodeURIComponent(target)) : file;
        if (path.relative(repoRoot, resolved).startsWith('..')) broken.push(`${where}: ${link} leaves the repository`);
        else if (!fs.existsSync(resolved)) broken.push(`${where}: ${link} does not exist`);
        else if (anchor && resolved.endsWith('.md') && !anchorsOf(resolved).has(anchor.toLowerCase())) broken.push(`${where}: ${link} names no heading of ${path.relative(repoRoot, resolved)}`);
      }
    }
    assert.deepEqual(broken, []);
  });

  it('no file refers to notes outside the repository (../shared/ beyond its root)', () => {
    const offenders: string[] = [];
    for (const file of walk(repoRoot, (f) => /\.(ts|md|json|ya?ml)$/.test(f) && !f.endsWith('package-lock.json'))) {
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        for (const match of line.matchAll(/((?:\.\.\/)+)shared\b/g)) {
          // `../shared/x` from a file inside the repository is the project's own core folder when it stays inside.
          if (path.relative(repoRoot, path.resolve(path.dirname(file), match[1] ?? '', 'shared')).startsWith('..')) offenders.push(`${path.relative(repoRoot, file)}:${i + 1}: ${line.trim()}`);
        }
        if (/\bDESIGN(\.md| invariants?)\b/.test(line) && !file.endsWith('doc-links.test.ts')) offenders.push(`${path.relative(repoRoot, file)}:${i + 1}: ${line.trim()}`);
      });
    }
    assert.deepEqual(offenders, []);
  });
  it('no working notes in the code: no TODO or FIXME, no issue numbers or work-log markers', () => {
    const notes = /\b(TODO|FIXME|XXX|HACK)\b|\bIssue \d+\b|\bCONTRACT\b|foundation work/;
    const offenders: string[] = [];
    for (const dir of ['shared', 'tasks', 'scripts', 'test']) {
      for (const file of walk(path.join(repoRoot, dir), (f) => f.endsWith('.ts') && !f.endsWith('doc-links.test.ts'))) {
        fs.readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
          if (notes.test(line)) offenders.push(`${path.relative(repoRoot, file)}:${i + 1}: ${line.trim()}`);
        });
      }
    }
    assert.deepEqual(offenders, []);
  });
});
