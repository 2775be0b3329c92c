// Writes k8s/overlays/<overlay>/kafka-topics.yaml from schemas/topics.ts.
import { writeFileSync } from 'node:fs';
import { OVERLAYS, overlayTopicsPath, renderTopics } from './topics.ts';

for (const overlay of Object.keys(OVERLAYS) as Array<keyof typeof OVERLAYS>) {
  writeFileSync(overlayTopicsPath(overlay), renderTopics(OVERLAYS[overlay]));
  console.log(`wrote ${overlayTopicsPath(overlay)}`);
}
