import * as path from 'node:path';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Typed, validated configuration of one control-plane instance; read once at start. */
export interface ControlPlaneConfig {
  port: number;
  host: string;
  /** PostgreSQL server; when absent the embedded PGlite database under `dataDir` is used. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** Fixed admin token; when absent one is generated at first start and printed once. */
  adminToken: string | undefined;
  logLevel: LogLevel;
  kubeconfig: string | undefined;
  /** Topology loaded when the database holds none; undefined disables seeding. */
  seedTopologyFile: string | undefined;
  /** Always set by loadControlPlaneConfig; optional so hand-built configs (tests) need not repeat it. */
  kubernetes?: KubernetesConfig;
}

/** Where the Kubernetes API comes from and how this replica campaigns for leadership. */
export interface KubernetesConfig {
  /** SWITCHYARD_KUBERNETES=off: no Kubernetes at all (API and inventory only). */
  enabled: boolean;
  /** KUBECONFIG: a kubeconfig file of a real cluster (wins over in-cluster credentials). */
  kubeconfig: string | undefined;
  /** KUBERNETES_SERVICE_HOST is set: running in a pod, use its service account. */
  inCluster: boolean;
  /** POD_NAME: the leader-election identity's prefix (a random suffix is added). */
  podName: string | undefined;
  /** POD_NAMESPACE: where the leader Lease lives (default `default`). */
  podNamespace: string | undefined;
  /** SWITCHYARD_LEASE_DURATION_MS / _RENEW_DEADLINE_MS / _RETRY_PERIOD_MS; unset = 15 s / 10 s / 2 s. */
  leaseDurationMs: number | undefined;
  renewDeadlineMs: number | undefined;
  retryPeriodMs: number | undefined;
}

export interface ConfigurationProblem {
  variable: string;
  message: string;
}

/** A configuration value that cannot start the control plane; names every offending variable. */
export class ConfigurationError extends Error {
  constructor(readonly problems: ConfigurationProblem[]) {
    super(`Invalid configuration: ${problems.map((p) => `${p.variable}: ${p.message}`).join('; ')}`);
    this.name = 'ConfigurationError';
  }
}

const emptyAsUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const optionalString = z.preprocess(emptyAsUndefined, z.string().optional());

const optionalMillis = z.preprocess(
  emptyAsUndefined,
  z
    .string()
    .regex(/^[1-9]\d{0,8}$/, 'must be a positive integer (milliseconds)')
    .transform(Number)
    .optional(),
);

/** A DNS-1123 label, as Kubernetes namespaces and (in practice) pod names are. */
const optionalDnsName = (what: string) =>
  z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .max(253, `must be a Kubernetes ${what} (at most 253 characters)`)
      .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, `must be a Kubernetes ${what} (lower-case letters, digits, '-', '.')`)
      .optional(),
  );

const environmentSchema = z.object({
  PORT: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^\d+$/, 'must be an integer between 0 and 65535')
      .transform(Number)
      .refine((n) => n <= 65535, 'must be an integer between 0 and 65535')
      .default(8080),
  ),
  HOST: z.preprocess(emptyAsUndefined, z.string().default('0.0.0.0')),
  DATABASE_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .refine((value) => /^postgres(ql)?:\/\/./.test(value) && URL.canParse(value), {
        message: 'must be a postgresql:// connection URL',
      })
      .optional(),
  ),
  SWITCHYARD_DATA_DIR: z.preprocess(emptyAsUndefined, z.string().default('./.switchyard')),
  SWITCHYARD_ADMIN_TOKEN: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .min(24, 'must be at least 24 characters (use a random secret)')
      .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
      .optional(),
  ),
  LOG_LEVEL: z.preprocess(
    (value) => (typeof value === 'string' ? emptyAsUndefined(value.toLowerCase()) : value),
    z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  ),
  KUBECONFIG: optionalString,
  SWITCHYARD_SEED_TOPOLOGY: z.string().optional(),
  SWITCHYARD_KUBERNETES: z.preprocess(
    (value) => (typeof value === 'string' ? emptyAsUndefined(value.trim().toLowerCase()) : value),
    z.enum(['on', 'off'], { message: 'must be "off" (no Kubernetes) or "on" (the default)' }).default('on'),
  ),
  KUBERNETES_SERVICE_HOST: optionalString,
  POD_NAME: optionalDnsName('pod name'),
  POD_NAMESPACE: optionalDnsName('namespace').refine((v) => v === undefined || v.length <= 63, {
    message: 'must be a Kubernetes namespace (at most 63 characters)',
  }),
  SWITCHYARD_LEASE_DURATION_MS: optionalMillis,
  SWITCHYARD_RENEW_DEADLINE_MS: optionalMillis,
  SWITCHYARD_RETRY_PERIOD_MS: optionalMillis,
});

