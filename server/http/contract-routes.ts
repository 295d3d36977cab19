// Registers a route from its operation in the contract (contract/operations.ts): the method,
// path, schemas, summary and declared access come from there, so a route file holds only what
// the route does — parse, call one domain function, answer. The handler must answer the
// contract's type for the operation (checked by the compiler).
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import type { BodyOf, Operation, ParamsOf, QueryOf, WireAnswerOf } from '../../contract/operation.js';
import { operations } from '../../contract/operations.js';
import { access } from './access.js';

/** Each operation's name in the contract: its OpenAPI operationId. */
const names = new Map<Operation, string>(Object.entries(operations).map(([name, op]) => [op as Operation, name]));

type Defined<T> = [T] extends [undefined] ? unknown : T;

/** The request of an operation's handler: params, query and body typed from the contract's schemas. */
export type OperationRequest<O extends Operation> = FastifyRequest<{ Params: Defined<ParamsOf<O>>; Querystring: Defined<QueryOf<O>>; Body: Defined<BodyOf<O>> }>;

/** What a handler may return: the answer, or the reply it sent itself (204, a CSV stream). */
type HandlerResult<O extends Operation> = O['answer']['kind'] extends 'json' ? WireAnswerOf<O> : FastifyReply | undefined | void;

export type OperationHandler<O extends Operation> = (request: OperationRequest<O>, reply: FastifyReply) => HandlerResult<O> | Promise<HandlerResult<O>>;

/** Route options the contract does not hold: a larger body limit, for one. */
type Extra = Pick<RouteShorthandOptions, 'bodyLimit'>;

export function route<O extends Operation>(app: FastifyInstance, op: O, handler: OperationHandler<O>, extra: Extra = {}): void {
  app.route({
    method: op.method,
    url: op.path,
    ...extra,
    config: { access: access[op.access], ...(op.formBody && { crossSiteForm: true }) },
    schema: {
      ...(names.has(op) && { operationId: names.get(op) }),
      tags: [...op.tags],
      summary: op.summary,
      ...(op.params && { params: op.params }),
      ...(op.query && { querystring: op.query }),
      // A CSV body is parsed as text by the route's own content-type parser.
      ...(op.body && !op.csvBody && { body: op.body }),
      // A form body (the SAML ACS) is parsed by the route's own content-type parser, then checked by the same schema.
      ...(op.formBody && { consumes: ['application/x-www-form-urlencoded'] }),
    },
    handler: async (request, reply) => {
      if (op.status) reply.code(op.status);
      const answer = await handler(request as OperationRequest<O>, reply);
      if (op.answer.kind === 'none' && !reply.sent) {
        reply.code(204);
        return reply.send();
      }
      return answer;
    },
  });
}
