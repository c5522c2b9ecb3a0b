// Crash safety (crash-suite.ts): managed ingress-nginx, helm 3 and 4.
import { crashSuite } from './crash-suite';

crashSuite({ helm: 'v3', router: 'nginx', ownership: 'managed' });
crashSuite({ helm: 'v4', router: 'nginx', ownership: 'managed' });
