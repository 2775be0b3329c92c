// Integration files run one at a time; the ones that restart the shared
// broker or Redis (faults-*) run last, so a slow recovery can never be
// mistaken for a failure of some other file.
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const isFault = (spec: TestSpecification) => /\/faults-[^/]*\.test\.ts$/.test(spec.moduleId);

export class FaultsLastSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return [...sorted.filter((f) => !isFault(f)), ...sorted.filter(isFault)];
  }
}
