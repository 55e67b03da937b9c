import { describe } from 'vitest';
import { defineSeedSuite } from './seed-suite.ts';

describe('simulated cluster under faults, first half of the seeds', () => defineSeedSuite(0, 2));
