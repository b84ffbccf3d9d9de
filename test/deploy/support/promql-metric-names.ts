/**
 * Metric names out of the PromQL of Grafana dashboards and Prometheus rules, through Prometheus's
 * own PromQL grammar (@prometheus-io/lezer-promql, the one its web UI uses).
 */
import { parser } from '@prometheus-io/lezer-promql';

/** Grafana's built-in interval variables become a duration; any other `$var` / `${var}` a plain word. */
export function substituteGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$\{?__(rate_interval|interval|range)(_ms|_s)?\}?/g, '5m')
    .replace(/\$\{(\w+)(:\w+)?\}|\$(\w+)/g, 'x');
}

export interface ParsedPromQL {
  readonly metrics: string[];
  /** Syntax errors (position and the text around it); empty for valid PromQL. */
  readonly errors: string[];
}

/** The metric names of every vector selector in `expr`, or the syntax errors that stop that. */
export function metricNamesOf(expr: string): ParsedPromQL {
  const tree = parser.parse(expr);
  const metrics = new Set<string>();
  const errors: string[] = [];
  const cursor = tree.cursor();
  do {
    if (cursor.type.isError)
      errors.push(`syntax error at ${cursor.from}: ...${expr.slice(cursor.from, cursor.from + 20)}`);
    if (cursor.name === 'VectorSelector') {
      const selector = cursor.node;
      const identifier = selector.getChild('Identifier');
      if (identifier) metrics.add(expr.slice(identifier.from, identifier.to));
      else errors.push(`selector without a metric name: ${expr.slice(selector.from, selector.to)}`);
    }
  } while (cursor.next());
  return { metrics: [...metrics], errors };
}

/**
 * The PromQL inside a Grafana query variable: `label_values(selector, label)` (its selector),
 * `query_result(expr)`, or `label_values(label)` (no metric). Anything else is returned as is.
 */
export function promqlOfVariableQuery(query: string): string | undefined {
  const q = query.trim();
  const labelValues = /^label_values\((.*),\s*\w+\s*\)$/s.exec(q);
  if (labelValues) return labelValues[1];
  if (/^label_values\(\s*\w+\s*\)$/.test(q)) return undefined;
  const queryResult = /^query_result\((.*)\)$/s.exec(q);
  if (queryResult) return queryResult[1];
  return q;
}

/**
 * Series names a scrape offers, from the `# TYPE` lines of a text exposition: a histogram is
 * queried as `_bucket`, `_sum` and `_count`, a summary as itself, `_sum` and `_count`.
 */
export function exportedSeriesNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const match of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = match;
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    else if (type === 'summary') for (const suffix of ['', '_sum', '_count']) names.add(name + suffix);
    else names.add(name);
  }
  return names;
}
