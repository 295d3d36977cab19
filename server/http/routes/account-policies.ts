// Account policies (PRODUCT.md "Authentication policies"): an admin reads and replaces the
// networks the account allows sign-in from (sessions/sign-in-networks.ts) and its session
// lifetimes (sessions/session-policy.ts) and the security-key models it accepts
// (second-factors/key-models.ts).
import type { FastifyInstance } from 'fastify';
import { operations } from '../../../contract/operations.js';
import { requestContext } from '../../audit/audit.js';
import type { ServerContext } from '../../context.js';
import { readNetworkPolicy, saveNetworkPolicy } from '../../sessions/sign-in-networks.js';
import { readSessionPolicy, saveSessionPolicy } from '../../sessions/session-policy.js';
import { previewSecurityKeyPolicy, readSecurityKeyPolicy, saveSecurityKeyPolicy } from '../../second-factors/key-models.js';
import { MAX_METADATA_BLOB_CHARS } from '../../../contract/schemas.js';
import { authOf } from '../auth.js';
import { route } from '../contract-routes.js';

export function accountPolicyRoutes(app: FastifyInstance, ctx: ServerContext): void {
  route(app, operations.getSessionPolicy, async (request) => readSessionPolicy(ctx.db, ctx.sessions, authOf(request).account.id));
  route(app, operations.saveSessionPolicy, async (request) => {
    const auth = authOf(request);
    return saveSessionPolicy(ctx, { accountId: auth.account.id, actorId: auth.user.id, policy: request.body, request: requestContext(request) });
  });
  route(app, operations.getSecurityKeyPolicy, async (request) => readSecurityKeyPolicy(ctx.db, authOf(request).account.id));
  // The FIDO Alliance's whole BLOB is a few megabytes; a longer one is refused by the schema.
  const blobBodyLimit = { bodyLimit: MAX_METADATA_BLOB_CHARS + 256 * 1024 };
  route(
    app,
    operations.previewSecurityKeyPolicy,
    async (request) => {
      const auth = authOf(request);
      return previewSecurityKeyPolicy(ctx.db, { accountId: auth.account.id, actorId: auth.user.id, policy: request.body, blobRoots: ctx.config.metadataServiceRoots });
    },
    blobBodyLimit,
  );
  route(
    app,
    operations.saveSecurityKeyPolicy,
    async (request) => {
      const auth = authOf(request);
      return saveSecurityKeyPolicy(ctx.db, ctx.events, {
        accountId: auth.account.id,
        actorId: auth.user.id,
        policy: request.body,
        request: requestContext(request),
        blobRoots: ctx.config.metadataServiceRoots,
      });
    },
    blobBodyLimit,
  );
  route(app, operations.getNetworkPolicy, async (request) => readNetworkPolicy(ctx.db, authOf(request).account.id));
  route(app, operations.saveNetworkPolicy, async (request) => {
    const auth = authOf(request);
    return saveNetworkPolicy(ctx.db, { accountId: auth.account.id, actorId: auth.user.id, allowedNetworks: request.body.allowedNetworks, request: requestContext(request) });
  });
}
