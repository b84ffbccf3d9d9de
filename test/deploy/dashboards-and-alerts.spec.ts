/**
 * The Grafana dashboards in deploy/grafana and the PrometheusRule in deploy/base ask only for
 * metrics the control plane really exports: every PromQL expression is parsed with Prometheus's
 * grammar, and each metric name in it is looked up in the /metrics of a running control plane
 * (real PostgreSQL, the embedded Kubernetes API, so the scheduler's metrics are registered).
 * Also: the dashboards are valid JSON with unique panel ids and a `${datasource}` variable.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { stringifyTopology } from '@switchyard/contracts';
import { METRIC_DEFINITIONS } from '@switchyard/telemetry';
import { startControlPlane, type ControlPlaneHandle } from '../../apps/control-plane/src/main';
import { smallTopology } from '../http/support/http-test-app';
import { openTestDatabase, type TestDatabase } from '../support/database';
import {
  exportedSeriesNames,
  metricNamesOf,
  promqlOfVariableQuery,
  substituteGrafanaVariables,
} from './support/promql-metric-names';

const ROOT = join(__dirname, '../..');
const GRAFANA = join(ROOT, 'deploy/grafana');
const RULES = join(ROOT, 'deploy/base/prometheusrule.yaml');

/** Series Prometheus makes itself for every target, not the app. */
const PROMETHEUS_SERIES = new Set(['up']);

interface Panel {
  id?: number;
  type?: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  targets?: Array<{ refId?: string; expr?: string; datasource?: { uid?: string } }>;
  panels?: Panel[];
}
interface Dashboard {
  uid?: string;
  title?: string;
  schemaVersion?: number;
  panels?: Panel[];
  templating?: {
    list?: Array<{ name: string; type: string; query?: string | { query?: string }; definition?: string }>;
  };
}

/** One PromQL expression and where it was found, for failure messages. */
interface Expression {
  readonly where: string;
  readonly expr: string;
}

const dashboardFiles = () => readdirSync(GRAFANA).filter((f) => f.endsWith('.json'));

function allPanels(panels: readonly Panel[] = []): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels)]);
}

function dashboardExpressions(file: string, dashboard: Dashboard): Expression[] {
  const found: Expression[] = [];
  for (const panel of allPanels(dashboard.panels)) {
    for (const target of panel.targets ?? []) {
      if (target.expr !== undefined)
        found.push({ where: `${file} panel "${panel.title}" ${target.refId}`, expr: target.expr });
    }
  }
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    const query = typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? '');
    const expr = promqlOfVariableQuery(query);
    if (expr !== undefined) found.push({ where: `${file} variable $${variable.name}`, expr });
  }
  return found;
}

function ruleExpressions(): Expression[] {
  return parseAllDocuments(readFileSync(RULES, 'utf8')).flatMap((doc) => {
    const rule = doc.toJSON() as {
      spec: { groups: Array<{ name: string; rules: Array<{ alert?: string; record?: string; expr: string }> }> };
    };
    return rule.spec.groups.flatMap((g) =>
      g.rules.map((r) => ({ where: `prometheusrule ${g.name}/${r.alert ?? r.record}`, expr: String(r.expr) })),
    );
  });
}

/** Every expression's metrics that `exported` lacks, and every expression that does not parse. */
function unknownMetrics(expressions: readonly Expression[], exported: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const { where, expr } of expressions) {
    const { metrics, errors } = metricNamesOf(substituteGrafanaVariables(expr));
    for (const error of errors) problems.push(`${where}: ${error}`);
    for (const metric of metrics) {
      if (!exported.has(metric) && !PROMETHEUS_SERIES.has(metric)) problems.push(`${where}: unknown metric ${metric}`);
    }
  }
  return problems;
}

