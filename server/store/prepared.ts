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
  const markers = Object.fromEntries(names.map((name, i) => [name, `\u0000agentdesk-argument-${i}\u0000`])) as unknown as Args;
  const { sql, parameters } = build(markers);
  // Each parameter position is either one of the arguments or a constant of the query.
  const slots: { name?: keyof Args & string; value?: unknown }[] = parameters.map((value) => {
    const name = names.find((n) => markers[n] === value);
    return name === undefined ? { value } : { name };
  });
  for (const name of names) {
    // An argument used any other way than as a plain parameter (transformed, inlined) would be lost.
    if (!slots.some((s) => s.name === name)) throw new Error(`prepareQuery: ${name} is not a parameter of the query`);
  }
  return (args) =>
    db.executeQuery(CompiledQuery.raw(sql, slots.map((s) => (s.name !== undefined ? args[s.name] : s.value)))) as Promise<QueryResult<Row>>;
}
