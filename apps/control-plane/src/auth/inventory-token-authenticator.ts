import { type ApiTokenRepository, TOKEN_PREFIX } from '@switchyard/inventory';
import { type Actor } from './actor';
import { type TokenAuthenticator } from './bearer-auth.guard';

/** Verifies bearer secrets by their hash in the token table; revoked tokens are unknown. */
export function inventoryTokenAuthenticator(tokens: ApiTokenRepository): TokenAuthenticator {
  return {
    async authenticate(secret: string): Promise<Actor | undefined> {
      // Generated tokens start with TOKEN_PREFIX, but SWITCHYARD_ADMIN_TOKEN may be any strong secret.
      if (secret.length < 16 && !secret.startsWith(TOKEN_PREFIX)) return undefined;
      const record = await tokens.verify(secret);
      return record ? { tokenId: record.id, tokenName: record.name, role: record.role } : undefined;
    },
  };
}
