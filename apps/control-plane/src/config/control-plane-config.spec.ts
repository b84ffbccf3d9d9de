import * as path from 'node:path';
import { ConfigurationError, loadControlPlaneConfig, loadKubernetesConfig } from './control-plane-config';

const demo = '/repo/deploy/examples/topology-demo.yaml';

describe('loadControlPlaneConfig', () => {
  it('runs with no configuration at all: port 8080, embedded database, demo topology', () => {
    const config = loadControlPlaneConfig({}, demo);
    expect(config).toEqual({
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: undefined,
      dataDir: path.resolve('./.switchyard'),
      adminToken: undefined,
      logLevel: 'info',
      kubeconfig: undefined,
      seedTopologyFile: demo,
      kubernetes: {
        enabled: true,
        kubeconfig: undefined,
        inCluster: false,
        podName: undefined,
        podNamespace: undefined,
        leaseDurationMs: undefined,
        renewDeadlineMs: undefined,
        retryPeriodMs: undefined,
      },
    });
  });

  it('reads every variable', () => {
    const config = loadControlPlaneConfig(
      {
        PORT: '9090',
        HOST: '127.0.0.1',
        DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/test',
        SWITCHYARD_DATA_DIR: '/var/lib/switchyard',
        SWITCHYARD_ADMIN_TOKEN: 'a'.repeat(32),
        LOG_LEVEL: 'DEBUG',
        KUBECONFIG: '/etc/kube/config',
        SWITCHYARD_SEED_TOPOLOGY: '',
      },
      demo,
    );
    expect(config).toMatchObject({
      port: 9090,
      host: '127.0.0.1',
      databaseUrl: 'postgresql://postgres@127.0.0.1:5432/test',
      dataDir: '/var/lib/switchyard',
      logLevel: 'debug',
      kubeconfig: '/etc/kube/config',
      seedTopologyFile: undefined,
    });
  });

  it('treats empty values as unset', () => {
    expect(loadControlPlaneConfig({ PORT: '', DATABASE_URL: ' ', LOG_LEVEL: '' }, demo)).toMatchObject({
      port: 8080,
      databaseUrl: undefined,
      logLevel: 'info',
    });
  });

  it.each([
    ['PORT', 'eighty', 'integer between 0 and 65535'],
    ['PORT', '70000', 'integer between 0 and 65535'],
    ['PORT', '-1', 'integer between 0 and 65535'],
    ['DATABASE_URL', 'mysql://x@y/z', 'postgresql://'],
    ['SWITCHYARD_ADMIN_TOKEN', 'short', 'at least 24'],
    ['LOG_LEVEL', 'loud', 'one of fatal, error'],
    ['SWITCHYARD_KUBERNETES', 'maybe', '"off"'],
    ['POD_NAME', 'Not_A_Pod', 'pod name'],
    ['POD_NAMESPACE', 'x'.repeat(64), 'at most 63'],
    ['SWITCHYARD_LEASE_DURATION_MS', '15s', 'positive integer'],
    ['SWITCHYARD_RETRY_PERIOD_MS', '0', 'positive integer'],
  ])('rejects %s=%s with a message naming the variable', (variable, value, message) => {
    try {
      loadControlPlaneConfig({ [variable]: value }, demo);
      throw new Error('expected a ConfigurationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      const problems = (error as ConfigurationError).problems;
      expect(problems).toEqual([{ variable, message: expect.stringContaining(message) }]);
      expect((error as Error).message).toContain(`${variable}: `);
    }
  });

  it('reports every bad variable at once', () => {
    expect(() => loadControlPlaneConfig({ PORT: 'x', LOG_LEVEL: 'y' }, demo)).toThrow(/PORT: .*; LOG_LEVEL: /);
  });

  it('reads the Kubernetes variables into the kubernetes section', () => {
    const config = loadControlPlaneConfig(
      {
        KUBECONFIG: '/etc/kube/config',
        KUBERNETES_SERVICE_HOST: '10.0.0.1',
        POD_NAME: 'switchyard-7d9f-abcde',
        POD_NAMESPACE: 'switchyard-system',
        SWITCHYARD_KUBERNETES: 'ON',
        SWITCHYARD_LEASE_DURATION_MS: '20000',
        SWITCHYARD_RENEW_DEADLINE_MS: '12000',
        SWITCHYARD_RETRY_PERIOD_MS: '3000',
      },
      demo,
    );
    expect(config.kubernetes).toEqual({
      enabled: true,
      kubeconfig: '/etc/kube/config',
      inCluster: true,
      podName: 'switchyard-7d9f-abcde',
      podNamespace: 'switchyard-system',
      leaseDurationMs: 20000,
      renewDeadlineMs: 12000,
      retryPeriodMs: 3000,
    });
    expect(loadKubernetesConfig({ SWITCHYARD_KUBERNETES: 'off' }).enabled).toBe(false);
  });

  it('refuses leader-election timings that could give two leaders, naming the variable', () => {
    expect(() => loadKubernetesConfig({ SWITCHYARD_LEASE_DURATION_MS: '9000' })).toThrow(
      /SWITCHYARD_LEASE_DURATION_MS: must be greater than the renew deadline \(10000 ms\)/,
    );
    expect(() => loadKubernetesConfig({ SWITCHYARD_RETRY_PERIOD_MS: '9000' })).toThrow(
      /SWITCHYARD_RENEW_DEADLINE_MS: must be greater than 1.2 x the retry period/,
    );
  });
});
