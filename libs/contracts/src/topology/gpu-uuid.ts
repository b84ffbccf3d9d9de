import { createHash } from 'node:crypto';

/**
 * Namespace of the name-based (RFC 4122 version 5) UUIDs Switchyard gives GPUs declared
 * as `gpus: { product, count }`. Fixed forever: changing it would rename every such GPU.
 */
export const GPU_UUID_NAMESPACE = '5c1e6f0a-3b52-4d7e-9a41-7f0c2d9e8b13';

const namespaceBytes = Buffer.from(GPU_UUID_NAMESPACE.replace(/-/g, ''), 'hex');

/**
 * The UUID of GPU `index` on node `nodeName` when the document does not list it:
 * `"GPU-" + uuidv5(GPU_UUID_NAMESPACE, "<nodeName>/<index>")`, lower-case, in the form
 * `nvidia-smi -L` prints. Deterministic, so importing the same document twice (or
 * simulating its nodes) yields the same GPUs.
 */
export function deriveGpuUuid(nodeName: string, index: number): string {
  const hash = createHash('sha1').update(namespaceBytes).update(`${nodeName}/${index}`, 'utf8').digest();
  hash[6] = (hash[6] & 0x0f) | 0x50; // version 5
  hash[8] = (hash[8] & 0x3f) | 0x80; // RFC 4122 variant
  const hex = hash.subarray(0, 16).toString('hex');
  return `GPU-${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
