// node:test reporter for the second run of the server suite: node's own `spec` output with each
// top-level test named after the store it ran on ("[postgres] Require two-factor ...").
import { Transform } from 'node:stream';
import { spec } from 'node:test/reporters';

const label = process.env.AGENTDESK_TEST_STORE_LABEL;
const inner = spec();

const reporter = new Transform({
  writableObjectMode: true,
  transform(event, _encoding, callback) {
    const data = event.data;
    if (label && data && typeof data.name === 'string' && data.nesting === 0) {
      event = { ...event, data: { ...data, name: `[${label}] ${data.name}` } };
    }
    inner.write(event, callback);
  },
  flush(callback) {
    inner.once('end', () => callback());
    inner.end();
  },
});
inner.on('data', (chunk) => reporter.push(chunk));
inner.on('error', (error) => reporter.destroy(error));

export default reporter;
