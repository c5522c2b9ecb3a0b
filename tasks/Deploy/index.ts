import { runTask } from '../../shared/task';
import { readDeployInputs } from '../../shared/inputs/read';
import { deploy } from '../../shared/lifecycle';

void runTask(__dirname, readDeployInputs, deploy);