describe('Grafana dashboards', () => {
  it.each(dashboardFiles())('%s is a valid dashboard with unique panel ids and a ${datasource} variable', (file) => {
    const dashboard = JSON.parse(readFileSync(join(GRAFANA, file), 'utf8')) as Dashboard;
    expect(dashboard.uid).toMatch(/^switchyard-/);
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39); // Grafana 11+
    const panels = allPanels(dashboard.panels);
    expect(panels.length).toBeGreaterThan(5);
    const ids = panels.map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboard.templating?.list?.find((v) => v.name === 'datasource')).toMatchObject({
      type: 'datasource',
      query: 'prometheus',
    });
    for (const panel of panels.filter((p) => p.type !== 'row')) {
      expect([panel.title, panel.datasource?.uid]).toEqual([panel.title, '${datasource}']);
      expect(panel.targets?.length).toBeGreaterThan(0);
      const refIds = panel.targets!.map((t) => t.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
      for (const target of panel.targets!) expect(target.datasource?.uid ?? '${datasource}').toBe('${datasource}');
    }
  });

  it('the kustomization ships every dashboard file', () => {
    const text = readFileSync(join(GRAFANA, 'kustomization.yaml'), 'utf8');
    for (const file of dashboardFiles()) expect(text).toContain(`- ${file}`);
    expect(text).toMatch(/grafana_dashboard: '1'/);
  });
});

describe('the metrics that the dashboards and alerts use are exported', () => {
  let db: TestDatabase;
  let dir: string;
  let handle: ControlPlaneHandle;
  let exported: Set<string>;

  beforeAll(async () => {
    db = await openTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'switchyard-metrics-'));
    const seed = join(dir, 'topology.yaml');
    writeFileSync(seed, stringifyTopology(smallTopology()));
    // The whole control plane as `npm start` runs it, with the embedded Kubernetes API.
    handle = await startControlPlane({
      env: {
        DATABASE_URL: db.url,
        SWITCHYARD_DATA_DIR: dir,
        SWITCHYARD_SEED_TOPOLOGY: seed,
        LOG_LEVEL: 'silent',
        HOST: '127.0.0.1',
        PORT: '0',
      },
      print: () => undefined,
    });
    const res = await fetch(`${handle.url}/metrics`);
    expect(res.status).toBe(200);
    exported = exportedSeriesNames(await res.text());
  });

  afterAll(async () => {
    await handle?.close();
    await db?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the running app exports the scheduler, informer, scope and HTTP metrics', () => {
    for (const name of [
      'switchyard_leader',
      'switchyard_scheduling_attempts_total',
      'switchyard_scheduling_bind_duration_seconds_bucket',
      'switchyard_kube_watch_events_total',
      'switchyard_scope_budget_watts',
      'switchyard_http_request_duration_seconds_count',
    ])
      expect([name, exported.has(name)]).toEqual([name, true]);
  });

  it('every metric defined in libs/telemetry is registered by the running app', () => {
    const names = METRIC_DEFINITIONS.map((d) => (d.type === 'histogram' ? `${d.name}_bucket` : d.name));
    expect(names.filter((n) => !exported.has(n))).toEqual([]);
  });

  it.each(dashboardFiles())('every PromQL expression of %s parses and names exported metrics only', (file) => {
    const dashboard = JSON.parse(readFileSync(join(GRAFANA, file), 'utf8')) as Dashboard;
    const expressions = dashboardExpressions(file, dashboard);
    expect(expressions.length).toBeGreaterThan(10);
    expect(unknownMetrics(expressions, exported)).toEqual([]);
  });

  it('every PrometheusRule expression parses and names exported metrics only', () => {
    const expressions = ruleExpressions();
    expect(expressions.length).toBeGreaterThan(3);
    expect(unknownMetrics(expressions, exported)).toEqual([]);
  });

  it('the check fails on an unknown metric, a misspelt suffix and bad syntax', () => {
    const dashboard: Dashboard = {
      panels: [
        {
          id: 1,
          title: 'measured',
          targets: [
            { refId: 'A', expr: 'max by (scope) (switchyard_scope_measured_watts{scope_kind="hall"})' },
            { refId: 'B', expr: 'rate(switchyard_http_request_duration_seconds_total[$__rate_interval])' },
            { refId: 'C', expr: 'sum(switchyard_leader' },
          ],
        },
      ],
      templating: { list: [{ name: 'hall', type: 'query', query: { query: 'label_values(switchyard_nope, scope)' } }] },
    };
    const problems = unknownMetrics(dashboardExpressions('test.json', dashboard), exported);
    expect(problems).toEqual(
      expect.arrayContaining([
        'test.json panel "measured" A: unknown metric switchyard_scope_measured_watts',
        'test.json panel "measured" B: unknown metric switchyard_http_request_duration_seconds_total',
        expect.stringMatching(/^test.json panel "measured" C: syntax error/),
        'test.json variable $hall: unknown metric switchyard_nope',
      ]),
    );
  });
});
