// Gateway API crash safety (gateway-crash-suite.ts): one shared namespace, helm 3.
import { gatewayCrashSuite } from './gateway-crash-suite';

gatewayCrashSuite('v3', 'shared');
