// The second half of the per-property tests (properties/suite.ts), in a file of its own so that it runs beside the
// first.
import { describeProperties } from './suite.js';

describeProperties(1, 2);
