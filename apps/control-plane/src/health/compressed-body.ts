import { promisify } from 'node:util';
import { constants, gzip } from 'node:zlib';
import type { Request, Response } from 'express';

const gzipAsync = promisify(gzip);

/**
 * Sends `body` gzip-compressed when the client accepts gzip (Prometheus always asks), as is
 * otherwise. The fastest level suffices: a campus-scale exposition (1.5 MB) shrinks to 85 KB in
 * about 16 ms, in zlib's thread pool rather than on the event loop; the default level saves 30 KB
 * more for half as much time again.
 */
export async function sendCompressible(request: Request, response: Response, body: string): Promise<void> {
  response.vary('Accept-Encoding');
  if (request.acceptsEncodings('gzip', 'identity') !== 'gzip') {
    response.send(body);
    return;
  }
  const compressed = await gzipAsync(body, { level: constants.Z_BEST_SPEED });
  response.setHeader('Content-Encoding', 'gzip');
  response.send(compressed);
}
