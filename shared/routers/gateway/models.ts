// The Gateway API objects the router reads and writes (gateway.networking.k8s.io): client-node has no
// models for them, so these are the fields we use, in the API's JSON names. Not a complete schema.
import type { KubernetesObject } from '@kubernetes/client-node';

export interface ParentRef {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}

export interface BackendRef {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  port?: number;
  weight?: number;
}

export interface RouteMatchSpec {
  path?: { type?: string; value?: string };
  headers?: Array<{ type?: string; name: string; value: string }>;
}

export interface Rule {
  matches?: RouteMatchSpec[];
  backendRefs?: BackendRef[];
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

export interface RouteParentStatus {
  parentRef: ParentRef;
  controllerName?: string;
  conditions?: Condition[];
}

export interface HTTPRouteSpec {
  parentRefs?: ParentRef[];
  hostnames?: string[];
  rules?: Rule[];
}

export interface HTTPRoute extends KubernetesObject {
  spec?: HTTPRouteSpec;
  status?: { parents?: RouteParentStatus[] };
}

export interface Gateway extends KubernetesObject {
  spec?: { gatewayClassName?: string; listeners?: Array<{ name?: string; hostname?: string; port?: number; protocol?: string }> };
}

export interface ReferenceGrant extends KubernetesObject {
  spec?: {
    from: Array<{ group: string; kind: string; namespace: string }>;
    to: Array<{ group: string; kind: string; name?: string }>;
  };
}
