// Hot queries compiled once. Building and compiling a Kysely query costs more than SQLite takes
// to run it: looking a session up by its token hash took 49-73 us built on every request and
// 15-21 us compiled once (bench/second-step.ts, whose every request authenticates). A prepared
// query is built once with marker values in place of its arguments; each call puts its own
// values in their positions and runs the same SQL (which the SQLite store also keeps compiled).
import { CompiledQuery, type Kysely, type QueryResult } from 'kysely';

export function prepareQuery<Args extends Record<string, unknown>, Row>(
  db: Kysely<any>,
  names: readonly (keyof Args & string)[],
  build: (args: Args) => CompiledQuery<Row>,
): (args: Args) => Promise<QueryResult<Row>> {
  const compiled = compileWithMarkers(names, build);
  return (args) => db.executeQuery(compiled(args));
}

type Executor = Pick<Kysely<any>, 'executeQuery' | 'getExecutor'>;

/**
 * A statement compiled once per dialect (the first time it runs on a store of that dialect) and
 * run on whichever executor a call hands it: the store, or a transaction of it. For the hot
 * statements of module functions that take `db | trx` (the second step's writes); the SQL is
 * the one Kysely compiles from `build`, so both stores get their own dialect's text.
 */
export function preparedStatement<Args extends Record<string, unknown>, Row>(
  names: readonly (keyof Args & string)[],
  build: (db: Kysely<any>, args: Args) => CompiledQuery<Row>,
): (db: Executor, args: Args) => Promise<QueryResult<Row>> {
  const byDialect = new Map<unknown, (args: Args) => CompiledQuery<Row>>();
  return (db, args) => {
    const dialect = db.getExecutor().adapter.constructor;
    let compiled = byDialect.get(dialect);
    if (!compiled) {
      compiled = compileWithMarkers(names, (markers) => build(db as Kysely<any>, markers));
      byDialect.set(dialect, compiled);
    }
    return db.executeQuery(compiled(args));
  };
}

/** Compiles `build` once with marker arguments; the result puts each call's values in their positions. */
function compileWithMarkers<Args extends Record<string, unknown>, Row>(
  names: readonly (keyof Args & string)[],
  build: (markers: Args) => CompiledQuery<Row>,
): (args: Args) => CompiledQuery<Row> {
  const markers = Object.fromEntries(names.map((name, i) => [name, `\u0000agentdesk-argument-${i}\u0000`])) as unknown as Args;
  const { sql, parameters } = build(markers);
  const slots: { name?: keyof Args & string; value?: unknown }[] = parameters.map((value) => {
    const name = names.find((n) => markers[n] === value);
    return name === undefined ? { value } : { name };
  });
  for (const name of names) {
    // An argument used any other way than as a plain parameter (transformed, inlined) would be lost.
    if (!slots.some((s) => s.name === name)) throw new Error(`prepared query: ${name} is not a parameter of the query`);
  }
  return (args) => CompiledQuery.raw(sql, slots.map((s) => (s.name !== undefined ? args[s.name] : s.value))) as CompiledQuery<Row>;
}
