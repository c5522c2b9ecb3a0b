// Gateway API crash safety (gateway-crash-suite.ts): per-slot namespaces, helm 4.
import { gatewayCrashSuite } from './gateway-crash-suite';

gatewayCrashSuite('v4', 'perSlot');
