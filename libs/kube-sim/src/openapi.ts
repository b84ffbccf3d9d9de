import { SERVER_VERSION } from './discovery';

/**
 * A minimal OpenAPI v2 document. kubectl fetches `/openapi/v2` (as gnostic protobuf) for client-side validation and
 * strategic-merge metadata; with no definitions it skips validation and falls back to its compiled-in types, which is
 * what it does for any kind the document does not describe.
 */
export const OPENAPI_V2_JSON = {
  swagger: '2.0',
  info: { title: 'Kubernetes', version: SERVER_VERSION.gitVersion },
  paths: {},
  definitions: {},
};

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

function field(fieldNumber: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(fieldNumber << 3) | 2, ...varint(payload.length)]), payload]);
}

/** gnostic `openapi_v2.Document`: swagger = 1, info = 2 (title = 1, version = 2), paths = 8, definitions = 9. */
export const OPENAPI_V2_PROTOBUF = Buffer.concat([
  field(1, Buffer.from('2.0')),
  field(2, Buffer.concat([field(1, Buffer.from('Kubernetes')), field(2, Buffer.from(SERVER_VERSION.gitVersion))])),
  field(8, Buffer.alloc(0)),
  field(9, Buffer.alloc(0)),
]);

/** Go's mime parser rejects the `@` of the protobuf media type kubectl asks for, so the bytes go out as an octet stream. */
export const OPENAPI_V2_PROTOBUF_CONTENT_TYPE = 'application/octet-stream';
