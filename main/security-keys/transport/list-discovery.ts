import type { SecurityKeyDiscovery, SecurityKeyTransport } from './transport.js';

/** Discovery over a list someone else keeps (tests, or several discoveries merged). */
export function listDiscovery(list: () => SecurityKeyTransport[] | Promise<SecurityKeyTransport[]>): SecurityKeyDiscovery {
  return { list: async () => [...(await list())] };
}

/** All keys any of the discoveries sees; one failing source does not hide the others. */
export function combineDiscoveries(...sources: SecurityKeyDiscovery[]): SecurityKeyDiscovery {
  return {
    async list() {
      const results = await Promise.allSettled(sources.map((s) => s.list()));
      return results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    },
  };
}
