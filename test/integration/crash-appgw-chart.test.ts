// Crash safety (crash-suite.ts): App Gateway with routing rendered by the charts, helm 3.
import { crashSuite } from './crash-suite';

crashSuite({ helm: 'v3', router: 'appgw', ownership: 'chart' });
