import { ExporterPowerSource } from './exporter-power-source';
import { PrometheusPowerSource } from './prometheus-power-source';
import { createPowerTelemetry, readPowerTelemetryConfig } from './power-telemetry-config';

const inventory = () => ({ nodes: [] });

describe('power telemetry configuration', () => {
  it('defaults to the simulated exporters, a 5 s timeout and a 30 s max age', () => {
    const { config, problems } = readPowerTelemetryConfig({});
    expect(problems).toEqual([]);
    expect(config).toEqual({ prometheusUrl: null, timeoutMs: 5000, maxAgeMs: 30000, nodeLabel: 'node' });
    expect(createPowerTelemetry(config, { inventory, exporters: { baseUrl: 'https://127.0.0.1:1' } })).toBeInstanceOf(
      ExporterPowerSource,
    );
    expect(() => createPowerTelemetry(config, { inventory })).toThrow('SWITCHYARD_PROMETHEUS_URL');
  });

  it('uses Prometheus when its URL is set', () => {
    const { config, problems } = readPowerTelemetryConfig({
      SWITCHYARD_PROMETHEUS_URL: 'http://prometheus.monitoring:9090',
      SWITCHYARD_PROMETHEUS_TIMEOUT_MS: '2500',
      SWITCHYARD_POWER_MAX_AGE_MS: '60000',
      SWITCHYARD_PROMETHEUS_NODE_LABEL: 'kubernetes_node',
    });
    expect(problems).toEqual([]);
    expect(config).toEqual({
      prometheusUrl: 'http://prometheus.monitoring:9090',
      timeoutMs: 2500,
      maxAgeMs: 60000,
      nodeLabel: 'kubernetes_node',
    });
    expect(createPowerTelemetry(config, { inventory })).toBeInstanceOf(PrometheusPowerSource);
  });

  it('names every variable that is wrong', () => {
    const { problems } = readPowerTelemetryConfig({
      SWITCHYARD_PROMETHEUS_URL: 'prometheus:9090',
      SWITCHYARD_PROMETHEUS_TIMEOUT_MS: '0',
      SWITCHYARD_POWER_MAX_AGE_MS: '30s',
      SWITCHYARD_PROMETHEUS_NODE_LABEL: 'node-name',
    });
    expect(problems.map((p) => p.variable).sort()).toEqual([
      'SWITCHYARD_POWER_MAX_AGE_MS',
      'SWITCHYARD_PROMETHEUS_NODE_LABEL',
      'SWITCHYARD_PROMETHEUS_TIMEOUT_MS',
      'SWITCHYARD_PROMETHEUS_URL',
    ]);
  });
});
