/** The rule groups of deploy/base/prometheusrule.yaml, as the plain rules file Prometheus loads. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

export const PROMETHEUS_RULE = join(__dirname, '../../../deploy/base/prometheusrule.yaml');

export interface Rule {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly Rule[];
}

export function prometheusRuleGroups(): RuleGroup[] {
  return (parse(readFileSync(PROMETHEUS_RULE, 'utf8')) as { spec: { groups: RuleGroup[] } }).spec.groups;
}

export function alertRules(): Rule[] {
  return prometheusRuleGroups().flatMap((g) => g.rules.filter((r) => r.alert !== undefined));
}

/**
 * Writes the groups to `dir/file`; without annotations for `promtool test rules`, whose expected
 * alerts would otherwise have to repeat every rendered summary.
 */
export function writeRulesFile(dir: string, file: string, options: { annotations: boolean }): string {
  const groups = prometheusRuleGroups().map((g) => ({
    ...g,
    rules: g.rules.map(({ annotations, ...rule }) => (options.annotations ? { ...rule, annotations } : rule)),
  }));
  const path = join(dir, file);
  writeFileSync(path, stringify({ groups }));
  return path;
}
