import { runTask } from '../../shared/task';
import { readRollbackInputs } from '../../shared/inputs/read';
import { rollback } from '../../shared/lifecycle';

void runTask(__dirname, readRollbackInputs, rollback);