/** Variables this module reads, for the README's configuration table and for error messages. */
export const CONFIGURATION_VARIABLES = Object.keys(environmentSchema.shape);

/**
 * Parses the environment into a ControlPlaneConfig, or throws a ConfigurationError naming every
 * bad variable. `defaultSeedTopology` is the demo file shipped with the repository.
 */
export function loadControlPlaneConfig(
  env: NodeJS.ProcessEnv,
  defaultSeedTopology: string | undefined,
): ControlPlaneConfig {
  const e = parseEnvironment(env);
  // An explicitly empty SWITCHYARD_SEED_TOPOLOGY turns seeding off; unset means the demo file.
  const seed = e.SWITCHYARD_SEED_TOPOLOGY === undefined ? defaultSeedTopology : e.SWITCHYARD_SEED_TOPOLOGY.trim();
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: path.resolve(e.SWITCHYARD_DATA_DIR),
    adminToken: e.SWITCHYARD_ADMIN_TOKEN,
    logLevel: e.LOG_LEVEL,
    kubeconfig: e.KUBECONFIG,
    seedTopologyFile: seed ? path.resolve(seed) : undefined,
    kubernetes: kubernetesConfig(e),
  };
}

/** Only the Kubernetes part (same validation), for callers that were handed an environment. */
export function loadKubernetesConfig(env: NodeJS.ProcessEnv): KubernetesConfig {
  return kubernetesConfig(parseEnvironment(env));
}

type Environment = z.infer<typeof environmentSchema>;

function parseEnvironment(env: NodeJS.ProcessEnv): Environment {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigurationError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? '(environment)'),
        message: issue.message,
      })),
    );
  }
  return parsed.data;
}

function kubernetesConfig(e: Environment): KubernetesConfig {
  const lease = {
    leaseDurationMs: e.SWITCHYARD_LEASE_DURATION_MS,
    renewDeadlineMs: e.SWITCHYARD_RENEW_DEADLINE_MS,
    retryPeriodMs: e.SWITCHYARD_RETRY_PERIOD_MS,
  };
  // The same rules as the elector (client-go's), checked here so a bad combination stops start-up by name.
  const duration = lease.leaseDurationMs ?? 15_000;
  const deadline = lease.renewDeadlineMs ?? 10_000;
  const retry = lease.retryPeriodMs ?? 2_000;
  const problems: ConfigurationProblem[] = [];
  if (!(duration > deadline))
    problems.push({
      variable: 'SWITCHYARD_LEASE_DURATION_MS',
      message: `must be greater than the renew deadline (${deadline} ms)`,
    });
  if (!(deadline > retry * 1.2))
    problems.push({
      variable: 'SWITCHYARD_RENEW_DEADLINE_MS',
      message: `must be greater than 1.2 x the retry period (${retry} ms)`,
    });
  if (problems.length > 0) throw new ConfigurationError(problems);
  return {
    enabled: e.SWITCHYARD_KUBERNETES !== 'off',
    kubeconfig: e.KUBECONFIG,
    inCluster: e.KUBERNETES_SERVICE_HOST !== undefined,
    podName: e.POD_NAME,
    podNamespace: e.POD_NAMESPACE,
    ...lease,
  };
}
