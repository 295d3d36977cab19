// The SCIM filter as the identity providers send it (RFC 7644 §3.4.2.2), parsed by the RFC's
// grammar (scim2-parse-filter) and narrowed to the one comparison AgentDesk answers: a single
// `eq` of an attribute we match by against a JSON string. Pure functions, no server.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEqFilter, SCHEMA, ScimError } from './protocol.js';

const USERS = ['userName', 'externalId'] as const;

function refused(filter: string, allowed: readonly string[] = USERS, schema: string = SCHEMA.user): ScimError {
  try {
    parseEqFilter(filter, allowed, schema);
  } catch (error) {
    assert.ok(error instanceof ScimError, `${filter}: ${String(error)}`);
    assert.equal(error.status, 400, filter);
    assert.equal(error.scimType, 'invalidFilter', filter);
    return error;
  }
  assert.fail(`${JSON.stringify(filter)} was accepted`);
}

describe('SCIM filter: userName eq / externalId eq, nothing else', () => {
  test('the two filters Okta and Entra ID send, the attribute name in any case', () => {
    assert.deepEqual(parseEqFilter('userName eq "bea@scim.test"', USERS, SCHEMA.user), { attribute: 'userName', value: 'bea@scim.test' });
    assert.deepEqual(parseEqFilter('externalId eq "00u1a2b3"', USERS, SCHEMA.user), { attribute: 'externalId', value: '00u1a2b3' });
    assert.deepEqual(parseEqFilter('USERNAME EQ "x@y.z"', USERS, SCHEMA.user), { attribute: 'userName', value: 'x@y.z' });
    assert.deepEqual(parseEqFilter('  externalid eq "e"  ', USERS, SCHEMA.user), { attribute: 'externalId', value: 'e' });
  });

  test('the attribute with the core schema URN as its prefix (§3.10)', () => {
    assert.deepEqual(parseEqFilter(`${SCHEMA.user}:userName eq "bea@scim.test"`, USERS, SCHEMA.user), { attribute: 'userName', value: 'bea@scim.test' });
    assert.deepEqual(parseEqFilter(`${SCHEMA.user.toLowerCase()}:externalid eq "e1"`, USERS, SCHEMA.user), { attribute: 'externalId', value: 'e1' });
    assert.deepEqual(parseEqFilter(`${SCHEMA.group}:displayName eq "Night crew"`, ['displayName', 'externalId'], SCHEMA.group), { attribute: 'displayName', value: 'Night crew' });
    // another resource's schema, or an extension's, is not ours to strip
    refused(`${SCHEMA.group}:userName eq "a"`);
    refused('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "7"');
  });

  test('escapes in the value are read as a JSON string', () => {
    const value = (filter: string) => parseEqFilter(filter, USERS, SCHEMA.user).value;
    assert.equal(value(String.raw`externalId eq "a\"b"`), 'a"b');
    assert.equal(value(String.raw`externalId eq "CORP\\bea"`), 'CORP\\bea'); // one backslash
    assert.equal(value(String.raw`externalId eq "caf\u00e9"`), 'café');
    assert.equal(value(String.raw`externalId eq "tab\there\/x"`), 'tab\there/x');
    assert.equal(value(String.raw`externalId eq "\\\"q\\x"`), '\\"q\\x');
    refused(String.raw`externalId eq "bad \q escape"`);
    refused(String.raw`externalId eq "\u12"`);
    refused('externalId eq "raw\nnewline"');
  });

  test('and / or / not / value paths are refused, not half understood', () => {
    const and = refused('userName eq "a" and active eq true');
    assert.match(and.message, /single comparison/);
    refused('userName eq "a" or userName eq "b"');
    refused('not (userName eq "a")');
    refused('(userName eq "a")  and (externalId eq "b")');
    refused('emails[type eq "work"].value eq "a@b.c"');
    refused('emails[value eq "a@b.c"]');
  });

  test('other operators, other attributes and values that are not strings are refused', () => {
    assert.match(refused('userName co "a"').message, /"co" is not supported/);
    for (const op of ['ne', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']) refused(`userName ${op} "a"`);
    refused('userName pr');
    assert.match(refused('displayName eq "x"').message, /Filtering by "displayName"/);
    refused('name.givenName eq "Bea"');
    refused('userName eq 5');
    refused('userName eq true');
    refused('userName eq null');
  });

  test('garbage, an empty filter and one that is too long are invalidFilter', () => {
    for (const filter of ['garbage', '', '   ', 'userName eq', 'userName eq unquoted', 'userName eq "a" "b"', 'userName eq "a" )', '"a" eq userName', 'userName eq "unterminated', '((((']) {
      refused(filter);
    }
    assert.match(refused(`userName eq "${'a'.repeat(1000)}"`).message, /too long/);
  });
});
