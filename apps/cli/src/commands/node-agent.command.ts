/**
 * `switchyard node-agent`: one per GPU node (the DaemonSet in deploy/base). Applies the
 * `switchyard.io/power-limit-watts` of the pods on its node through nvidia-smi and reports what
 * is in force on each pod (`switchyard.io/enforced-power-limit-watts`, `.../power-limit-enforcement`).
 */
import { Command } from 'commander';
import pino from 'pino';
import { ClusterConnection, KubeConfigError, type KubeConfigSource } from '@switchyard/kube';
import { NodePowerAgent, NvidiaSmiActuator } from '@switchyard/node-agent';
import { parseNumberOption, readInputFile } from '../cli-arguments';
import { CommandFailure, UsageError, messageOf } from '../cli-errors';
import type { CliIo } from '../cli-io';
import { processSignal } from '../process-signal';
import { NodePodWatch } from './node-agent-pods';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
/** A node name is a DNS subdomain (RFC 1123). */
const NODE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

interface NodeAgentOptions {
  node?: string;
  interval: string;
  kubeconfig?: string;
  nvidiaSmi: string;
  dryRun?: boolean;
}

export function nodeAgentCommand(io: CliIo): Command {
  return new Command('node-agent')
    .description(
      "apply the GPU power limits of this node's pods (switchyard.io/power-limit-watts) with nvidia-smi and report them back on the pods, until Ctrl-C",
    )
    .option('--node <name>', 'the node to act for (default: NODE_NAME, which the DaemonSet sets)')
    .option('--interval <seconds>', 'reconcile period, besides every pod change', '15')
    .option('--kubeconfig <path>', 'cluster credentials (default: KUBECONFIG, else the pod service account)')
    .option('--nvidia-smi <path>', 'the nvidia-smi binary', 'nvidia-smi')
    .option('--dry-run', 'log the limits and annotations it would set; change nothing')
    .addHelpText(
      'after',
      '\nLogs are JSON lines on stdout (LOG_LEVEL, default info). Setting a limit is an administrator request to the NVIDIA driver (root with CAP_SYS_ADMIN): see deploy/base/node-agent-daemonset.yaml.',
    )
    .action(async (options: NodeAgentOptions) => {
      const node = options.node ?? io.env.NODE_NAME;
      if (!node) throw new UsageError('--node is required (or NODE_NAME in the environment)');
      if (node.length > 253 || !NODE_NAME.test(node))
        throw new UsageError(`--node ${JSON.stringify(node)}: not a Kubernetes node name`);
      const intervalMs = parseNumberOption(options.interval, '--interval', 0.1, 86_400) * 1000;
      const level = io.env.LOG_LEVEL ?? 'info';
      if (!LOG_LEVELS.includes(level))
        throw new UsageError(`LOG_LEVEL ${JSON.stringify(level)}: expected one of ${LOG_LEVELS.join(', ')}`);
      const conn = connect(kubeConfigSource(io, options.kubeconfig));
      const logger = pino(
        { level, base: { service: 'switchyard-node-agent', node }, timestamp: pino.stdTimeFunctions.isoTime },
        { write: (line: string) => io.stdout.write(line) },
      );
      const actuator = new NvidiaSmiActuator({ command: options.nvidiaSmi, env: io.env });
      // Checked before watching: a node without a usable driver should fail where it is deployed, loudly.
      try {
        const gpus = await actuator.readGpus();
        logger.info({ gpus: gpus.length, dryRun: options.dryRun === true }, 'node agent starting');
      } catch (error) {
        throw new CommandFailure(`cannot read the GPUs' power limits: ${messageOf(error)}`);
      }
      const watch = new NodePodWatch(conn, node, logger.child({ component: 'NodePodWatch' }));
      const agent = new NodePowerAgent({
        pods: watch,
        actuator,
        reporter: watch,
        logger: logger.child({ component: 'NodePowerAgent' }),
        dryRun: options.dryRun === true,
      });
      const stopping = processSignal();
      const synced = await Promise.race([watch.start().then(() => true), stopping.then(() => false)]);
      if (synced) {
        watch.onChange(() => void agent.trigger());
        await agent.trigger();
        agent.start(intervalMs);
      }
      const signal = await stopping;
      io.stderr.write(`${signal}: stopping\n`);
      // Limits stay as they are: the pods keep running while the agent restarts or upgrades.
      await Promise.all([watch.stop(), agent.stop()]);
    });
}

function kubeConfigSource(io: CliIo, option: string | undefined): KubeConfigSource {
  if (option === undefined) return { kind: 'default' };
  // Read here only to fail early with a usage error; client-node loads it by path (relative certificate paths).
  return { kind: 'file', path: readInputFile(io.cwd, option, '--kubeconfig').path };
}

function connect(source: KubeConfigSource): ClusterConnection {
  try {
    return ClusterConnection.connect(source);
  } catch (error) {
    if (error instanceof KubeConfigError) throw new UsageError(error.message);
    throw error;
  }
}
