// Kubernetes Status errors. Clients branch on `reason` and `code` (client-go's IsNotFound, client-node's
// ApiException.code), and helm prints `message`, so both follow the real apiserver's wording.
import { StoreError, type KubeObject, type ResourceType } from '../store';

export interface StatusCause {
  type?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }
}

/** `deployments.apps`, or `services` for the core group: how the apiserver names a resource in messages. */
export function qualifiedResource(r: ResourceType): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}

const detailsOf = (r: ResourceType, name: string): StatusDetails => ({ name, ...(r.group ? { group: r.group } : {}), kind: r.plural });

export const notFound = (r: ResourceType, name: string) =>
  new ApiError(404, 'NotFound', `${qualifiedResource(r)} "${name}" not found`, detailsOf(r, name));

export const alreadyExists = (r: ResourceType, name: string) =>
  new ApiError(409, 'AlreadyExists', `${qualifiedResource(r)} "${name}" already exists`, detailsOf(r, name));

export const conflict = (r: ResourceType, name: string) =>
  new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(r)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    detailsOf(r, name),
  );

export const invalid = (r: ResourceType, name: string, field: string, message: string) =>
  new ApiError(422, 'Invalid', `${r.kind} "${name}" is invalid: ${field}: ${message}`, {
    ...detailsOf(r, name),
    kind: r.kind,
    causes: [{ type: 'FieldValueInvalid', message, field }],
  });

export const badRequest = (message: string) => new ApiError(400, 'BadRequest', message);

export const namespaceNotFound = (namespace: string) =>
  new ApiError(404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' });

/** A path the server does not serve (no such resource or subresource). */
export const pathNotFound = () => new ApiError(404, 'NotFound', 'the server could not find the requested resource');

export const methodNotAllowed = (message: string) => new ApiError(405, 'MethodNotAllowed', message);

export const unsupportedMediaType = (type: string) => new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got ${type})`);

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof StoreError) return new ApiError(err.code, err.reason, err.message);
  return new ApiError(500, 'InternalError', `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`);
}

export function statusObject(err: ApiError): KubeObject {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: err.message,
    reason: err.reason,
    ...(err.details ? { details: err.details } : {}),
    code: err.code,
  };
}

export function successStatus(r: ResourceType, object: KubeObject): KubeObject {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name: object.metadata.name, ...(r.group ? { group: r.group } : {}), kind: r.plural, uid: object.metadata.uid },
  };
}
