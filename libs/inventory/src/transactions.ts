import type { Prisma, PrismaClient } from './generated/prisma/client';
import { mapped } from './errors';

export type Tx = Prisma.TransactionClient;

/** Who is changing something: recorded in the audit event written in the same transaction. */
export interface AuditContext {
  /** e.g. `token:admin:<id>`, `system:startup`, `cli`. */
  readonly actor: string;
}

/** An interactive transaction whose database failures come out as InventoryErrors. */
export function transaction<T>(prisma: PrismaClient, work: (tx: Tx) => Promise<T>, timeoutMs = 15_000): Promise<T> {
  return mapped(() => prisma.$transaction(work, { timeout: timeoutMs, maxWait: 10_000 }));
}
