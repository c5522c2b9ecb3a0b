// The layers' dependency rules (docs/architecture.md, "The layers"), read from the import statements of
// shared/: helm and the routers never import each other (chart-owned routing re-renders through the
// SlotRenderer port of core/rendering.ts), only the tasks import the lifecycle, the pure decisions import
// nothing but the domain, and the input readers load no router implementation.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../../scripts/taskjson';

const root = repoRoot;

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return sources(rel);
    return e.name.endsWith('.ts') ? [rel] : [];
  });
}

/** The repository paths (without .ts) a file imports, also through `require` and `import()`. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  return [...text.matchAll(/(?:from|require\(|import\()\s*'(\.{1,2}\/[^']+)'/g)].map((m) => path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]!)));
}

const all = [...sources('shared'), ...sources('tasks')];
const under = (prefix: string) => (p: string) => p === prefix || p.startsWith(`${prefix}/`);

/** Every import of a file under `from` that points under `to` (except the allowed targets). */
function violations(from: string, to: string, allowed: string[] = []): string[] {
  return all
    .filter(under(from))
    .flatMap((file) => importsOf(file).filter((target) => under(to)(target) && !allowed.some((a) => under(a)(target))).map((target) => `${file} -> ${target}`));
}

describe('layers: the import rules of shared/', () => {
  it('finds the imports it checks (the rules are not vacuous)', () => {
    assert.ok(all.length > 60, `${all.length} source files`);
    assert.ok(importsOf('shared/lifecycle/context.ts').includes('shared/helm/rerender'));
    assert.ok(importsOf('shared/routers/chart.ts').includes('shared/routers/router'));
  });

  it('helm never imports a router or the lifecycle', () => {
    assert.deepEqual([...violations('shared/helm', 'shared/routers'), ...violations('shared/helm', 'shared/lifecycle')], []);
  });

  it('routers never import helm or the lifecycle (re-rendering goes through core/rendering.ts)', () => {
    assert.deepEqual([...violations('shared/routers', 'shared/helm'), ...violations('shared/routers', 'shared/lifecycle')], []);
  });

  it('only the tasks import the lifecycle', () => {
    const outside = all.filter((f) => !under('shared/lifecycle')(f) && !under('tasks')(f));
    const bad = outside.flatMap((file) => importsOf(file).filter(under('shared/lifecycle')).map((t) => `${file} -> ${t}`));
    assert.deepEqual(bad, []);
  });

  it('the pure decisions import only the domain', () => {
    for (const file of ['shared/core/model.ts', 'shared/core/plans.ts', 'shared/core/rollback-plan.ts']) {
      const outside = importsOf(file).filter((t) => !under('shared/core')(t));
      assert.deepEqual(outside, [], file);
    }
  });

  it('kubernetes, azure, connection and inputs import no router implementation and no lifecycle', () => {
    const bad = ['shared/kubernetes', 'shared/azure', 'shared/connection', 'shared/inputs'].flatMap((layer) => [
      ...violations(layer, 'shared/routers', ['shared/routers/capabilities']),
      ...violations(layer, 'shared/lifecycle'),
    ]);
    assert.deepEqual(bad, []);
  });
});
