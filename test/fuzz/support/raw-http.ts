/**
 * An HTTP client that sends exactly the bytes it is given (supertest re-serializes bodies and
 * encodes URLs), and gives up on a request after a timeout instead of waiting for ever.
 */
import { request } from 'node:http';
import { type AddressInfo } from 'node:net';
import { type Server } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface RawRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

/** Listens on a free loopback port; the caller closes the server (the app's close does). */
export async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** One connection per request: the server may close one after an answer (431, 413), and none is reused by mistake. */
export function sendRaw(port: number, r: RawRequest, timeoutMs: number): Promise<RawResponse> {
  return new Promise<RawResponse>((resolve, reject) => {
    const body = r.body === undefined ? undefined : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body, 'utf8');
    const req = request(
      {
        host: '127.0.0.1',
        port,
        agent: false,
        method: r.method,
        path: r.url,
        headers: { ...r.headers, ...(body ? { 'Content-Length': String(body.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () =>
      req.destroy(new Error(`no answer within ${timeoutMs} ms to ${r.method} ${r.url.slice(0, 200)}`)),
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Percent-encodes UTF-8 bytes; a lone surrogate, which has none, goes as U+FFFD like a browser sends it. */
export function encodeSegment(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
