import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpRequestOptions {
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly signal: AbortSignal;
  /** PEM of a CA to trust for HTTPS (the embedded API's own certificate). */
  readonly ca?: string;
}

export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
    body: string,
  ) {
    super(`${url} answered HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ''}`);
    this.name = 'HttpStatusError';
  }
}

/**
 * One HTTP(S) request whose body is handed over chunk by chunk as it arrives, so a large body
 * is parsed between socket reads instead of held as a whole. A non-2xx answer is an
 * HttpStatusError; the signal aborts it (timeouts), rejecting with the signal's reason.
 */
export function streamRequest(
  url: string,
  options: HttpRequestOptions,
  onChunk: (chunk: Buffer) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (options.signal.aborted) return reject(options.signal.reason);
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      target,
      { method: options.method ?? 'GET', headers: options.headers, signal: options.signal, ca: options.ca },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 299) {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body = (body + chunk).slice(0, 1000)));
          res.on('end', () => reject(new HttpStatusError(status, url, body)));
          res.on('error', reject);
          return;
        }
        res.on('data', (chunk: Buffer) => {
          try {
            onChunk(chunk);
          } catch (error) {
            req.destroy();
            reject(error);
          }
        });
        res.on('end', () => resolve());
        res.on('error', reject);
      },
    );
    req.on('error', (error) => reject(options.signal.aborted ? options.signal.reason : error));
    req.end(options.body);
  });
}

/** The whole body as text (for answers of a few MB, such as one Prometheus query). */
export async function requestText(url: string, options: HttpRequestOptions): Promise<string> {
  const chunks: Buffer[] = [];
  await streamRequest(url, options, (chunk) => chunks.push(chunk));
  return Buffer.concat(chunks).toString('utf8');
}
