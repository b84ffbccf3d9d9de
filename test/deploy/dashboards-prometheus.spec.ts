/**
 * The dashboards and alerts against a real Prometheus (Debian's package) scraping a running
 * control plane every second: every panel query, variable query and alert expression runs through
 * the HTTP API without an error, every rule evaluates cleanly, and the panels show what they say
 * on data made to expose their old mistakes (a rack cut to 0 W, the override table's columns).
 * The top-racks panels also run under `promtool test rules` on series the app cannot produce
 * without placing pods (a rack cut to 0 W with work still on it).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ScopeSummary } from '@switchyard/inventory';
import { startTestControlPlane, type RunningControlPlane } from './support/control-plane';
import { dashboardExpressions, dashboardFiles, panelOf, readDashboard, ruleExpressions } from './support/dashboards';
import { describeWith, prometheusBinary } from './support/prometheus-binaries';
import { writeRulesFile } from './support/prometheus-rule';
import { PrometheusServer } from './support/prometheus-server';

const prometheus = prometheusBinary('prometheus');
const promtool = prometheusBinary('promtool');
const hour = 3_600_000;

describeWith(prometheus)('dashboards and alerts on a real Prometheus', () => {
  let app: RunningControlPlane;
  let server: PrometheusServer;
  let dir: string;
  let scopes: ScopeSummary[];
  let hall: ScopeSummary;
  let zeroRack: ScopeSummary;

  /** Grafana's variables as the dashboards would set them for the first hall and its first row. */
  const withVariables = (expr: string) =>
    expr
      .replace(/\$\{?__rate_interval\}?/g, '1m')
      .replace(/\$\{?job\}?/g, 'switchyard')
      .replace(/\$\{?hall\}?/g, hall.path)
      .replace(/\$\{?row\}?/g, scopes.find((s) => s.kind === 'row' && s.parentId === hall.id)!.path);

  const instant = async (expr: string) => {
    const answer = await server.query(withVariables(expr));
    expect([expr, answer.status, answer.error]).toEqual([expr, 'success', undefined]);
    return answer.data!.result.map((r) => ({ scope: r.metric.scope, value: Number(r.value[1]) }));
  };

  beforeAll(async () => {
    app = await startTestControlPlane();
    scopes = await app.handle.inventory.scopes.summaries();
    hall = scopes.find((s) => s.kind === 'hall')!;
    zeroRack = scopes.find((s) => s.kind === 'rack' && s.path.startsWith(`${hall.path}/`))!;
    const override = await fetch(`${app.handle.url}/api/v1/budget-overrides`, {
      method: 'POST',
      headers: { ...app.adminAuth, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        scopeId: zeroRack.id,
        watts: 0,
        startsAt: new Date(Date.now() - hour).toISOString(),
        endsAt: new Date(Date.now() + hour).toISOString(),
        reason: 'rack maintenance',
      }),
    });
    expect(override.status).toBe(201);

    dir = mkdtempSync(join(tmpdir(), 'switchyard-prometheus-rules-'));
    server = await PrometheusServer.start({
      binary: prometheus!,
      target: new URL(app.handle.url).host,
      rulesFile: writeRulesFile(dir, 'switchyard-rules.yaml', { annotations: true }),
    });
    // The scope series are read from the database at most every 10 s: wait for one that shows the override.
    await server.queryUntil(
      `switchyard_scope_budget_override_watts{scope="${zeroRack.path}"}`,
      (result) => result.length === 1,
    );
  });

  afterAll(async () => {
    await server?.stop();
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(dashboardFiles())('every query of %s runs without an error', async (file) => {
    const expressions = dashboardExpressions(file, readDashboard(file));
    expect(expressions.length).toBeGreaterThan(10);
    for (const { expr } of expressions) await instant(expr);
  });

  it('every alert expression runs without an error, and every rule evaluates cleanly', async () => {
    for (const { expr } of ruleExpressions()) await instant(expr);
    const evaluated = await server.evaluatedRules();
    expect(evaluated.length).toBe(ruleExpressions().length);
    expect(evaluated.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError}`)).toEqual([]);
  });

  it.each([
    ['switchyard-fleet.json', 10],
    ['switchyard-power.json', 17],
  ])('the top-racks panel of %s (id %d) keeps a rack cut to 0 W, at 100% while empty', async (file, id) => {
    const shown = await instant(panelOf(file, id).targets![0].expr!);
    expect(shown.find((r) => r.scope === zeroRack.path)).toEqual({ scope: zeroRack.path, value: 1 });
    // The other racks are empty: 0% of a budget above 0.
    expect(shown.filter((r) => r.scope !== zeroRack.path).every((r) => r.value === 0)).toBe(true);
    expect(shown[0].scope).toBe(zeroRack.path);
  });

  it('the overrides table shows the override and the nominal budget it replaces', async () => {
    const [overrideWatts, replaced] = panelOf('switchyard-fleet.json', 12).targets!;
    expect(await instant(overrideWatts.expr!)).toEqual([{ scope: zeroRack.path, value: 0 }]);
    const nominal = Math.floor(zeroRack.capacityWatts * zeroRack.oversubscriptionRatio);
    expect(nominal).toBeGreaterThan(0);
    expect(await instant(replaced.expr!)).toEqual([{ scope: zeroRack.path, value: nominal }]);
  });
});

/** The top-racks panels on racks the running app cannot show without placing pods: a 0 W budget with work on it. */
describeWith(promtool)('the top-racks panels under promtool', () => {
  const racks: Array<{ scope: string; predicted: number; budget: number; shown: number }> = [
    { scope: 's/h1/r1/k1', predicted: 5_000, budget: 0, shown: Infinity }, // cut to 0 W with work on it: first
    { scope: 's/h1/r1/k2', predicted: 30_000, budget: 40_000, shown: 0.75 },
    { scope: 's/h1/r1/k3', predicted: 0, budget: 0, shown: 1 }, // cut to 0 W and empty: full
  ];
  const series = racks.flatMap((r) => [
    {
      series: `switchyard_scope_predicted_watts{job="switchyard", scope="${r.scope}", scope_kind="rack"}`,
      values: `${r.predicted}`,
    },
    {
      series: `switchyard_scope_budget_watts{job="switchyard", scope="${r.scope}", scope_kind="rack"}`,
      values: `${r.budget}`,
    },
  ]);

  it.each([
    ['switchyard-fleet.json', 10],
    ['switchyard-power.json', 17],
  ])('%s panel %d shows a 0 W rack with work as infinity, an empty one at 100%, others by ratio', (file, id) => {
    const expr = panelOf(file, id)
      .targets![0].expr!.replace(/\$job/g, 'switchyard')
      .replace(/\$hall/g, 's/h1');
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-panel-'));
    try {
      const exp_samples = racks.map((r) => ({ labels: `{scope="${r.scope}"}`, value: r.shown }));
      const test = {
        tests: [{ interval: '1m', input_series: series, promql_expr_test: [{ expr, eval_time: '0m', exp_samples }] }],
      };
      writeFileSync(join(dir, 'panel.test.yaml'), stringify(test));
      const result = spawnSync(promtool!, ['test', 'rules', 'panel.test.yaml'], { cwd: dir, encoding: 'utf8' });
      expect({ status: result.status, output: `${result.stdout}${result.stderr}` }).toEqual({
        status: 0,
        output: expect.stringContaining('SUCCESS'),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
