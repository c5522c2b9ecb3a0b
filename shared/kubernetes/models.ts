// The objects the tasks read and write, typed with @kubernetes/client-node's models (V1Service,
// V1Ingress, V1Pod, ...). Only the types: our calls send and receive plain JSON, never through
// client-node's ObjectSerializer. The models' property names are the JSON ones; the one difference is
// time: the models say Date (the serializer would convert), the wire carries RFC 3339 strings, so `Wire`
// turns every Date (and MicroTime) into a string. Kinds client-node has no model for (the Gateway API's)
// have small interfaces of the fields we use, next to the router that uses them (routers/gateway/models.ts).
import type { KubernetesObject, V1ObjectMeta } from '@kubernetes/client-node';

/** A model as JSON carries it: every Date (metav1.Time, MicroTime) is the string the API server sent. */
export type Wire<T> = T extends Date ? string : T extends Array<infer U> ? Array<Wire<U>> : T extends object ? { [K in keyof T]: Wire<T[K]> } : T;

/** Metadata of an object that exists or is about to be written: it always has a name. */
export type ObjectMeta = Wire<V1ObjectMeta> & { name: string };

/** An object of model `T` (`KubeObject<V1Service>`), as the API server sends it; `KubeObject` alone: any kind, metadata only. */
export type KubeObject<T extends KubernetesObject = KubernetesObject> = Wire<T> & { metadata: ObjectMeta };
