import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import {
  DCGM_LABEL,
  DCGM_POWER_LIMIT,
  DCGM_POWER_USAGE,
  EXPORTER_PATH,
  IPMI_NODE_LABEL,
  IPMI_POWER,
} from '@switchyard/telemetry';
import { nodeWallWatts } from './node-wall-power';
import type { SimulatedGpu, SimulatedPower, SimulatedPowerNode } from './simulated-power';

/** Nodes rendered between two turns of the event loop: ~8,000 lines, a few ms. */
const NODES_PER_CHUNK = 500;

const escapeLabel = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/**
 * The simulated DCGM and IPMI exporters of every node, served from the embedded API's address
 * in the Prometheus text format. Every series carries its node (`Hostname` on DCGM, as DCGM
 * exporter sets it; `node` on IPMI), and a GPU in use carries its pod, namespace and container
 * (the first pod on a shared GPU). Rendered in chunks with a turn of the event loop between
 * them, and every value of one scrape is taken at the same instant.
 */
export class PowerExporters {
  private readonly lines = new WeakMap<SimulatedGpu, GpuLines>();

  constructor(
    private readonly power: SimulatedPower,
    private readonly now: () => number,
  ) {}

  /** Serves the request when its path is one of the exporters'; false otherwise. */
  async serve(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
    const render =
      pathname === EXPORTER_PATH.dcgm
        ? this.dcgm.bind(this)
        : pathname === EXPORTER_PATH.ipmi
          ? this.ipmi.bind(this)
          : undefined;
    if (!render) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
      return true;
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    res.writeHead(200, {
      'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
      ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
    });
    if (req.method === 'HEAD') {
      res.end();
      return true;
    }
    let out: Writable = res;
    if (gzip) {
      const compressor = createGzip({ level: 1 });
      compressor.pipe(res);
      out = compressor;
    }
    await writeChunks(out, res, render(this.now()));
    return true;
  }

  /** DCGM_FI_DEV_POWER_USAGE and DCGM_FI_DEV_POWER_MGMT_LIMIT of every GPU at `t`. */
  *dcgm(t: number): Generator<Buffer> {
    yield Buffer.from(`# HELP ${DCGM_POWER_USAGE} Power draw (in W).\n# TYPE ${DCGM_POWER_USAGE} gauge\n`);
    yield* this.perNode((node, out) => {
      for (const gpu of node.gpus) {
        const lines = this.linesOf(node, gpu);
        if (lines.idleUsage) out.bytes(lines.idleUsage);
        else out.bytes(lines.usagePrefix).line(String(this.power.drawOf(gpu, t)));
      }
    });
    yield Buffer.from(`# HELP ${DCGM_POWER_LIMIT} Power management limit (in W).\n# TYPE ${DCGM_POWER_LIMIT} gauge\n`);
    yield* this.perNode((node, out) => {
      for (const gpu of node.gpus) out.bytes(this.linesOf(node, gpu).limit);
    });
  }

  /** ipmi_dcmi_power_consumption_watts of every node at `t`. */
  *ipmi(t: number): Generator<Buffer> {
    yield Buffer.from(`# HELP ${IPMI_POWER} Current power consumption in Watts.\n# TYPE ${IPMI_POWER} gauge\n`);
    yield* this.perNode((node, out) =>
      out.line(
        `${IPMI_POWER}{${IPMI_NODE_LABEL}="${escapeLabel(node.name)}"} ${nodeWallWatts(node, this.power.gpuSum(node, t))}`,
      ),
    );
  }

  /** Renders nodes into byte chunks; bytes, not strings, so a 45 MB scrape leaves little for the garbage collector. */
  private *perNode(render: (node: SimulatedPowerNode, out: ChunkWriter) => void): Generator<Buffer> {
    const out = new ChunkWriter();
    let nodes = 0;
    for (const node of this.power.nodes()) {
      if (node.silenced) continue;
      render(node, out);
      if (++nodes % NODES_PER_CHUNK === 0) yield out.take();
    }
    if (out.length > 0) yield out.take();
  }

  /** A GPU's lines but for its changing draw, kept until its occupants change. */
  private linesOf(node: SimulatedPowerNode, gpu: SimulatedGpu): GpuLines {
    const version = this.power.versionOf(gpu);
    const cached = this.lines.get(gpu);
    if (cached?.version === version) return cached;
    const pod = gpu.occupants.values().next().value?.pod;
    const labels =
      `{${DCGM_LABEL.gpu}="${gpu.index}",${DCGM_LABEL.uuid}="${gpu.uuid}",${DCGM_LABEL.device}="nvidia${gpu.index}",` +
      `${DCGM_LABEL.modelName}="${escapeLabel(gpu.modelName)}",${DCGM_LABEL.hostname}="${escapeLabel(node.name)}",` +
      `${DCGM_LABEL.container}="${escapeLabel(pod?.container ?? '')}",${DCGM_LABEL.namespace}="${escapeLabel(pod?.namespace ?? '')}",` +
      `${DCGM_LABEL.pod}="${escapeLabel(pod?.name ?? '')}"}`;
    const usagePrefix = `${DCGM_POWER_USAGE}${labels} `;
    const lines: GpuLines = {
      version,
      usagePrefix: Buffer.from(usagePrefix),
      // An empty GPU's draw does not change with time.
      idleUsage: gpu.occupants.size === 0 ? Buffer.from(`${usagePrefix}${this.power.drawOf(gpu, 0)}\n`) : undefined,
      limit: Buffer.from(`${DCGM_POWER_LIMIT}${labels} ${gpu.limitWatts}\n`),
    };
    this.lines.set(gpu, lines);
    return lines;
  }
}

interface GpuLines {
  readonly version: number;
  readonly usagePrefix: Buffer;
  /** Whole lines (with their newline). */
  readonly idleUsage: Buffer | undefined;
  readonly limit: Buffer;
}

/** Appends bytes and text lines into one buffer per chunk. */
class ChunkWriter {
  private buffer = Buffer.allocUnsafe(1 << 20);
  length = 0;

  bytes(bytes: Buffer): this {
    this.reserve(bytes.length);
    this.length += bytes.copy(this.buffer, this.length);
    return this;
  }

  /** `text` and a newline. */
  line(text: string): this {
    this.reserve(Buffer.byteLength(text) + 1);
    this.length += this.buffer.write(text, this.length);
    this.buffer[this.length++] = 10;
    return this;
  }

  take(): Buffer {
    const chunk = this.buffer.subarray(0, this.length);
    this.buffer = Buffer.allocUnsafe(this.buffer.length);
    this.length = 0;
    return chunk;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(2 * this.buffer.length, this.length + bytes));
    this.buffer.copy(bigger, 0, 0, this.length);
    this.buffer = bigger;
  }
}

/** Writes each chunk, waiting for the socket to drain and yielding to the event loop between chunks; stops if the client goes. */
async function writeChunks(out: Writable, res: ServerResponse, chunks: Iterable<Buffer>): Promise<void> {
  let gone = false;
  const closed = new Promise<void>((resolve) => res.once('close', resolve)).then(() => (gone = true));
  for (const chunk of chunks) {
    if (gone) return;
    if (!out.write(chunk)) await Promise.race([once(out, 'drain'), closed]);
    else await new Promise((resolve) => setImmediate(resolve));
  }
  if (!gone) out.end();
}
