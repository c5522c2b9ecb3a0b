// Crash safety (crash-suite.ts): App Gateway with routing managed by the task, helm 4.
import { crashSuite } from './crash-suite';

crashSuite({ helm: 'v4', router: 'appgw', ownership: 'managed' });
