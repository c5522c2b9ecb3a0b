// Request bodies by content type: JSON, YAML (apply configurations), and the protobuf helm's typed client sends.
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { badRequest, unsupportedMediaType } from './errors';
import { decodeProtobufBody } from './protobuf';
import type { Json } from './schema';

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export const mediaType = (header: string | undefined): string => ((header ?? '').split(';')[0] ?? '').trim().toLowerCase();

/** Decodes a body; an empty body is undefined. */
export function decodeBody(body: Buffer, contentType: string): Json | undefined {
  if (body.length === 0) return undefined;
  if (contentType === 'application/vnd.kubernetes.protobuf') return decodeProtobufBody(body);
  const text = body.toString('utf8');
  if (contentType === 'application/yaml' || contentType === 'application/apply-patch+yaml') {
    try {
      return parseYaml(text) as Json;
    } catch (err) {
      throw badRequest(`error decoding YAML: ${(err as Error).message}`);
    }
  }
  if (contentType === '' || contentType === 'application/json' || contentType.endsWith('+json')) {
    try {
      return JSON.parse(text) as Json;
    } catch (err) {
      throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
    }
  }
  throw unsupportedMediaType(contentType);
}
