// The long-running components one image can run, by name. The container's
// entry point and `nearcast run <component>` both start from this list, so a
// new component is one line here (and one Deployment in k8s/).
export const COMPONENTS = {
  gateway: '../gateway/main.ts',
  'coupons-worker': '../coupons/main.ts',
  matcher: '../processors/matcher/main.ts',
  dispatcher: '../processors/dispatcher/main.ts',
  dashboard: '../dashboard/main.ts',
  imports: '../processors/imports/main.ts',
} as const;

export type ComponentName = keyof typeof COMPONENTS;

export function isComponent(name: string): name is ComponentName {
  return Object.hasOwn(COMPONENTS, name);
}

/** Imports the component's entry module, which starts it (each main.ts runs on import). */
export async function runComponent(name: string): Promise<void> {
  if (!isComponent(name)) {
    throw new Error(`unknown component "${name}"; one of: ${Object.keys(COMPONENTS).join(', ')}`);
  }
  await import(new URL(COMPONENTS[name], import.meta.url).href);
}
