import { runTask } from '../../shared/task';
import { readOnFailureInputs } from '../../shared/inputs/read';
import { onFailure } from '../../shared/lifecycle';

void runTask(__dirname, readOnFailureInputs, onFailure);
