/**
 * Static checks of the Helm chart (there is no helm binary in CI): values.yaml and its README
 * table agree, every value carries a comment, and templates only reference existing values.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, parseDocument, visit, type Pair } from 'yaml';

const CHART = path.join(__dirname, 'lanbridge-broker');
const valuesSource = fs.readFileSync(path.join(CHART, 'values.yaml'), 'utf8');
const values = parseDocument(valuesSource).toJS() as Record<string, unknown>;
const readme = fs.readFileSync(path.join(CHART, 'README.md'), 'utf8');

/** Maps whose keys are user data (annotation names, labels): documented as one value. */
const FREE_FORM = new Set(['annotations', 'labels', 'podLabels', 'podAnnotations', 'nodeSelector', 'affinity']);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function leafPaths(obj: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(obj)) {
    const p = prefix ? `${prefix}.${key}` : key;
    if (isPlainObject(value) && !FREE_FORM.has(key) && Object.keys(value).length > 0) out.push(...leafPaths(value, p));
    else out.push(p);
  }
  return out;
}

function exists(p: string): boolean {
  let cur: unknown = values;
  for (const part of p.split('.')) {
    if (!isPlainObject(cur) || !(part in cur)) return false;
    cur = cur[part];
  }
  return true;
}

/** Value names in the first column of the README's table rows: | `a.b` | ... */
const documented = new Set(
  readme
    .split('\n')
    .map((line) => /^\|\s*`([A-Za-z0-9_.]+)`\s*\|/.exec(line)?.[1])
    .filter((x): x is string => x !== undefined),
);

