/** The Grafana dashboards of deploy/grafana and the PromQL of their panels, variables and of the alert rules. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promqlOfVariableQuery } from './promql-metric-names';
import { prometheusRuleGroups } from './prometheus-rule';

export const GRAFANA = join(__dirname, '../../../deploy/grafana');

export interface Target {
  refId?: string;
  expr?: string;
  instant?: boolean;
  format?: string;
  datasource?: { uid?: string };
}
export interface Panel {
  id?: number;
  type?: string;
  title?: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
export interface Dashboard {
  uid?: string;
  title?: string;
  schemaVersion?: number;
  panels?: Panel[];
  templating?: {
    list?: Array<{ name: string; type: string; query?: string | { query?: string }; definition?: string }>;
  };
}

/** One PromQL expression and where it was found, for failure messages. */
export interface Expression {
  readonly where: string;
  readonly expr: string;
}

export const dashboardFiles = () => readdirSync(GRAFANA).filter((f) => f.endsWith('.json'));

export const readDashboard = (file: string) => JSON.parse(readFileSync(join(GRAFANA, file), 'utf8')) as Dashboard;

export function allPanels(panels: readonly Panel[] = []): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels)]);
}

/** The panel of `file` with that id (a test's way to name a panel that keeps working if it is retitled). */
export function panelOf(file: string, id: number): Panel {
  const panel = allPanels(readDashboard(file).panels).find((p) => p.id === id);
  if (!panel) throw new Error(`${file} has no panel ${id}`);
  return panel;
}

export function dashboardExpressions(file: string, dashboard: Dashboard): Expression[] {
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

export function ruleExpressions(): Expression[] {
  return prometheusRuleGroups().flatMap((g) =>
    g.rules.map((r) => ({ where: `prometheusrule ${g.name}/${r.alert ?? r.record}`, expr: String(r.expr) })),
  );
}
