import { ControlPlaneMetrics } from './control-plane-metrics';
import { METRIC_DEFINITIONS } from './metric-definitions';
import { NodeMetrics } from './node-metrics';
import { NON_COMPLIANT_DEFAULT_METRICS } from './process-metrics';
import { SchedulingMetrics } from './scheduling-metrics';

describe('scheduler and node metrics', () => {
  it('register only metrics defined in METRIC_DEFINITIONS, with their help and type', async () => {
    const { registry } = new ControlPlaneMetrics({ processMetrics: false });
    new SchedulingMetrics(registry);
    new NodeMetrics(registry);
    const defined = new Map(METRIC_DEFINITIONS.map((d) => [d.name, d]));
    const registered = await registry.getMetricsAsJSON();
    expect(registered.length).toBeGreaterThan(12);
    for (const metric of registered) {
      const definition = defined.get(metric.name);
      expect([metric.name, metric.type, metric.help]).toEqual([metric.name, definition?.type, definition?.help]);
    }
  });

  it('a second runtime on the same registry shares the first one metrics instead of failing', async () => {
    const metrics = new ControlPlaneMetrics({ processMetrics: false });
    new SchedulingMetrics(metrics.registry).attempt('scheduled', 2);
    new SchedulingMetrics(metrics.registry).attempt('scheduled', 3);
    new NodeMetrics(metrics.registry).nodeSynced('created');
    new NodeMetrics(metrics.registry).nodeSynced('created');
    const { body } = await metrics.exposition();
    expect(body).toContain('switchyard_scheduling_attempts_total{result="scheduled"} 5');
    expect(body).toContain('switchyard_inventory_node_syncs_total{result="created"} 2');
  });
});

describe('process metrics', () => {
  it('leave out the gauges named like counters and keep their per-type gauges', async () => {
    const { registry } = new ControlPlaneMetrics();
    const registered = await registry.getMetricsAsJSON();
    const gaugesNamedTotal = registered.filter((m) => String(m.type) === 'gauge' && m.name.endsWith('_total'));
    expect(gaugesNamedTotal.map((m) => m.name)).toEqual([]);
    const names = registered.map((m) => m.name);
    for (const name of NON_COMPLIANT_DEFAULT_METRICS) expect(names).toContain(name.replace(/_total$/, ''));
    expect(names).toContain('process_cpu_seconds_total');
  });
});
