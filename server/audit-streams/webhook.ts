// A webhook delivery: one POST per batch of entries, JSON `{"events": [...]}` oldest first,
// signed Stripe-style so the receiver knows it came from this server and is recent:
//   AgentDesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>
//   AgentDesk-Delivery: <a new id per request>
// A 2xx answer is a delivery; anything else (a redirect too: never followed) is a failure, retried.
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { checkLiteral, guardedLookup, type TargetPolicy } from './targets.js';

export const SIGNATURE_HEADER = 'AgentDesk-Signature';
export const DELIVERY_HEADER = 'AgentDesk-Delivery';

/** A webhook's secret, shown to the admin once. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

export function signature(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

/** Posts one batch; resolves on a 2xx answer, rejects with what went wrong otherwise. */
export async function postBatch(target: URL, secret: string, events: unknown[], policy: TargetPolicy, timeoutMs: number): Promise<void> {
  checkLiteral(target, policy);
  const body = JSON.stringify({ events });
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(target, {
      method: 'POST',
      agent: false,
      lookup: guardedLookup(policy),
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'user-agent': 'AgentDesk-Audit-Stream/1',
        [SIGNATURE_HEADER]: signature(secret, body, Math.floor(Date.now() / 1000)),
        [DELIVERY_HEADER]: randomBytes(12).toString('base64url'),
      },
    });
    // A receiver that answers slowly (or never) fails the attempt as a whole, whatever stage it is at.
    const deadline = setTimeout(() => request.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    request.on('error', (error) => {
      clearTimeout(deadline);
      reject(error);
    });
    request.on('response', (response) => {
      clearTimeout(deadline);
      const status = response.statusCode ?? 0;
      // The answer's body is not needed: dropped unread, so a huge one costs nothing.
      response.destroy();
      if (status >= 200 && status < 300) resolve();
      else if (status >= 300 && status < 400) reject(new Error(`HTTP ${status}: redirects are not followed`));
      else reject(new Error(`HTTP ${status}`));
    });
    request.end(body);
  });
}
