import type { PodDemand } from '../policies/policy';

/**
 * The Alibaba cluster-trace-gpu-v2023 "openb" CSV files: one node list, one pod list.
 * The files are plain (no quoting; products are separated by `|`), so a small strict parser
 * is enough; anything unexpected is a TraceFormatError naming the file, line and column.
 */

export class TraceFormatError extends Error {
  constructor(
    readonly source: string,
    readonly line: number,
    readonly field: string,
    message: string,
  ) {
    super(`${source}:${line}: ${field}: ${message}`);
    this.name = 'TraceFormatError';
  }
}

export interface TraceNode {
  readonly name: string;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  readonly gpuCount: number;
  readonly gpuProduct: string;
}

export interface TracePod {
  readonly name: string;
  readonly demand: PodDemand;
}

interface Table {
  readonly header: string[];
  readonly rows: { line: number; cells: string[] }[];
}

function parseTable(text: string, source: string, required: readonly string[]): Table {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  for (const column of required)
    if (!header.includes(column))
      throw new TraceFormatError(source, 1, column, `missing column (header: ${header.join(',')})`);
  const rows: { line: number; cells: string[] }[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const cells = lines[i].split(',');
    if (cells.length < required.length)
      throw new TraceFormatError(source, i + 1, 'row', `expected ${header.length} cells, got ${cells.length}`);
    rows.push({ line: i + 1, cells });
  }
  return { header, rows };
}

function integerCell(table: Table, row: { line: number; cells: string[] }, column: string, source: string): number {
  const raw = (row.cells[table.header.indexOf(column)] ?? '').trim();
  const value = Number(raw);
  if (raw === '' || !Number.isInteger(value) || value < 0)
    throw new TraceFormatError(source, row.line, column, `expected a non-negative integer, got "${raw}"`);
  return value;
}

function textCell(table: Table, row: { line: number; cells: string[] }, column: string): string {
  const index = table.header.indexOf(column);
  return index < 0 ? '' : (row.cells[index] ?? '').trim();
}

/** `sn,cpu_milli,memory_mib,gpu,model`. Nodes without GPUs are kept; the replay drops them. */
export function parseTraceNodes(text: string, source = 'nodes.csv'): TraceNode[] {
  const table = parseTable(text, source, ['sn', 'cpu_milli', 'memory_mib', 'gpu', 'model']);
  const seen = new Set<string>();
  return table.rows.map((row) => {
    const name = textCell(table, row, 'sn');
    if (name === '') throw new TraceFormatError(source, row.line, 'sn', 'empty node name');
    if (seen.has(name)) throw new TraceFormatError(source, row.line, 'sn', `duplicate node "${name}"`);
    seen.add(name);
    const gpuCount = integerCell(table, row, 'gpu', source);
    const gpuProduct = textCell(table, row, 'model');
    if (gpuCount > 0 && gpuProduct === '')
      throw new TraceFormatError(source, row.line, 'model', 'a GPU node needs a model');
    return {
      name,
      cpuMilli: integerCell(table, row, 'cpu_milli', source),
      memoryMiB: integerCell(table, row, 'memory_mib', source),
      gpuCount,
      gpuProduct,
    };
  });
}

/**
 * `name,cpu_milli,memory_mib,num_gpu,gpu_milli[,gpu_spec,...]`. A k-GPU pod (k > 1) takes
 * whole GPUs; a one-GPU pod takes `gpu_milli` of one GPU, values above 1000 counting as 1000.
 */
export function parseTracePods(text: string, source = 'pods.csv'): TracePod[] {
  const table = parseTable(text, source, ['name', 'cpu_milli', 'memory_mib', 'num_gpu', 'gpu_milli']);
  return table.rows.map((row) => {
    const name = textCell(table, row, 'name');
    if (name === '') throw new TraceFormatError(source, row.line, 'name', 'empty pod name');
    const numGpu = integerCell(table, row, 'num_gpu', source);
    const milli = Math.min(integerCell(table, row, 'gpu_milli', source), 1000);
    if (numGpu > 0 && milli === 0)
      throw new TraceFormatError(source, row.line, 'gpu_milli', 'a GPU pod needs a GPU share');
    const spec = textCell(table, row, 'gpu_spec');
    const allowed = spec === '' ? null : spec.split('|').filter((p) => p !== '');
    const gpuMilli = numGpu === 0 ? 0 : numGpu > 1 ? 1000 : milli;
    return {
      name,
      demand: {
        cpuMilli: integerCell(table, row, 'cpu_milli', source),
        memoryMiB: integerCell(table, row, 'memory_mib', source),
        gpuCount: numGpu,
        gpuMilli,
        allowedProducts: allowed !== null && allowed.length > 0 ? allowed : null,
      },
    };
  });
}

/** GPU milli a pod asks for in total (what "arrived demand" adds up). */
export function requestedGpuMilli(d: PodDemand): number {
  return d.gpuCount * d.gpuMilli;
}
