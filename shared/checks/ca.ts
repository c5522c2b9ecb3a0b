// The checksCaCertificate input: the CA that signs the certificates of the addresses the HTTP checks (and
// the route fence) connect to, when it is an internal one (a TLS-inspecting proxy, an ingress with a
// certificate from the company's CA). A file path or the PEM text itself; read and checked with the
// other inputs, so a wrong value stops the task before anything changes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { InputError } from '../inputs/rules';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export interface ChecksCa {
  /** One or more PEM certificates. */
  pem: string;
  /** "file /path/ca.crt" or "the PEM in the input", with the subject of the first certificate. */
  describe: string;
}

/** `baseDir` resolves a relative path (the task's working directory: the sources directory). */
export function readChecksCa(value: string | undefined, baseDir = process.cwd()): ChecksCa | undefined {
  if (!value) return undefined;
  const where = value.includes('-----BEGIN') ? 'the PEM text in the input' : `file ${path.resolve(baseDir, value)}`;
  let text = value;
  if (!value.includes('-----BEGIN')) {
    try {
      text = fs.readFileSync(path.resolve(baseDir, value), 'utf8');
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw new InputError(
        `Input 'checksCaCertificate' is neither a PEM certificate nor a readable file: ${path.resolve(baseDir, value)} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(err)})`}.`,
      );
    }
  }
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw new InputError(`Input 'checksCaCertificate' (${where}) holds no PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----).`);
  let subject = '';
  for (const [i, block] of blocks.entries()) {
    try {
      const cert = new X509Certificate(block);
      if (i === 0) subject = cert.subject.replace(/\n/g, ', ');
    } catch (err) {
      throw new InputError(`Input 'checksCaCertificate' (${where}): certificate ${i + 1} is not a valid X.509 certificate (${(err as Error).message}).`);
    }
  }
  return { pem: blocks.join('\n') + '\n', describe: `${where} (${blocks.length} certificate${blocks.length > 1 ? 's' : ''}, ${subject})` };
}
