// Remembered personal devices (sessions/remembered-devices.ts): the client says whether its
// device is shared, the user remembers it after the second step, lists and forgets their
// devices; an admin forgets a user's.
import type { FastifyInstance } from 'fastify';
import { operations } from '../../../contract/operations.js';
import { requestContext } from '../../audit/audit.js';
import type { ServerContext } from '../../context.js';
import { declareDevice, forgetMyDevice, forgetMyDevices, forgetUsersDevices, listMyDevices, rememberDevice } from '../../sessions/remembered-devices.js';
import { authOf } from '../auth.js';
import { route } from '../contract-routes.js';

export function rememberedDeviceRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx;
  route(app, operations.declareCurrentDevice, async (request) => declareDevice(db, authOf(request), request.body.shared, requestContext(request)));
  route(app, operations.rememberDevice, async (request) => rememberDevice(db, authOf(request), requestContext(request)));
  route(app, operations.listMyDevices, async (request) => listMyDevices(db, authOf(request)));
  route(app, operations.forgetMyDevice, async (request, reply) => {
    await forgetMyDevice(db, authOf(request), request.params.id, requestContext(request));
    reply.code(204);
    return reply.send();
  });
  route(app, operations.forgetMyDevices, async (request) => forgetMyDevices(db, authOf(request), requestContext(request)));
  route(app, operations.forgetUsersDevices, async (request) => forgetUsersDevices(db, authOf(request), request.params.id, requestContext(request)));
}
