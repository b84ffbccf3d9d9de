/**
 * The Grafana dashboards in deploy/grafana and the PrometheusRule in deploy/base ask only for
 * metrics the control plane really exports: every PromQL expression is parsed with Prometheus's
 * grammar, and each metric name in it is looked up in the /metrics of a running control plane
 * (real PostgreSQL, the embedded Kubernetes API, so the scheduler's metrics are registered).
 * Also: the dashboards are valid JSON with unique panel ids and a `${datasource}` variable.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRIC_DEFINITIONS } from '@switchyard/telemetry';
import { startTestControlPlane, type RunningControlPlane } from './support/control-plane';
import {
  GRAFANA,
  allPanels,
  dashboardExpressions,
  dashboardFiles,
  readDashboard,
  ruleExpressions,
  type Dashboard,
  type Expression,
} from './support/dashboards';
import { exportedSeriesNames, metricNamesOf, substituteGrafanaVariables } from './support/promql-metric-names';

/** Series Prometheus makes itself for every target, not the app. */
const PROMETHEUS_SERIES = new Set(['up']);

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
    const dashboard = readDashboard(file);
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
  let app: RunningControlPlane;
  let exported: Set<string>;

  beforeAll(async () => {
    app = await startTestControlPlane();
    const res = await fetch(`${app.handle.url}/metrics`);
    expect(res.status).toBe(200);
    exported = exportedSeriesNames(await res.text());
  });

  afterAll(() => app?.close());

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
    const dashboard = readDashboard(file);
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
