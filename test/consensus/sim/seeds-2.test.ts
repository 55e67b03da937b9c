import { describe } from 'vitest';
import { defineSeedSuite } from './seed-suite.ts';

describe('simulated cluster under faults, second half of the seeds', () => defineSeedSuite(1, 2));
