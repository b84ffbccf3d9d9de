/**
 * The alerts of deploy/base/prometheusrule.yaml fire when their summaries say, and not before:
 * `promtool test rules` (Debian's prometheus package) runs the unit tests in alert-rules/ and one
 * generated here from libs/kube's informer backoff. Every alert links to a runbook in this
 * repository.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { DEFAULT_BACKOFF } from '@switchyard/kube';
import { describeWith, prometheusBinary } from './support/prometheus-binaries';
import { alertRules, writeRulesFile } from './support/prometheus-rule';

const ROOT = join(__dirname, '../..');
const RULE_TESTS = join(__dirname, 'alert-rules');
const RULES_FILE = 'switchyard-rules.yaml';
const RUNBOOK_URL = /^https:\/\/github\.com\/switchyard\/switchyard\/blob\/main\/(docs\/runbooks\/[\w-]+\.md)$/;

const promtool = prometheusBinary('promtool');
const ruleTestFiles = () => readdirSync(RULE_TESTS).filter((f) => f.endsWith('.test.yaml'));

interface AlertTest {
  readonly alertname: string;
}
interface RuleTestFile {
  readonly tests: ReadonlyArray<{ readonly alert_rule_test?: readonly AlertTest[] }>;
}

function runPromtool(dir: string, ...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(promtool!, args, { cwd: dir, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** A counter series that grows by one every `stepSeconds`, for `minutes`, in promtool's notation. */
function restartSeries(resource: string, reason: string, stepSeconds: number, minutes: number) {
  return {
    series: `switchyard_kube_watch_restarts_total{pod="a", resource="${resource}", reason="${reason}"}`,
    step: stepSeconds,
    values: `1+1x${(minutes * 60) / stepSeconds}`,
  };
}

/**
 * SwitchyardInformerRestarting at the rates the informers really restart: a watch that keeps
 * failing settles at one restart per backoff cap at the slowest (full jitter: half to all of it),
 * while a 410 Gone relist every 2 minutes, or watches the server closes often, are routine.
 */
function informerRuleTest() {
  const capSeconds = DEFAULT_BACKOFF.maxMs / 1000;
  const failing = restartSeries('pods', 'error', capSeconds, 60);
  const routine = restartSeries('nodes', 'gone', 120, 60);
  const closing = restartSeries('leases', 'closed', 5, 60);
  const test = (series: ReturnType<typeof restartSeries>, evaluations: Array<[string, boolean]>) => ({
    interval: `${series.step}s`,
    input_series: [{ series: series.series, values: series.values }],
    alert_rule_test: evaluations.map(([eval_time, fires]) => ({
      eval_time,
      alertname: 'SwitchyardInformerRestarting',
      exp_alerts: fires
        ? [{ exp_labels: { severity: 'warning', resource: /resource="(\w+)"/.exec(series.series)![1] } }]
        : [],
    })),
  });
  return {
    rule_files: [RULES_FILE],
    evaluation_interval: '15s',
    tests: [
      // Over 10 restarts in the 10-minute window 5 minutes into the failure, then `for: 10m`.
      test(failing, [
        ['14m', false],
        ['15m', true],
        ['60m', true],
      ]),
      test(routine, [
        ['30m', false],
        ['60m', false],
      ]),
      test(closing, [
        ['30m', false],
        ['60m', false],
      ]),
    ],
  };
}

describeWith(promtool)('alert rules under promtool', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-rules-'));
    writeRulesFile(dir, RULES_FILE, { annotations: false });
    writeRulesFile(dir, 'annotated-rules.yaml', { annotations: true });
    for (const file of ruleTestFiles()) copyFileSync(join(RULE_TESTS, file), join(dir, file));
    writeFileSync(join(dir, 'informer.test.yaml'), stringify(informerRuleTest()));
  });
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('promtool check rules accepts the groups, with their annotation templates', () => {
    expect(runPromtool(dir, 'check', 'rules', 'annotated-rules.yaml')).toEqual({
      status: 0,
      output: expect.stringContaining('SUCCESS: 8 rules found'),
    });
  });

  it.each([...ruleTestFiles(), 'informer.test.yaml'])('promtool test rules %s passes', (file) => {
    expect(runPromtool(dir, 'test', 'rules', file)).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('the rule tests fail on a rule that fires too early (the check can fail)', () => {
    const early = join(dir, 'early');
    mkdirSync(early);
    const rules = parse(readFileSync(join(dir, RULES_FILE), 'utf8')) as {
      groups: Array<{ rules: Array<{ alert?: string; for?: string }> }>;
    };
    for (const rule of rules.groups.flatMap((g) => g.rules))
      if (rule.alert === 'SwitchyardPodsPendingTooLong') rule.for = '5m';
    writeFileSync(join(early, RULES_FILE), stringify(rules));
    copyFileSync(join(RULE_TESTS, 'control-plane.test.yaml'), join(early, 'control-plane.test.yaml'));
    const result = runPromtool(early, 'test', 'rules', 'control-plane.test.yaml');
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('alertname: SwitchyardPodsPendingTooLong, time: 5m');
  });
});

describe('alert rule coverage and runbooks', () => {
  it('every alert has a promtool test', () => {
    const tested = new Set(
      [
        ...ruleTestFiles().map((f) => parse(readFileSync(join(RULE_TESTS, f), 'utf8')) as RuleTestFile),
        informerRuleTest(),
      ]
        .flatMap((file) => file.tests)
        .flatMap((t) => t.alert_rule_test ?? [])
        .map((t) => t.alertname),
    );
    expect(
      alertRules()
        .map((r) => r.alert)
        .filter((a) => !tested.has(a!)),
    ).toEqual([]);
  });

  it.each(alertRules().map((r) => [r.alert!, r] as const))(
    '%s links to its runbook in docs/runbooks',
    (alert, rule) => {
      const url = rule.annotations?.runbook_url ?? '';
      const path = RUNBOOK_URL.exec(url)?.[1];
      expect([alert, path]).toEqual([alert, `docs/runbooks/${alert}.md`]);
      expect(existsSync(join(ROOT, path!))).toBe(true);
      const runbook = readFileSync(join(ROOT, path!), 'utf8');
      expect(runbook).toMatch(new RegExp(`^# ${alert}\\n`));
      for (const section of ['## What it means', '## How to check', '## What to do'])
        expect(runbook).toContain(section);
    },
  );
});