/** First path segments of every route the cloud broker's controllers declare. */
function brokerTopLevelSegments(): Set<string> {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('spec.ts')) files.push(p);
    }
  };
  walk(path.join(__dirname, '..', 'apps', 'cloud-broker', 'src'));
  const out = new Set<string>();
  for (const file of files) {
    const source = fs.readFileSync(file, 'utf8');
    for (const c of source.matchAll(/@Controller\(\s*(?:'([^']*)')?\s*\)/g)) {
      if (c[1]) out.add(c[1].split('/')[0]);
      else
        for (const m of source.matchAll(/@(?:Get|Post|Put|Delete|Patch|All)\(\s*'([^']*)'/g))
          out.add(m[1].split('/')[0]);
    }
  }
  return out;
}

function templateFiles(): string[] {
  const dir = path.join(CHART, 'templates');
  return fs.readdirSync(dir).map((f) => path.join(dir, f));
}

describe('helm/lanbridge-broker', () => {
  const leaves = leafPaths(values);

  it('has values to check', () => {
    expect(leaves.length).toBeGreaterThan(40);
  });

  it('documents every value in the README table', () => {
    expect(leaves.filter((p) => !documented.has(p))).toEqual([]);
  });

  it('documents no value that does not exist', () => {
    expect([...documented].filter((p) => !leaves.includes(p))).toEqual([]);
  });

  it('comments every value in values.yaml', () => {
    const lines = valuesSource.split('\n');
    const lineOf = (offset: number): number => valuesSource.slice(0, offset).split('\n').length - 1;
    const uncommented: string[] = [];
    visit(parseDocument(valuesSource), {
      Pair(_key, pair: Pair) {
        const isParent = isMap(pair.value) && pair.value.items.length > 0 && !pair.value.flow;
        if (isParent || !isScalar(pair.key) || !pair.key.range) return;
        let i = lineOf(pair.key.range[0]) - 1;
        while (i >= 0 && lines[i].trim() === '') i--;
        if (i < 0 || !lines[i].trim().startsWith('#')) uncommented.push(String(pair.key.value));
      },
    });
    expect(uncommented).toEqual([]);
  });

  it('references only existing values in templates', () => {
    const missing: string[] = [];
    for (const file of templateFiles()) {
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
        const p = m[1].slice(1);
        if (!exists(p)) missing.push(`${path.basename(file)}: .Values.${p}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('uses every value somewhere in the templates', () => {
    const all = templateFiles()
      .map((f) => fs.readFileSync(f, 'utf8'))
      .join('\n');
    const unused = leaves.filter((p) => {
      const parts = p.split('.');
      // A value is used when it, or a map containing it, is referenced (toYaml of a whole map).
      return !parts.some((_, i) => new RegExp(`\\.Values\\.${parts.slice(0, i + 1).join('\\.')}\\b`).test(all));
    });
    expect(unused).toEqual([]);
  });

  it('ships defaults that finish every request in flight during a rolling update', () => {
    const v = values as {
      replicaCount: number;
      updateStrategy: { maxSurge: number; maxUnavailable: number };
      broker: { drainTimeoutMs: number };
      shutdown: { preStopSleepSeconds: number; terminationGracePeriodSeconds: number };
    };
    // One pod until the tunnel directory routes between pods (README, "Multiple replicas"); a
    // surge pod keeps the rollout of that one pod lossless for requests in flight.
    expect(v.replicaCount).toBe(1);
    expect(v.updateStrategy.maxSurge).toBeGreaterThanOrEqual(1);
    expect(v.updateStrategy.maxUnavailable).toBe(0);
    expect(v.shutdown.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(
      v.shutdown.preStopSleepSeconds + Math.ceil(v.broker.drainTimeoutMs / 1000) + 5,
    );
    const deployment = fs.readFileSync(path.join(CHART, 'templates/deployment.yaml'), 'utf8');
    expect(deployment).toMatch(/readinessProbe:\s+httpGet:\s+path: \/readyz/);
    expect(deployment).toMatch(/livenessProbe:\s+httpGet:\s+path: \/healthz/);
    expect(deployment).toContain('lanbridge-broker.checkShutdown');
  });

  it('routes between pods only when asked, with the pod IP as the node URL and the peer secret from a Secret', () => {
    const v = values as { cluster: { enabled: boolean; peerSecret: string } };
    expect(v.cluster.enabled).toBe(false);
    const deployment = fs.readFileSync(path.join(CHART, 'templates/deployment.yaml'), 'utf8');
    expect(deployment).toMatch(/if \.Values\.cluster\.enabled[\s\S]*fieldPath: status\.podIP[\s\S]*BROKER_NODE_URL/);
    expect(deployment).toContain('value: "http://$(POD_IP):{{ .Values.broker.port }}"');
    expect(deployment).toMatch(/name: BROKER_PEER_SECRET\s+valueFrom:\s+secretKeyRef:/);
    const helpers = fs.readFileSync(path.join(CHART, 'templates/_helpers.tpl'), 'utf8');
    expect(helpers).toMatch(/and \.Values\.cluster\.enabled \(not \.Values\.redis\.existingSecret\)/);
  });

  it('has a parseable Chart.yaml', () => {
    const chart = parseDocument(fs.readFileSync(path.join(CHART, 'Chart.yaml'), 'utf8')).toJS() as Record<
      string,
      unknown
    >;
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'lanbridge-broker', type: 'application' });
  });

  it('routes every public path of the broker through the Ingress, and none of the internal ones', () => {
    const paths = (values.ingress as { paths: string[] }).paths;
    const routed = (segment: string): boolean =>
      paths.some((p) => p === `/${segment}` || `/${segment}`.startsWith(`${p}/`));
    const served = brokerTopLevelSegments();
    // Served by the broker's own HTTP handlers rather than controllers.
    served.add('t').add('tunnel');
    const internal = ['healthz', 'readyz', 'metrics'];
    for (const segment of internal) expect(served.has(segment)).toBe(true);
    expect([...served].filter((s) => !internal.includes(s) && !routed(s))).toEqual([]);
    expect(internal.filter(routed)).toEqual([]);
  });
});
