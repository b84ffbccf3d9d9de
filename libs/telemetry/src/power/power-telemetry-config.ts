import { ExporterPowerSource } from './exporter-power-source';
import type { PowerInventory, PowerTelemetry } from './power-reading';
import { POWER_READ_DEFAULTS } from './power-source-timing';
import { PrometheusPowerSource } from './prometheus-power-source';

/** Where measured power comes from, read once at start. */
export interface PowerTelemetryConfig {
  /** SWITCHYARD_PROMETHEUS_URL; null = read the embedded API's simulated exporters directly. */
  readonly prometheusUrl: string | null;
  /** SWITCHYARD_PROMETHEUS_TIMEOUT_MS (default 5000): one read is abandoned after this. */
  readonly timeoutMs: number;
  /** SWITCHYARD_POWER_MAX_AGE_MS (default 30000): an older sample is stale. */
  readonly maxAgeMs: number;
  /** SWITCHYARD_PROMETHEUS_NODE_LABEL (default `node`): the label naming the node on IPMI series. */
  readonly nodeLabel: string;
}

/** Same shape as the control plane's configuration problems, so they can be reported together. */
export interface PowerTelemetryConfigProblem {
  readonly variable: string;
  readonly message: string;
}

const POSITIVE_MS = /^[1-9]\d{0,8}$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Reads the power telemetry variables; every bad one is a problem naming it (and the config is then unusable). */
export function readPowerTelemetryConfig(env: Readonly<Record<string, string | undefined>>): {
  config: PowerTelemetryConfig;
  problems: PowerTelemetryConfigProblem[];
} {
  const problems: PowerTelemetryConfigProblem[] = [];
  const text = (name: string) => (env[name]?.trim() ? env[name]!.trim() : undefined);
  const millis = (name: string, fallback: number) => {
    const value = text(name);
    if (value === undefined) return fallback;
    if (POSITIVE_MS.test(value)) return Number(value);
    problems.push({ variable: name, message: 'must be a positive integer (milliseconds)' });
    return fallback;
  };
  const url = text('SWITCHYARD_PROMETHEUS_URL');
  if (url !== undefined && !/^https?:\/\/[^/\s]+/.test(url))
    problems.push({ variable: 'SWITCHYARD_PROMETHEUS_URL', message: 'must be an http:// or https:// URL' });
  const nodeLabel = text('SWITCHYARD_PROMETHEUS_NODE_LABEL') ?? 'node';
  if (!LABEL_NAME.test(nodeLabel))
    problems.push({ variable: 'SWITCHYARD_PROMETHEUS_NODE_LABEL', message: 'must be a Prometheus label name' });
  return {
    config: {
      prometheusUrl: url ?? null,
      timeoutMs: millis('SWITCHYARD_PROMETHEUS_TIMEOUT_MS', POWER_READ_DEFAULTS.timeoutMs),
      maxAgeMs: millis('SWITCHYARD_POWER_MAX_AGE_MS', POWER_READ_DEFAULTS.maxAgeMs),
      nodeLabel,
    },
    problems,
  };
}

/**
 * The power telemetry port for a configuration: Prometheus when its URL is set, else the
 * simulated exporters of the embedded Kubernetes API (`exporters`), else an error saying what to set.
 */
export function createPowerTelemetry(
  config: PowerTelemetryConfig,
  deps: { inventory: () => PowerInventory; exporters?: { baseUrl: string; ca?: string } },
): PowerTelemetry {
  const timing = { timeoutMs: config.timeoutMs, maxAgeMs: config.maxAgeMs };
  if (config.prometheusUrl !== null)
    return new PrometheusPowerSource({
      url: config.prometheusUrl,
      inventory: deps.inventory,
      nodeLabel: config.nodeLabel,
      ...timing,
    });
  if (deps.exporters) return new ExporterPowerSource({ ...deps.exporters, inventory: deps.inventory, ...timing });
  throw new Error('no power telemetry source: set SWITCHYARD_PROMETHEUS_URL (or run on the embedded Kubernetes API)');
}
