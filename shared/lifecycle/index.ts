export { deploy } from './deploy';
export { routeTraffic } from './routeTraffic';
export { onSuccess } from './onSuccess';
export { onFailure } from './onFailure';
export { rollback } from './rollback';
