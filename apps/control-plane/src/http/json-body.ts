import express, { type RequestHandler } from 'express';
import { formatTopologyPath as formatPath } from '@switchyard/contracts';
import { jsonStructureProblem } from './json-structure';
import { ProblemError } from './problem-error';

/**
 * The JSON body parser of every route, stricter than express.json: the bytes must be UTF-8 (not
 * silently replaced), the document an object or array, at most MAX_JSON_DEPTH deep, without a
 * key twice in one object. Each refusal is a 400 (415 for another charset) naming the body.
 */
export function jsonBody(limit: number, types: string[]): RequestHandler[] {
  return [
    express.raw({ limit, type: types }),
    (request, _response, next) => {
      if (!Buffer.isBuffer(request.body)) return next();
      try {
        request.body = parseJsonBody(request.body, request.headers['content-type']);
        next();
      } catch (error) {
        next(error);
      }
    },
  ];
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function parseJsonBody(bytes: Buffer, contentType: string | undefined): unknown {
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new ProblemError('unsupported-media-type', `Unsupported charset "${charset}"; send UTF-8.`);
  }
  if (bytes.length === 0) return {};
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw malformed('is not valid UTF-8', 'The request body is not valid UTF-8.');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw malformed('is not valid JSON', `The request body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null) {
    throw malformed('is not valid JSON', 'The request body must be a JSON object or array.');
  }
  const problem = jsonStructureProblem(text);
  if (problem) {
    const path = problem.path.length === 0 ? '(body)' : formatPath(problem.path);
    throw new ProblemError('malformed-request', `body.${path} ${problem.message}.`, [
      { path, message: problem.message, in: 'body' },
    ]);
  }
  return value;
}

function malformed(message: string, detail: string): ProblemError {
  return new ProblemError('malformed-request', detail, [{ path: '(body)', message, in: 'body' }]);
}
