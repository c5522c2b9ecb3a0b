import { runTask } from '../../shared/task';
import { readRouteTrafficInputs } from '../../shared/inputs/read';
import { routeTraffic } from '../../shared/lifecycle';

void runTask(__dirname, readRouteTrafficInputs, routeTraffic);
