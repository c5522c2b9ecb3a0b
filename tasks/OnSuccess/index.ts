import { runTask } from '../../shared/task';
import { readOnSuccessInputs } from '../../shared/inputs/read';
import { onSuccess } from '../../shared/lifecycle';

void runTask(__dirname, readOnSuccessInputs, onSuccess);
