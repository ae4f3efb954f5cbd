// The consumer project the lab builds (scripts/e2e-third-kind.sh copies this file and
// script-service.ts into a temporary consumer, importing the packed library instead of ../../src).
// The unit tests synthesize the same project.
import { Project } from 'projen';
import { ShellScriptService } from './script-service';
import { MultiArchPipeline, Platform } from '../../src';

/** The lab's stand-in for a small Debian image with a shell, for both platforms (scripts/lab.sh). */
export const LAB_BASE_IMAGE = '127.0.0.1:5000/lab/python:3.11-slim';

/** Adds the pipeline and the greeter, a ShellScriptService running greeter/greet.sh as uid 10001. */
export function addGreeter(project: Project): ShellScriptService {
  new MultiArchPipeline(project, {
    registry: '127.0.0.1:5000/e2e-third',
    platforms: [Platform.LINUX_AMD64, Platform.LINUX_ARM64],
    // the lab serves no Dockerfile frontend image; BuildKit's built-in frontend is enough
    dockerfileSyntax: '',
  });
  return new ShellScriptService(project, 'greeter', {
    directory: 'greeter',
    script: 'greet.sh',
    baseImage: LAB_BASE_IMAGE,
    user: '10001',
    description: 'A third kind of service: a POSIX shell script',
    arguments: ['hello', 'lab'],
  });
}
