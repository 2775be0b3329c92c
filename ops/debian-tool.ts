// Tools that checks need come from Debian's packages. Self-contained binaries (kubectl for
// kustomize, promtool) are unpacked under .stack/tools/ without installing them system-wide:
// no service starts and no binary on the machine is replaced. Programs that need their
// dependencies (chromium) are installed with apt-get by ensureDebianPackage.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TOOLS_DIR = fileURLToPath(new URL('../.stack/tools/', import.meta.url));

/** Path of `bin` inside Debian package `pkg`, downloading and unpacking the package once. */
export function debianTool(pkg: string, bin: string): string {
  const root = join(TOOLS_DIR, pkg);
  const path = join(root, 'usr/bin', bin);
  if (existsSync(path)) return path;
  const work = join(TOOLS_DIR, `${pkg}.download`);
  mkdirSync(work, { recursive: true });
  const download = () => execFileSync('apt-get', ['download', '-qq', pkg], { cwd: work, stdio: 'pipe' });
  try {
    download();
  } catch {
    // A fresh machine has no package lists yet.
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'pipe' });
    download();
  }
  const deb = readdirSync(work).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download ${pkg} produced no .deb in ${work}`);
  execFileSync('dpkg-deb', ['-x', join(work, deb), root]);
  if (!existsSync(path)) throw new Error(`Debian package ${pkg} has no usr/bin/${bin}`);
  return path;
}

/** Installs Debian package `pkg` unless `path` exists (for programs that need their dependencies installed, e.g. chromium). */
export function ensureDebianPackage(pkg: string, path: string): string {
  if (existsSync(path)) return path;
  const install = () =>
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], {
      stdio: 'pipe',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  try {
    install();
  } catch {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'pipe' });
    install();
  }
  if (!existsSync(path)) throw new Error(`installing ${pkg} did not provide ${path}`);
  return path;
}
