// What a SCIM client reads to learn what this service provider does (RFC 7644 §4; RFC 7643 §5–7):
// ServiceProviderConfig, ResourceTypes and Schemas, kept to what AgentDesk really supports.
import { MAX_PAGE, SCHEMA } from './protocol.js';

export function serviceProviderConfig(baseUrl: string) {
  return {
    schemas: [SCHEMA.serviceProviderConfig],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_PAGE },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      { type: 'oauthbearertoken', name: 'Bearer token', description: "A SCIM token created in AgentDesk's admin security settings, sent as Authorization: Bearer.", primary: true },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}

const resourceTypeList = (baseUrl: string, groups: boolean) => [
  { schemas: [SCHEMA.resourceType], id: 'User', name: 'User', endpoint: '/Users', description: 'An agent or admin of the account', schema: SCHEMA.user, meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/User` } },
  ...(groups ? [{ schemas: [SCHEMA.resourceType], id: 'Group', name: 'Group', endpoint: '/Groups', description: 'A group of users of the account', schema: SCHEMA.group, meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/Group` } }] : []),
];

export const resourceTypes = resourceTypeList;

const attribute = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  type: 'string',
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...extra,
});

function userSchema(baseUrl: string) {
  return {
    schemas: [SCHEMA.schema],
    id: SCHEMA.user,
    name: 'User',
    description: 'An agent or admin of the account',
    attributes: [
      attribute('userName', { required: true, uniqueness: 'server', description: 'The email address the user signs in with.' }),
      attribute('externalId', { caseExact: true, description: "The identity provider's id for the user." }),
      attribute('displayName', { description: 'The name shown in AgentDesk.' }),
      attribute('name', {
        type: 'complex',
        subAttributes: [attribute('formatted'), attribute('givenName'), attribute('familyName')],
      }),
      attribute('emails', { type: 'complex', multiValued: true, mutability: 'readOnly', description: 'The userName, as the work email.', subAttributes: [attribute('value'), attribute('type'), attribute('primary', { type: 'boolean' })] }),
      attribute('active', { type: 'boolean', description: 'false deactivates the user: signed out everywhere at once.' }),
    ],
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${SCHEMA.user}` },
  };
}

function groupSchema(baseUrl: string) {
  return {
    schemas: [SCHEMA.schema],
    id: SCHEMA.group,
    name: 'Group',
    description: 'A group of users of the account',
    attributes: [
      attribute('displayName', { required: true }),
      attribute('externalId', { caseExact: true }),
      attribute('members', { type: 'complex', multiValued: true, subAttributes: [attribute('value', { mutability: 'immutable' }), attribute('display', { mutability: 'readOnly' })] }),
    ],
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${SCHEMA.group}` },
  };
}

export function schemas(baseUrl: string, groups: boolean) {
  return [userSchema(baseUrl), ...(groups ? [groupSchema(baseUrl)] : [])];
}
