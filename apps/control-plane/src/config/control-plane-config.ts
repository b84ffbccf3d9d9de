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
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigurationError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? '(environment)'),
        message: issue.message,
      })),
    );
  }
  const e = parsed.data;
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
  };
}
