import type { ScopeSummary } from '@switchyard/inventory';
import { ControlPlaneMetrics } from '@switchyard/telemetry';
import { ShownValues, scopeSeries } from './scope-metrics';

const scope = (path: string, kind: ScopeSummary['kind'], allocatedWatts: number) =>
  ({ id: path, path, kind, parentId: null, allocatedWatts }) as unknown as ScopeSummary;

describe('ShownValues', () => {
  it('shows each read, setting only what changed and removing scopes that went', async () => {
    const metrics = new ControlPlaneMetrics({ processMetrics: false });
    const gauge = metrics.gauge({ type: 'gauge', name: 'w', help: 'h', labelNames: ['scope', 'scope_kind'] });
    const set = jest.spyOn(gauge, 'set');
    const shown = new ShownValues();
    const valueOf = (s: { summary: ScopeSummary }) => s.summary.allocatedWatts;
    const text = async () => (await metrics.exposition()).body.split('\n').filter((l) => l.startsWith('w{'));

    const first = scopeSeries([scope('s', 'site', 10), scope('s/h1', 'hall', 4), scope('s/h2', 'hall', 6)]);
    shown.update(gauge, first, valueOf);
    expect(await text()).toEqual([
      'w{scope="s",scope_kind="site"} 10',
      'w{scope="s/h1",scope_kind="hall"} 4',
      'w{scope="s/h2",scope_kind="hall"} 6',
    ]);
    expect(set).toHaveBeenCalledTimes(3);

    shown.update(gauge, first, valueOf); // the same read again: untouched
    expect(set).toHaveBeenCalledTimes(3);

    const second = scopeSeries([scope('s', 'site', 12), scope('s/h1', 'hall', 4), scope('s/h3', 'hall', 8)]);
    shown.update(gauge, second, valueOf);
    expect(await text()).toEqual([
      'w{scope="s",scope_kind="site"} 12',
      'w{scope="s/h1",scope_kind="hall"} 4',
      'w{scope="s/h3",scope_kind="hall"} 8',
    ]);
    expect(set).toHaveBeenCalledTimes(5); // s changed, s/h3 appeared; s/h1 kept its value

    shown.update(gauge, scopeSeries([scope('s', 'site', 12)]), () => undefined); // no value at all: no series
    expect(await text()).toEqual([]);
  });
});
