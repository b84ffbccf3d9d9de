/**
 * API tokens: the plaintext is shown once at creation and only its sha256 is stored, so a
 * database dump grants nothing. Tokens are random 256-bit values, so a plain (unsalted) hash
 * is as strong as a slow one would be and lets verification be one indexed lookup.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ApiToken, PrismaClient, Role } from '../generated/prisma/client';
import { ConflictError, mapped } from '../errors';
import { existingById } from '../ids';
import { lockedById } from '../row-locks';
import { transaction, type AuditContext } from '../transactions';
import { appendAuditEvent } from './audit-log';

export type TokenRole = Role;

export interface ApiTokenRecord {
  readonly id: string;
  readonly name: string;
  readonly role: TokenRole;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
  readonly lastUsedAt: Date | null;
}

export interface CreatedToken {
  readonly record: ApiTokenRecord;
  /** Shown once; not recoverable later. */
  readonly token: string;
}

/** `sy_` + 43 base64url characters (32 random bytes). */
export const TOKEN_PREFIX = 'sy_';

/** lastUsedAt is written at most this often per token, so verifying is usually read-only. */
const LAST_USED_RESOLUTION_MS = 60_000;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

function toRecord(row: ApiToken): ApiTokenRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    createdAt: row.createdAt,
    revokedAt: row.revokedAt,
    lastUsedAt: row.lastUsedAt,
  };
}

export class ApiTokenRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Creates a token; `plaintext` lets an operator choose it (e.g. SWITCHYARD_ADMIN_TOKEN), otherwise it is generated. */
  create(input: { name: string; role: TokenRole; plaintext?: string }, audit: AuditContext): Promise<CreatedToken> {
    const token = input.plaintext ?? generateToken();
    return transaction(this.prisma, async (tx) => {
      const row = await tx.apiToken.create({ data: { name: input.name, role: input.role, hash: hashToken(token) } });
      await appendAuditEvent(tx, {
        actor: audit.actor,
        action: 'token.create',
        target: `token/${row.id}`,
        details: { name: input.name, role: input.role },
      });
      return { record: toRecord(row), token };
    });
  }

  /**
   * The first admin token. With `plaintext`, makes sure a token with that value exists (creating
   * it if needed); without, creates a generated one only when no token exists at all. Instances
   * starting together serialise on a transaction-scoped advisory lock, so at most one is created.
   */
  bootstrapAdmin(plaintext: string | undefined, audit: AuditContext): Promise<CreatedToken | undefined> {
    return transaction(this.prisma, async (tx) => {
      await tx.$queryRaw`SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(72707370)) AS lock`;
      if (plaintext !== undefined) {
        const existing = await tx.apiToken.findUnique({ where: { hash: hashToken(plaintext) } });
        if (existing) return undefined;
      } else if ((await tx.apiToken.count()) > 0) {
        return undefined;
      }
      const token = plaintext ?? generateToken();
      const row = await tx.apiToken.create({ data: { name: 'admin', role: 'admin', hash: hashToken(token) } });
      await appendAuditEvent(tx, {
        actor: audit.actor,
        action: 'token.create',
        target: `token/${row.id}`,
        details: { name: 'admin', role: 'admin', bootstrap: true },
      });
      return { record: toRecord(row), token };
    });
  }

  /** The live token for a presented plaintext, or undefined (unknown or revoked). */
  async verify(token: string, now: Date = new Date()): Promise<ApiTokenRecord | undefined> {
    const row = await mapped(() => this.prisma.apiToken.findUnique({ where: { hash: hashToken(token) } }));
    if (!row || row.revokedAt) return undefined;
    if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
      await mapped(() => this.prisma.apiToken.updateMany({ where: { id: row.id }, data: { lastUsedAt: now } }));
      return toRecord({ ...row, lastUsedAt: now });
    }
    return toRecord(row);
  }

  revoke(id: string, audit: AuditContext): Promise<ApiTokenRecord> {
    return transaction(this.prisma, async (tx) => {
      const existing = await lockedById(tx, 'api_tokens', 'token', id, () => tx.apiToken.findUnique({ where: { id } }));
      const { count } = await tx.apiToken.updateMany({
        where: { id, revokedAt: null },
        data: { revokedAt: new Date() },
      });
      if (count === 0) throw new ConflictError(`token ${id} is already revoked`, 'already-cancelled');
      await appendAuditEvent(tx, {
        actor: audit.actor,
        action: 'token.revoke',
        target: `token/${id}`,
        details: { name: existing.name },
      });
      return toRecord(await tx.apiToken.findUniqueOrThrow({ where: { id } }));
    });
  }

  async get(id: string): Promise<ApiTokenRecord> {
    return toRecord(
      await existingById('token', id, () => mapped(() => this.prisma.apiToken.findUnique({ where: { id } }))),
    );
  }

  /** All tokens, newest first (a handful; no pagination needed). */
  async list(options: { includeRevoked?: boolean } = {}): Promise<ApiTokenRecord[]> {
    const rows = await mapped(() =>
      this.prisma.apiToken.findMany({
        where: options.includeRevoked === false ? { revokedAt: null } : {},
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      }),
    );
    return rows.map(toRecord);
  }
}
