import { runTask } from '../../shared/task';
import { readRollbackInputs } from '../../shared/inputs';
import { rollback } from '../../shared/lifecycle';

void runTask(__dirname, readRollbackInputs, rollback);
